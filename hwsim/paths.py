"""Where shipped specs live, and how a user's NAME-or-PATH argument becomes a file."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from hwsim.errors import SpecError, did_you_mean

# The shipped specs are package data (hwsim/data/...), so a wheel install carries them. setuptools installs
# packages unzipped, so the resource root is a real folder and plain Path operations apply.
DATA_DIR = Path(str(files("hwsim") / "data"))
DEVICES_DIR = DATA_DIR / "devices"
MODELS_DIR = DATA_DIR / "workloads" / "models"
PRECISIONS_DIR = DATA_DIR / "workloads" / "precisions"
CLAIMS_DIR = DATA_DIR / "workloads" / "claims"
SPEEDUP_CLAIMS_DIR = CLAIMS_DIR / "speedups"  # published speed-ups drawn on sweep plots (not size claims)
# Paths in messages and reports are shown relative to the folder holding the package (hwsim/data/...), which is
# the repository root in a source checkout and site-packages in an install: the same text on every machine.
REPO_ROOT = DATA_DIR.parents[1]
REPORTS_DIR = REPO_ROOT / "reports"


def display_path(path: str | Path) -> str:
    """Shipped files relative to the repository (workloads/models/x.yaml), others as given: reports and error
    messages stay the same on every clone."""
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def shipped_names(directory: Path) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml"))


def resolve_spec_path(name_or_path: str | Path, directory: Path, kind: str) -> Path:
    """A shipped name (file stem under `directory`, or `sub/stem`) or an existing path -> the YAML file.

    Raises:
        SpecError: neither a shipped name nor an existing file.
    """
    text = str(name_or_path)
    candidate = Path(text)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if candidate.is_file():
            return candidate
        raise SpecError(text, "", f"{kind} file not found")
    shipped = directory / f"{text}.yaml"
    if shipped.is_file():
        return shipped
    names = shipped_names(directory)
    raise SpecError(None, kind, f"unknown {kind} {text!r}{did_you_mean(text, names)}; shipped: {', '.join(names)} (or give a path to a .yaml file)")
