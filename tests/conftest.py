"""Shared fixtures: run the CLI in-process and capture its exit code and streams."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hwsim.cli import main


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys):
    def run(*argv: str) -> CliResult:
        try:
            code = main(list(argv))
        except SystemExit as exit_:  # argparse usage errors
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)
    return run
