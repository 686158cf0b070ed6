"""Workload and precision names (or paths) -> the built graph and its precision plan, every error a SpecError.

The spec loading itself is hwsim.specs.resolve; this module adds the steps above it (build_graph, plan_precision),
so specs/ imports neither graph/ nor precision/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hwsim.errors import warn
from hwsim.formats import NumberFormat, is_quantized
from hwsim.graph.architecture import build_graph
from hwsim.graph.model import Graph
from hwsim.io.paths import display_path, user_path
from hwsim.precision.plan import PrecisionPlan, plan_precision
from hwsim.specs.overrides import parse_override
from hwsim.specs.precision import MetadataDtype, PrecisionSpec
from hwsim.specs.resolve import load_precision_spec, load_workload_spec
from hwsim.specs.workload import WorkloadSpec


def load_workload(name_or_path: str | Path, overrides: list[str] | None = None) -> Graph:
    """Shipped name or path (+ overrides) -> built graph."""
    spec, _ = load_workload_spec(name_or_path, overrides)
    return build_graph(spec)


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
