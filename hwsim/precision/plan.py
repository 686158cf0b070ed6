"""plan_precision: resolve a PrecisionSpec's rules against a Graph, one entry per tensor and per op.

The plan mirrors what it configures, so printing it documents a run and can be golden-tested.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass

from hwsim.errors import SpecError
from hwsim.graph.model import Graph, Op, Tensor
from hwsim.specs.precision import (
    FORMAT_BITS, ActivationFormatSpec, Granularity, MetadataDtype, NumberFormat, PrecisionSpec, RuleSpec,
    WeightFormatSpec, is_quantized,
)


@dataclass(frozen=True)
class TensorPrecision:
    """How one tensor is stored.

    Attributes:
        metadata_entries: number of scales (and as many zero points when asymmetric).
        block_axis: index of the axis split into blocks (sub-channel) or None.
        rule: index of the deciding rule in the spec, None when the defaults apply.
    """

    tensor: str
    format: NumberFormat
    value_bits: int
    container_bits: int | None
    granularity: Granularity
    block_size: int | None
    block_axis: int | None
    symmetric: bool
    metadata_dtype: MetadataDtype
    metadata_entries: int
    quantizer: str | None
    rule: int | None

    @property
    def quantized(self) -> bool:
        return is_quantized(self.format)

    @property
    def has_zero_point(self) -> bool:
        return self.quantized and not self.symmetric


@dataclass(frozen=True)
class OpPrecision:
    """The activation format an op computes in (its weights' format is in the tensor entries)."""

    op: str
    activation_format: NumberFormat
    quantizer: str | None
    clip_alpha: float | None
    rule: int | None


@dataclass(frozen=True)
class PrecisionPlan:
    name: str
    workload: str
    tensors: tuple[TensorPrecision, ...]
    ops: tuple[OpPrecision, ...]

    def tensor(self, name: str) -> TensorPrecision:
        return self._tensor_index()[name]

    def op(self, name: str) -> OpPrecision:
        return self._op_index()[name]

    def _tensor_index(self) -> dict[str, TensorPrecision]:
        cache = self.__dict__.get("_tensor_cache")
        if cache is None:
            cache = {t.tensor: t for t in self.tensors}
            object.__setattr__(self, "_tensor_cache", cache)
        return cache

    def _op_index(self) -> dict[str, OpPrecision]:
        cache = self.__dict__.get("_op_cache")
        if cache is None:
            cache = {o.op: o for o in self.ops}
            object.__setattr__(self, "_op_cache", cache)
        return cache

    def __str__(self) -> str:
        lines = [f"precision plan {self.name!r} for {self.workload!r}"]
        for t in self.tensors:
            block = f" block={t.block_size}@axis{t.block_axis}" if t.block_size else ""
            meta = f" meta={t.metadata_entries}x{t.metadata_dtype.value}{'+zp' if t.has_zero_point else ''}" if t.quantized else ""
            lines.append(f"  {t.tensor}: {t.format.value} {t.granularity.value if t.quantized else ''}{block}{meta}".rstrip())
        for o in self.ops:
            lines.append(f"  op {o.op}: activations {o.activation_format.value}")
        return "\n".join(lines)


def _rule_matches_tensor(rule: RuleSpec, tensor: Tensor) -> bool:
    if not fnmatch.fnmatchcase(tensor.name, rule.match.name):
        return False
    return rule.match.roles is None or tensor.role.value in rule.match.roles


def _rule_matches_op(rule: RuleSpec, op: Op) -> bool:
    names = [op.name] + ([op.weight] if op.weight else [])
    return any(fnmatch.fnmatchcase(n, rule.match.name) for n in names)


def _block_axis(tensor: Tensor, fmt: WeightFormatSpec, key: str, file: str | None) -> int:
    """praxis picks the largest contracting axis; a named axis may be given instead."""
    if fmt.block_axis == "contracting":
        if not tensor.contract_axes:
            raise SpecError(file, key, f"a tensor with a contracting axis for sub-channel blocks ({tensor.name} has none)")
        return max(tensor.contract_axes, key=lambda axis: (tensor.shape[axis], -axis))
    if fmt.block_axis not in tensor.axes:
        raise SpecError(file, key, f"an axis of {tensor.name} ({', '.join(tensor.axes)}) or 'contracting'", fmt.block_axis)
    return tensor.axes.index(fmt.block_axis)


def _metadata_entries(tensor: Tensor, fmt: WeightFormatSpec, key: str, file: str | None) -> tuple[int, int | None]:
    """(number of scale entries, block axis) for a quantized tensor."""
    if fmt.granularity is Granularity.PER_TENSOR:
        return 1, None
    if not tensor.contract_axes:
        raise SpecError(file, f"{key}.granularity",
                        f"per_tensor for {tensor.name} (role {tensor.role.value} has no contracting axis); "
                        "restrict the rule with match.roles", fmt.granularity.value)
    contract_size = math.prod(tensor.shape[a] for a in tensor.contract_axes)
    if fmt.granularity is Granularity.PER_CHANNEL:
        return tensor.params // contract_size, None
    axis = _block_axis(tensor, fmt, f"{key}.block_axis", file)
    dim, block = tensor.shape[axis], fmt.block_size or 0
    if dim % block:
        raise SpecError(file, f"{key}.block_size",
                        f"a divisor of {dim} (axis '{tensor.axes[axis]}' of {tensor.name})", block)
    if axis in tensor.contract_axes:
        return tensor.params // (block * (contract_size // dim)), axis
    return tensor.params // (block * contract_size), axis  # blocks of an output axis share one contraction


def _tensor_precision(tensor: Tensor, fmt: WeightFormatSpec, rule: int | None, key: str, file: str | None,
                      meta_override: MetadataDtype | None) -> TensorPrecision:
    quantized = is_quantized(fmt.format)
    entries, axis = _metadata_entries(tensor, fmt, key, file) if quantized else (0, None)
    return TensorPrecision(
        tensor=tensor.name, format=fmt.format, value_bits=FORMAT_BITS[fmt.format], container_bits=fmt.container_bits,
        granularity=fmt.granularity, block_size=fmt.block_size if quantized else None, block_axis=axis,
        symmetric=fmt.symmetric, metadata_dtype=meta_override or fmt.metadata_dtype, metadata_entries=entries,
        quantizer=(fmt.quantizer or _default_quantizer(fmt)) if quantized else None, rule=rule,
    )


def _default_quantizer(fmt: WeightFormatSpec) -> str:
    if fmt.format is NumberFormat.BINARY:
        return "absmean"
    return "absmax" if fmt.symmetric else "absmax_asym"


def _op_precision(op: Op, spec: PrecisionSpec) -> OpPrecision:
    chosen: ActivationFormatSpec = spec.defaults.activations
    rule_index = None
    for index, rule in enumerate(spec.rules):
        if rule.activations is not None and _rule_matches_op(rule, op):
            chosen, rule_index = rule.activations, index
    return OpPrecision(op.name, chosen.format, chosen.quantizer, chosen.clip_alpha, rule_index)


def plan_precision(spec: PrecisionSpec, graph: Graph, file: str | None = None,
                   meta_dtype: MetadataDtype | None = None) -> PrecisionPlan:
    """Resolve every tensor's storage format and every op's activation format.

    Raises:
        SpecError: a rule matches nothing in the graph, or a block size does not divide its axis.
    """
    _check_every_rule_matches(spec, graph, file)
    tensors = []
    for tensor in graph.tensors:
        fmt, rule_index = spec.defaults.weights, None
        for index, rule in enumerate(spec.rules):
            if rule.weights is not None and _rule_matches_tensor(rule, tensor):
                fmt, rule_index = rule.weights, index
        key = "defaults.weights" if rule_index is None else f"rules[{rule_index}].weights"
        tensors.append(_tensor_precision(tensor, fmt, rule_index, key, file, meta_dtype))
    ops = tuple(_op_precision(op, spec) for op in graph.ops)
    return PrecisionPlan(spec.name, graph.name, tuple(tensors), ops)


def _check_every_rule_matches(spec: PrecisionSpec, graph: Graph, file: str | None) -> None:
    for index, rule in enumerate(spec.rules):
        hits_tensor = rule.weights is not None and any(_rule_matches_tensor(rule, t) for t in graph.tensors)
        hits_op = rule.activations is not None and any(_rule_matches_op(rule, o) for o in graph.ops)
        if not (hits_tensor or hits_op):
            roles = f" with roles {list(rule.match.roles)}" if rule.match.roles else ""
            raise SpecError(file, f"rules[{index}].match",
                            f"a pattern matching at least one tensor or op of workload {graph.name!r}{roles}",
                            rule.match.name)
