"""docs/guide.md is true: its blocks run in order in an empty folder, as a newcomer would follow them.

    ```bash   every `mkdir -p` and `hwsim ...` line runs (`> FILE` writes stdout there); exit 0 unless the next
              block is a ```text block of `hwsim: error:` lines, which must be its stderr exactly (exit 2)
    ```yaml   / ```diff starting with `# file: PATH`: the file is written / each `-` line replaced by the `+` lines
    ```text   of `hwsim: warning:` lines after a bash block: its stderr exactly (exit 0)
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import hwsim.errors
from hwsim.io.paths import REPO_ROOT

GUIDE = Path(__file__).parents[1] / "docs" / "guide.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def guide_blocks() -> list[tuple[str, str]]:
    return BLOCK.findall(GUIDE.read_text())


def _commands(block: str) -> list[str]:
    lines = [line.split("  #")[0].strip() for line in block.replace("\\\n", " ").splitlines()]
    return [line for line in lines if line]


def _write(body: str, cwd: Path) -> None:
    first, _, rest = body.partition("\n")
    (cwd / first.removeprefix("# file: ")).write_text(rest)


def _patch(body: str, cwd: Path) -> None:
    first, _, rest = body.partition("\n")
    path = cwd / first.removeprefix("# file: ")
    text = path.read_text()
    for old, new in re.findall(r"^-(.*)\n((?:\+.*\n)+)", rest, re.M):
        assert text.count(old + "\n") == 1, f"the guide's '-' line is not once in the template: {old}"
        text = text.replace(old + "\n", "".join(line[1:] + "\n" for line in new.splitlines()))
    path.write_text(text)


def _run(run_cli, command: str, cwd: Path):
    argv = shlex.split(command)
    if argv[:2] == ["mkdir", "-p"]:
        for folder in argv[2:]:
            (cwd / folder).mkdir(parents=True, exist_ok=True)
        return None
    assert argv[0] == "hwsim", command
    target = None
    if ">" in argv:
        argv, target = argv[:argv.index(">")], argv[argv.index(">") + 1]
    result = run_cli(*argv[1:])
    if target is not None:
        (cwd / target).write_text(result.out)
    return result


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HWSIM_SPEC_PATH", raising=False)
    monkeypatch.setattr(hwsim.errors, "_warned", set())
    return tmp_path


def test_the_guide_runs_as_written(run_cli, fresh):
    blocks = guide_blocks()
    ran = 0
    for index, (kind, body) in enumerate(blocks):
        first = body.partition("\n")[0]
        if kind in ("yaml", "diff") and first.startswith("# file: "):
            (_write if kind == "yaml" else _patch)(body, fresh)
        if kind != "bash":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else ("", "")
        expected = following[1] if following[0] == "text" and following[1].startswith("hwsim: ") else None
        for command in _commands(body):
            result = _run(run_cli, command, fresh)
            if result is None:
                continue
            ran += 1
            if expected is not None:  # `...` stands for the folder hwsim is installed in
                assert result.err.replace(f"{REPO_ROOT.resolve()}/", ".../") == expected, command
                assert result.code == (2 if expected.startswith("hwsim: error:") else 0), command
            else:
                assert result.code == 0, f"{command}\n{result.err}"
                assert result.err == "", f"{command}\n{result.err}"
    assert ran >= 12


def test_the_guide_uses_the_new_joint_activation_and_the_template():
    text = GUIDE.read_text()
    assert "activation: relu" in text and "hwsim devices --template tpu_v5e --name my_npu" in text
