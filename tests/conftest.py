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


@pytest.fixture
def calibrated_here(tmp_path, monkeypatch):
    """A calibration of this machine where `hwsim calibrate` writes it, without minutes of micro-benchmarks: the
    shipped example local_cpu with this machine's identity (hwsim.calibrate.location.this_machine) stamped into
    calibration.machine. `hwsim validate` refuses a device that was not calibrated here."""
    import yaml

    from hwsim.calibrate.location import default_calibration_path, this_machine
    from hwsim.io.paths import DEVICES_DIR

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    document = yaml.safe_load((DEVICES_DIR / "local_cpu.yaml").read_text())
    document["calibration"]["machine"].update(this_machine())
    path = default_calibration_path()
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


class FakeTerminal:
    """A stderr that says it is a terminal, recording what is written to it (progress bars show only on one)."""

    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass
