"""Every case of the bad-input campaign: exit 2, only `hwsim: error: ...` lines, no traceback, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.bad_input.campaign import all_cases

CASES = all_cases()


def test_the_campaign_is_large():
    assert len(CASES) >= 300, len(CASES)
    assert len({case.id for case in CASES}) == len(CASES)


def snapshot(folder: Path) -> dict[str, tuple]:
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            stat = path.lstat()
            found[str(path.relative_to(folder))] = (stat.st_mode, stat.st_size, stat.st_mtime_ns)
    return found


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case, run_cli, tmp_path, monkeypatch):
    folder = tmp_path / "case"
    folder.mkdir()
    monkeypatch.chdir(folder)
    argv = case.build(folder)
    before = snapshot(folder)
    try:
        result = run_cli(*argv)
    finally:
        after = snapshot(folder)
        for path in folder.rglob("*"):  # read-only folders made by the case: let pytest clean them
            if path.is_dir() and not path.is_symlink():
                os.chmod(path, 0o755)
    assert result.code == 2, (result.code, result.err[-2000:])
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines and all(line.startswith("hwsim: error: ") for line in lines), result.err[-2000:]
    assert "Traceback" not in result.err
    assert len(lines) <= 21
    for fragment in case.fragments:
        assert fragment in result.err, (fragment, result.err)
    assert after == before, "the run wrote or changed files"
