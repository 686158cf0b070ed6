"""Shared fixtures: run the CLI in-process and capture its exit code and streams."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

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


def write_calibration_here() -> Path:
    """The shipped example local_cpu with this machine's identity (hwsim.calibrate.location.this_machine) stamped
    into calibration.machine, written where `hwsim calibrate` writes it (under the current XDG_DATA_HOME)."""
    import yaml

    from hwsim.calibrate.location import default_calibration_path, this_machine
    from hwsim.io.paths import DEVICES_DIR

    document = yaml.safe_load((DEVICES_DIR / "local_cpu.yaml").read_text())
    document["calibration"]["machine"].update(this_machine())
    path = default_calibration_path()
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture
def calibrated_here(tmp_path, monkeypatch):
    """A calibration of this machine where `hwsim calibrate` writes it, without minutes of micro-benchmarks
    (write_calibration_here). `hwsim validate` refuses a device that was not calibrated here."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return write_calibration_here()


@dataclass
class QuickValidation:
    code: int
    data: dict  # what --json printed
    out: Path  # the --out folder
    seed: int


QUICK_VALIDATION_SEED = 3  # not the default, so a report that recorded the default seed would show


# The modules whose tests read the quick_validation fixture: one pytest-xdist scope, so one worker makes its run.
QUICK_VALIDATION_MODULES = ("tests/test_cli_interfaces.py", "tests/unit/validation/test_trained_counts.py")


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(config, items):
    """The quick validation's modules go first: under pytest-xdist their scope (minutes) then starts at once on one
    worker while the others take the rest, instead of starting late and running on alone at the end. (pyproject
    turns off xdist's own reordering, by number of tests per scope.) The tests do not depend on their order."""
    first = [item for item in items if _module(item.nodeid) in QUICK_VALIDATION_MODULES]
    items[:] = first + [item for item in items if _module(item.nodeid) not in QUICK_VALIDATION_MODULES]


def pytest_xdist_make_scheduler(config, log):
    """--dist loadscope (each module on one worker, so a module-scoped fixture is made once), with the quick
    validation's modules in one scope, so its session fixture is made once. Not xdist_group marks: pytest-xdist
    3.8's loadgroup silently stops grouping under pytest 9 (pytest-xdist issue #1386)."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class QuickValidationInOneScope(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "quick_validation" if _module(nodeid) in QUICK_VALIDATION_MODULES else super()._split_scope(nodeid)

    return QuickValidationInOneScope(config, log)


@pytest.fixture(scope="session")
def quick_validation(tmp_path_factory) -> QuickValidation:
    """One `hwsim validate --quick --repeats 2 --seed 3 --json --out DIR` on a calibration of this machine, shared
    by the tests of its JSON, of its folder and of the trained-counts check: a run takes minutes of real decodes
    (the trained reference's fits and searches most of them), and each test reads a different part of it."""
    root = tmp_path_factory.mktemp("validate")
    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(root / "xdg"))
        write_calibration_here()
        with contextlib.redirect_stdout(stdout):
            code = main(["validate", "--quick", "--repeats", "2", "--seed", str(QUICK_VALIDATION_SEED), "--json",
                         "--out", str(root / "v")])
    return QuickValidation(code, json.loads(stdout.getvalue()), root / "v", QUICK_VALIDATION_SEED)


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
