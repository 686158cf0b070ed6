"""Where shipped specs live, and how a user's NAME-or-PATH argument becomes a file."""

from __future__ import annotations

import os
import re
from importlib.resources import files
from pathlib import Path

from hwsim.errors import SpecError, did_you_mean

# The shipped specs live in top-level folders (devices/, workloads/, and schemas/ for the JSON Schemas their first
# lines name), where the design puts them and a user of a checkout looks. An install has no checkout: setup.py's
# build step copies the same folders into the package as hwsim/_specs/, which importlib.resources finds. setuptools
# installs packages unzipped, so the resource root is a real folder and plain Path operations apply.
PACKAGE_DIR = Path(str(files("hwsim")))
# The folder holding the package: the repository root in a checkout (editable install or PYTHONPATH), site-packages
# in an install. Files under it that are not shipped specs (tests/..., reports/...) are shown relative to it.
REPO_ROOT = PACKAGE_DIR.parent
INSTALLED_SPECS_DIR = PACKAGE_DIR / "_specs"
# The folder holding devices/, workloads/ and schemas/: the checkout's root, or hwsim/_specs in an install.
DATA_DIR = INSTALLED_SPECS_DIR if INSTALLED_SPECS_DIR.is_dir() else REPO_ROOT
DEVICES_DIR = DATA_DIR / "devices"
WORKLOADS_DIR = DATA_DIR / "workloads"
MODELS_DIR = WORKLOADS_DIR / "models"
PRECISIONS_DIR = WORKLOADS_DIR / "precisions"
CLAIMS_DIR = WORKLOADS_DIR / "claims"
SPEEDUP_CLAIMS_DIR = CLAIMS_DIR / "speedups"  # published speed-ups drawn on sweep plots (not size claims)
SCHEMAS_DIR = DATA_DIR / "schemas"
# Files the code reads that are no spec a user picks or edits (the trained reference's weights): package data.
PACKAGE_DATA_DIR = PACKAGE_DIR / "data"
SHIPPED_DIRS = (DEVICES_DIR, WORKLOADS_DIR, SCHEMAS_DIR, PACKAGE_DATA_DIR)
REPORTS_DIR = REPO_ROOT / "reports"


def is_shipped(path: str | Path) -> bool:
    """A file hwsim ships (a spec, a schema, package data), wherever it is installed."""
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to(directory.resolve()) for directory in SHIPPED_DIRS)


def display_path(path: str | Path) -> str:
    """Shipped specs relative to the folder holding devices/ and workloads/ (devices/x.yaml in a checkout and an
    install alike), other files under the repository relative to it, others as given: reports and error messages
    stay the same on every clone."""
    resolved = Path(path).resolve()
    for root in (DATA_DIR, REPO_ROOT):
        try:
            return resolved.relative_to(root).as_posix()
        except ValueError:
            continue
    return str(path)


def displayed_file(text: str) -> Path:
    """The file a display_path() text names (absolute as given; relative to the shipped specs' folder when the file
    is there, else to the repository): reads back the device paths that reports and resolved configs record."""
    path = Path(text)
    if path.is_absolute():
        return path
    return DATA_DIR / path if (DATA_DIR / path).exists() else REPO_ROOT / path


def user_path(path: str | Path) -> str:
    """A path for messages that opens from where the user ran hwsim: relative to the current folder when the file
    lies under it (from a checkout's root a shipped file prints devices/..., as reports name it), a shipped file
    elsewhere absolute (an install's site-packages), any other path as the user gave it."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):  # not under the current folder, or the current folder is gone
        return str(resolved) if is_shipped(resolved) else str(path)


SPEC_PATH_ENV = "HWSIM_SPEC_PATH"
# A plain name: letters, digits, '_', '-', '.', not starting with '.'; never a separator, so never a path.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}")
_flag_spec_dirs: list[Path] = []


def is_plain_name(text: str) -> bool:
    return bool(NAME_PATTERN.fullmatch(text)) and not text.endswith((".yaml", ".yml"))


def looks_like_path(text: str) -> bool:
    """Anything with a path separator (or a .yaml suffix) is a path the user gave, never a shipped name."""
    return "/" in text or os.sep in text or (os.altsep or "/") in text or text.endswith((".yaml", ".yml"))


def set_flag_spec_dirs(directories: list[str] | None) -> None:
    """`--spec-dir DIR` (repeatable): user spec folders searched before HWSIM_SPEC_PATH and the shipped specs."""
    _flag_spec_dirs[:] = [Path(d) for d in directories or []]
    for directory in _flag_spec_dirs:
        if not directory.is_dir():
            raise SpecError(None, "--spec-dir", "expected an existing folder", str(directory))


def user_spec_dirs() -> list[Path]:
    """--spec-dir folders, then HWSIM_SPEC_PATH's (os.pathsep-separated); each laid out like the shipped specs
    (devices/, workloads/models/, workloads/precisions/[WORKLOAD/], workloads/claims/)."""
    from_env = [Path(p) for p in os.environ.get(SPEC_PATH_ENV, "").split(os.pathsep) if p]
    return [*_flag_spec_dirs, *from_env]


def search_dirs(directory: Path) -> list[Path]:
    """The user folders' counterparts of a shipped folder (e.g. DIR/devices for DEVICES_DIR), then the shipped one."""
    relative = directory.relative_to(DATA_DIR)
    return [user / relative for user in user_spec_dirs()] + [directory]


def shipped_names(directory: Path) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml"))


def find_named_spec(name: str, directories: list[Path]) -> Path | None:
    """The first `NAME.yaml` in `directories` (a plain name only: never joined when it could climb out)."""
    if not is_plain_name(name):
        return None
    for directory in directories:
        candidate = directory / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    return None


def resolve_spec_path(name_or_path: str | Path, directory: Path, kind: str) -> Path:
    """A plain name (a file stem in a user spec folder or under `directory`) or a path -> the YAML file.

    Raises:
        SpecError: a path that is not a file; a name that is not a plain identifier or not found.
    """
    text = str(name_or_path)
    candidate = Path(text)
    if looks_like_path(text) or candidate.exists():
        if candidate.is_file():
            return candidate
        raise SpecError(text, "", f"expected an existing {kind} file, got none (not found; a name without '/' "
                                  f"selects a shipped {kind})")
    if not is_plain_name(text):
        raise SpecError(None, kind, f"expected a {kind} name (letters, digits, '_', '-', '.') or a path to a .yaml file", text)
    found = find_named_spec(text, search_dirs(directory))
    if found is not None:
        return found
    names = sorted({n for d in search_dirs(directory) for n in shipped_names(d)})
    raise SpecError(None, kind, f"unknown {kind} {text!r}{did_you_mean(text, names)}; known: {', '.join(names)} (or give a path to a .yaml file)")
