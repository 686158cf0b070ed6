"""Writing run outputs safely: into a temporary sibling folder renamed at the end, never half-written."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import yaml


@contextlib.contextmanager
def atomic_output_dir(final_dir: str | Path) -> Iterator[Path]:
    """Yield a temporary folder; on success its files are moved into `final_dir` (created if needed).

    Files already in `final_dir` with the same names are replaced; nothing is written when the body raises.
    """
    final_dir = Path(final_dir)
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final_dir.name}.", dir=final_dir.parent))
    try:
        yield staging
        final_dir.mkdir(parents=True, exist_ok=True)
        for item in staging.iterdir():
            target = final_dir / item.name
            if target.is_dir():
                shutil.rmtree(target)
            item.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write a file through a temporary sibling and rename, so a failure leaves no partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def write_resolved_config(directory: Path, resolved: dict[str, Any], name: str = "resolved_config.yaml") -> Path:
    """Write the fully resolved inputs of a run next to its outputs, so the run can be repeated."""
    path = Path(directory) / name
    path.write_text(yaml.safe_dump(json.loads(json.dumps(resolved, default=str)), sort_keys=False))
    return path
