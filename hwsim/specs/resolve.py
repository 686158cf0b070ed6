"""Load shipped-or-path specs with overrides: the only place the pipeline turns names into specs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hwsim.errors import SpecError, did_you_mean, warn
from hwsim.formats import NumberFormat, is_quantized
from hwsim.graph.build import build_graph
from hwsim.graph.model import Graph
from hwsim.io.limits import check_workload_limits
from hwsim.io.paths import (
    MODELS_DIR, PRECISIONS_DIR, display_path, find_named_spec, is_plain_name, looks_like_path, resolve_spec_path,
    search_dirs, shipped_names, user_path,
)
from hwsim.precision.plan import PrecisionPlan, plan_precision
from hwsim.specs.load import read_yaml, validate_spec
from hwsim.specs.precision import MetadataDtype, PrecisionSpec
from hwsim.specs.overrides import apply_overrides, parse_override
from hwsim.specs.workload import WorkloadSpec


def load_workload_spec(name_or_path: str | Path, overrides: list[str] | None = None) -> tuple[WorkloadSpec, Path]:
    path = resolve_spec_path(name_or_path, MODELS_DIR, "workload")
    shown = user_path(path)
    data = apply_overrides(read_yaml(path), overrides or [], shown)
    spec = validate_spec(WorkloadSpec, data, shown)
    check_workload_limits(spec, shown)
    return spec, path


def load_workload(name_or_path: str | Path, overrides: list[str] | None = None) -> Graph:
    """Shipped name or path (+ overrides) -> built graph."""
    spec, _ = load_workload_spec(name_or_path, overrides)
    return build_graph(spec)


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


@dataclass(frozen=True)
class ResolvedModel:
    """Everything the size, cost and QAT steps need, plus where it came from (for resolved-config files)."""

    workload_spec: WorkloadSpec
    workload_path: Path
    graph: Graph
    precision_spec: PrecisionSpec
    precision_path: Path
    plan: PrecisionPlan

    def resolved_config(self) -> dict[str, object]:
        return {
            "workload": {"path": display_path(self.workload_path), "spec": self.workload_spec.model_dump(mode="json")},
            "precision": {"path": display_path(self.precision_path), "spec": self.precision_spec.model_dump(mode="json")},
        }


def resolve_model(workload: str | Path, precision: str | Path, overrides: list[str] | None = None,
                  meta_dtype: str | None = None, precision_overrides: list[str] | None = None) -> ResolvedModel:
    """Workload + precision names (or paths) -> graph and precision plan, every error a SpecError."""
    workload_spec, workload_path = load_workload_spec(workload, overrides)
    graph = build_graph(workload_spec)
    precision_spec, precision_path = load_precision_spec(precision, workload_spec, precision_overrides)
    meta = MetadataDtype(meta_dtype) if meta_dtype else None
    plan = plan_precision(precision_spec, graph, user_path(precision_path), meta)
    for message in shadowed_overrides(precision_spec, plan, precision_overrides or []):
        warn(message)
    return ResolvedModel(workload_spec, workload_path, graph, precision_spec, precision_path, plan)


def shadowed_overrides(spec: PrecisionSpec, plan: PrecisionPlan, overrides: list[str]) -> list[str]:
    """One message per (--precision-set of `defaults.weights|activations...`, rule that decides some of the tensors
    or ops the defaults would otherwise set): rules win over defaults, so such an edit does not reach them."""
    messages = []
    for text in overrides:
        keys, value, _ = parse_override(text, "--precision-set")
        if keys[0] != "defaults":
            continue
        for part in [keys[1]] if len(keys) > 1 else ["weights", "activations"]:
            decided = [t.rule for t in plan.tensors] if part == "weights" else [o.rule for o in plan.ops]
            for index in sorted({rule for rule in decided if rule is not None}):
                rule, count = spec.rules[index], decided.count(index)
                if _rule_value(getattr(rule, part), keys[2:]) == value:
                    continue  # the rule already says the same (e.g. edited alongside)
                what = "tensors' weights" if part == "weights" else "ops' activations"
                messages.append(f"--precision-set {text}: rules[{index}] ({rule.label or 'no label'}, match "
                                f"{rule.match.name}) sets {count} {what} and rules win over defaults, so the edit does "
                                f"not reach them; to change them too: --precision-set "
                                f"'{_rule_override(index, part, keys[2:], value, text)}'")
    return messages


def _rule_value(node: object, keys: list[str]) -> object:
    """The rule's own setting at the override's sub-path (enum values as text), or None."""
    for key in keys:
        node = getattr(node, key, None)
    return getattr(node, "value", node) if keys else None


def _rule_override(index: int, part: str, rest: list[str], value: object, text: str) -> str:
    """The same edit at rule level; a float format replaces the whole mapping (a quantizer or block size would
    not fit a float format)."""
    raw = text.split("=", 1)[1].strip()
    if rest == ["format"] and isinstance(value, str) and value in NumberFormat._value2member_map_ \
            and not is_quantized(NumberFormat(value)):
        return f"rules[{index}].{part}={{format: {raw}}}"
    return f"rules[{index}].{'.'.join([part, *rest])}={raw}"
