"""account_size: bits of every tensor under a precision plan, and the totals users quote.

Counting rules (all integers, bits):
- values: params x value_bits, packed along the block/contracting axis into bytes per row, so a row whose
  bit length is not a multiple of 8 is padded (`padding_bits`); a `container_bits` setting (e.g. praxis
  storing ±1 codes in int8) stores every value in that many bits instead.
- metadata: one scale per entry (per tensor / per output channel / per sub-channel block), plus one zero
  point per entry when asymmetric, each in the metadata dtype. int8 metadata ("double quantization") adds
  one f32 scale per metadata vector (the second-level scale of a symmetric per-tensor int8 quantizer).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from hwsim.graph.model import Graph, Tensor
from hwsim.precision.plan import PrecisionPlan, TensorPrecision
from hwsim.specs.precision import METADATA_BITS, MetadataDtype, NumberFormat, is_quantized
from hwsim.units import BITS_PER_BYTE

F32_BITS = 32
SECOND_LEVEL_SCALE_BITS = 32


@dataclass(frozen=True)
class TensorSize:
    name: str
    component: str
    role: str
    shape: tuple[int, ...]
    params: int
    format: NumberFormat
    value_bits: int
    padding_bits: int
    metadata_bits: int
    metadata_entries: int = 0      # scales (each with a zero point when `zero_point`)
    zero_point: bool = False

    @property
    def total_bits(self) -> int:
        return self.value_bits + self.padding_bits + self.metadata_bits


@dataclass(frozen=True)
class SizeReport:
    workload: str
    precision: str
    tensors: tuple[TensorSize, ...]

    @property
    def total_params(self) -> int:
        return sum(t.params for t in self.tensors)

    @property
    def quantized_params(self) -> int:
        return sum(t.params for t in self.tensors if is_quantized(t.format))

    @property
    def total_bits(self) -> int:
        return sum(t.total_bits for t in self.tensors)

    @property
    def metadata_bits(self) -> int:
        return sum(t.metadata_bits for t in self.tensors)

    @property
    def padding_bits(self) -> int:
        return sum(t.padding_bits for t in self.tensors)

    @property
    def f32_bits(self) -> int:
        return self.total_params * F32_BITS

    @property
    def reduction_vs_f32(self) -> float:
        return self.f32_bits / self.total_bits

    def params_by_format(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for t in self.tensors:
            totals[t.format.value] += t.params
        return dict(totals)

    def by(self, attribute: str) -> dict[str, dict[str, int]]:
        """{group: {params, bits, metadata_bits}} grouped by 'component' or 'role'."""
        groups: dict[str, dict[str, int]] = {}
        for t in self.tensors:
            g = groups.setdefault(getattr(t, attribute), {"params": 0, "bits": 0, "metadata_bits": 0})
            g["params"] += t.params
            g["bits"] += t.total_bits
            g["metadata_bits"] += t.metadata_bits
        return groups

    def to_dict(self) -> dict[str, object]:
        return {
            "workload": self.workload,
            "precision": self.precision,
            "total_params": self.total_params,
            "quantized_params": self.quantized_params,
            "total_bits": self.total_bits,
            "value_bits": self.total_bits - self.metadata_bits - self.padding_bits,
            "metadata_bits": self.metadata_bits,
            "padding_bits": self.padding_bits,
            "f32_bits": self.f32_bits,
            "total_bytes": self.total_bits / BITS_PER_BYTE,
            "reduction_vs_f32": self.reduction_vs_f32,
            "params_by_format": self.params_by_format(),
            "by_component": self.by("component"),
            "by_role": self.by("role"),
        }


def _pack_axis(tensor: Tensor, precision: TensorPrecision) -> int:
    if precision.block_axis is not None:
        return precision.block_axis
    if tensor.contract_axes:
        return max(tensor.contract_axes, key=lambda a: tensor.shape[a])
    return len(tensor.shape) - 1


def value_and_padding_bits(tensor: Tensor, precision: TensorPrecision) -> tuple[int, int]:
    """(value bits, padding bits) of the stored codes."""
    value_bits = tensor.params * precision.value_bits
    if precision.container_bits is not None:
        return value_bits, tensor.params * (precision.container_bits - precision.value_bits)
    if precision.value_bits % BITS_PER_BYTE == 0:
        return value_bits, 0
    row_length = tensor.shape[_pack_axis(tensor, precision)]
    rows = tensor.params // row_length
    row_bits = row_length * precision.value_bits
    padded = math.ceil(row_bits / BITS_PER_BYTE) * BITS_PER_BYTE
    return value_bits, rows * (padded - row_bits)


def metadata_bits(precision: TensorPrecision) -> int:
    """Scales (+ zero points) in the metadata dtype; int8 adds a f32 second-level scale per vector."""
    if not precision.quantized:
        return 0
    vectors = 2 if precision.has_zero_point else 1
    bits = precision.metadata_entries * vectors * METADATA_BITS[precision.metadata_dtype]
    if precision.metadata_dtype is MetadataDtype.INT8:
        bits += vectors * SECOND_LEVEL_SCALE_BITS
    return bits


def account_size(graph: Graph, plan: PrecisionPlan) -> SizeReport:
    """Size of every tensor of `graph` stored as `plan` says."""
    sizes = []
    for tensor in graph.tensors:
        precision = plan.tensor(tensor.name)
        values, padding = value_and_padding_bits(tensor, precision)
        sizes.append(TensorSize(tensor.name, tensor.component.value, tensor.role.value, tensor.shape, tensor.params,
                                precision.format, values, padding, metadata_bits(precision),
                                precision.metadata_entries, precision.has_zero_point))
    return SizeReport(graph.name, plan.name, tuple(sizes))
