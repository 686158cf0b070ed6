"""Load shipped-or-path specs with overrides: the only place the pipeline turns names into specs.

Building the graph and precision plan from them is hwsim.precision.resolved (specs/ sits below graph/ and precision/).
"""

from __future__ import annotations

from pathlib import Path

from hwsim.errors import SpecError, did_you_mean
from hwsim.io.limits import check_workload_limits
from hwsim.io.paths import (
    MODELS_DIR, PRECISIONS_DIR, find_named_spec, is_plain_name, looks_like_path, resolve_spec_path, search_dirs,
    shipped_names, user_path,
)
from hwsim.specs.load import read_yaml, validate_spec
from hwsim.specs.overrides import apply_overrides
from hwsim.specs.precision import PrecisionSpec
from hwsim.specs.workload import WorkloadSpec


def load_workload_spec(name_or_path: str | Path, overrides: list[str] | None = None) -> tuple[WorkloadSpec, Path]:
    path = resolve_spec_path(name_or_path, MODELS_DIR, "workload")
    shown = user_path(path)
    data = apply_overrides(read_yaml(path), overrides or [], shown)
    spec = validate_spec(WorkloadSpec, data, shown)
    check_workload_limits(spec, shown)
    return spec, path


def precision_search_dirs(workload: WorkloadSpec) -> list[Path]:
    """A workload's own precision folder first, then the generic configs (fp32, fp16, bf16); user spec folders
    (--spec-dir, HWSIM_SPEC_PATH) before the shipped ones. The folder name is a plain name, never a path."""
    folder = workload.precisions_dir or workload.name
    if not is_plain_name(folder):
        raise SpecError(None, "precisions_dir", "expected a folder name (letters, digits, '_', '-', '.'), not a path",
                        folder)
    return [*search_dirs(PRECISIONS_DIR / folder), *search_dirs(PRECISIONS_DIR)]


def resolve_precision_path(name_or_path: str | Path, workload: WorkloadSpec) -> Path:
    text = str(name_or_path)
    if looks_like_path(text) or Path(text).exists() or not is_plain_name(text):
        return resolve_spec_path(text, PRECISIONS_DIR, "precision")
    found = find_named_spec(text, precision_search_dirs(workload))
    if found is not None:
        return found
    names = sorted({n for d in precision_search_dirs(workload) for n in shipped_names(d)})
    raise SpecError(None, "precision", f"unknown precision {text!r} for workload {workload.name!r}"
                    f"{did_you_mean(text, names)}; shipped: {', '.join(names)} (or give a path to a .yaml file)")


def load_precision_spec(name_or_path: str | Path, workload: WorkloadSpec,
                        overrides: list[str] | None = None) -> tuple[PrecisionSpec, Path]:
    """`overrides` edit the precision file (e.g. `defaults.activations.format=bf16`), as --precision-set does."""
    path = resolve_precision_path(name_or_path, workload)
    shown = user_path(path)
    data = apply_overrides(read_yaml(path), overrides or [], shown, flag="--precision-set")
    return validate_spec(PrecisionSpec, data, shown), path
