"""A wheel built from this tree, installed (not editable) into a fresh virtual environment outside the tree,
runs every command of the README and of the docs pages its daily jobs link to (docs/usage.md, docs/validation.md)
that needs no long run, from an empty temporary folder. (docs/guide.md's commands build on each other: they run,
in order, in tests/test_guide.py.)

The wheel is built without build isolation when setuptools and wheel are importable (the `test` extra installs
them, so CI needs no network for this test) and installed with --no-deps --no-index; the new environment sees
the running environment's dependencies through a .pth file, which (unlike a site folder) does not run that
environment's editable-install hook, so `import hwsim` can only find the installed wheel.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]
pytestmark = pytest.mark.install

# Commands not run here, with why (each takes long or needs files a user brings).
SKIPPED = {
    "hwsim qat-demo": "a real QAT run (~30 s)",
    "hwsim qat usm_rnnt_1b exp5": "1 B parameters quantized (~40 s)",
    "hwsim qat usm_rnnt_1b exp2": "1 B-parameter model (~10 s); `hwsim qat ibm_rnnt_swb int4` runs",
    "hwsim qat ibm_rnnt_swb int8 --weights": "needs the user's checkpoint",
    "hwsim calibrate": "~30 s of micro-benchmarks",
    "hwsim reference": "a real numpy decode (~40 s)",
    "hwsim fit-decoding": "reads the decode trace of the skipped `hwsim reference` run",
    "hwsim validate": "minutes of real decodes",
}


DOCUMENTS = ("README.md", "docs/usage.md", "docs/validation.md")
# What the wheel is built from: the package and the top-level spec folders setup.py maps into it (hwsim/_specs/).
BUILD_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
BUILD_FOLDERS = ("hwsim", "devices", "workloads", "schemas")


def readme_commands() -> list[str]:
    """Every `hwsim ...` command in the bash blocks of DOCUMENTS (continuations joined, comments dropped), once
    each; of the set-up lines, the part after the last `&&`."""
    commands = []
    for document in DOCUMENTS:
        for block in re.findall(r"```bash\n(.*?)```", (REPO / document).read_text(), re.S):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.split("  #")[0].split("&&")[-1].strip()
                if line.startswith("hwsim "):
                    commands.append(" ".join(line.split()))
    return list(dict.fromkeys(commands))


def _skip_reason(command: str) -> str | None:
    return next((why for prefix, why in SKIPPED.items() if command.startswith(prefix)), None)


def _can_build_offline() -> bool:
    return all(importlib.util.find_spec(name) for name in ("setuptools", "wheel"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ folder of a fresh environment holding the wheel of this tree."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"  # a copy, so the build writes no build/ or *.egg-info into the tree
    source.mkdir()
    for name in BUILD_FILES:
        shutil.copy(REPO / name, source / name)
    for name in BUILD_FOLDERS:
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    isolation = ["--no-build-isolation"] if _can_build_offline() else []
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *isolation, "-w", str(root / "dist"),
                    str(source)], check=True)
    wheel = next((root / "dist").glob("hwsim-*.whl"))
    env_dir = root / "env"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "_running_env_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True)
    return env_dir / "bin"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("user")
    import numpy as np

    rng = np.random.default_rng(0)
    np.save(folder / "w.npy", rng.normal(size=(64, 128)).astype(np.float32))
    np.save(folder / "g.npy", rng.normal(size=(64, 128)).astype(np.float32))
    return folder


def _wheel_env(bin_dir: Path) -> dict[str, str]:
    """The environment's bin/ first, and no PYTHONPATH (which could import a checkout instead of the wheel)."""
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "MPLBACKEND": "Agg"}
    env.pop("PYTHONPATH", None)
    return env


def _run(bin_dir: Path, command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run one command as a shell would, `> FILE` included (the only redirection the documents use)."""
    argv = shlex.split(command)
    target = None
    if ">" in argv:
        argv, target = argv[:argv.index(">")], argv[argv.index(">") + 1]
    done = subprocess.run([str(bin_dir / argv[0]), *argv[1:]], cwd=cwd, env=_wheel_env(bin_dir), capture_output=True,
                          text=True)
    if target is not None:
        (cwd / target).write_text(done.stdout)
    return done


def test_the_wheel_is_what_runs(installed, workdir):
    done = subprocess.run([str(installed / "python"), "-c", "import hwsim; print(hwsim.__file__)"], cwd=workdir,
                          env=_wheel_env(installed), capture_output=True, text=True, check=True)
    assert Path(done.stdout.strip()).is_relative_to(installed.parent)
    version = _run(installed, "hwsim --version", workdir)
    assert version.returncode == 0 and re.fullmatch(r"hwsim \d+\.\d+\.\d+\n", version.stdout)


def test_the_wheel_carries_the_schemas(installed, workdir):
    done = _run(installed, "hwsim schema device", workdir)
    assert done.returncode == 0 and json.loads(done.stdout)["title"].startswith("hwsim device spec")
    code = "from hwsim.specs.schema import SPEC_MODELS, schema_file; print(all(schema_file(k).is_file() for k in SPEC_MODELS))"
    shipped = subprocess.run([str(installed / "python"), "-c", code], cwd=workdir, env=_wheel_env(installed),
                             capture_output=True, text=True)
    assert shipped.stdout.strip() == "True", shipped.stderr


def _spec_files(root: Path) -> dict[str, str]:
    """relative path -> sha256 of every YAML and JSON file under root's devices/, workloads/ and schemas/."""
    import hashlib

    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in BUILD_FOLDERS[1:] for p in sorted((root / folder).rglob("*")) if p.suffix in (".yaml", ".json")}


def test_the_wheel_carries_the_top_level_spec_folders(installed, workdir):
    """devices/, workloads/ and schemas/ of the tree, byte for byte, under the installed package (hwsim/_specs/),
    where hwsim.io.paths finds them; a shipped file is shown as in a checkout (devices/NAME.yaml)."""
    code = ("import json, hashlib; from hwsim.io.paths import DATA_DIR, PACKAGE_DIR, DEVICES_DIR, display_path; "
            "files = {p.relative_to(DATA_DIR).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() "
            "for p in sorted(DATA_DIR.rglob('*')) if p.suffix in ('.yaml', '.json')}; "
            "print(json.dumps({'root': DATA_DIR.relative_to(PACKAGE_DIR).as_posix(), 'files': files, "
            "'shown': display_path(DEVICES_DIR / 'tpu_v5e.yaml')}))")
    done = subprocess.run([str(installed / "python"), "-c", code], cwd=workdir, env=_wheel_env(installed),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["root"] == "_specs" and found["shown"] == "devices/tpu_v5e.yaml"
    assert found["files"] == _spec_files(REPO) and len(found["files"]) > 40


def test_the_documents_hold_the_readme_commands_that_moved():
    """README commands moved into docs/ pages (issue 29) are still run here."""
    commands = readme_commands()
    assert len(commands) >= 35
    for moved in ("hwsim gemm --device h100_sxm", "hwsim simulate dblstm_hmm_300 int4", "hwsim quantize w.npy",
                  "hwsim devices --template tpu_v5e", "hwsim simulate ibm_rnnt_swb int4 --device tpu_v5e"):
        assert any(command.startswith(moved) for command in commands), moved


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_runs_from_the_wheel(installed, workdir, command):
    why = _skip_reason(command)
    if why:
        pytest.skip(why)
    done = _run(installed, command, workdir)
    assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
    if target := (command.split(" > ")[1] if " > " in command else None):
        assert (workdir / target).stat().st_size > 0
    if "--json" in command.split():
        json.loads(done.stdout, parse_constant=lambda name: pytest.fail(f"{command}: non-strict JSON {name}"))
