"""Turn one tensor's precision-plan entry into a hwsim.quant call on its scale-group layout.

The plan names the quantizer and the granularity; this module picks the registry kind that implements
exactly that granularity, or raises a SpecError naming the tensor, the rule and what is supported. It
never changes the granularity silently.

| plan quantizer              | per_tensor       | per_channel                         | sub_channel |
|-----------------------------|------------------|-------------------------------------|-------------|
| absmean, absmean_centered   | praxis, 1 scale  | praxis, per row                     | praxis, per block |
| absmax, absmax_asym         | praxis, 1 scale  | praxis, per row                     | praxis, per block |
| max                         | fms `max`        | fms `max_per_channel`               | error       |
| sawb                        | fms `sawb`       | fms `sawb_per_channel` ('sawb+perCh', fms's only per-channel SAWB) | error |
| pact, pact_plus, pact_sym, bac, none | error: activation quantizers, not weight quantizers |

Bits come from the format: binary and int1 = 1, int2 = 2, int4 = 4, int8 = 8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.errors import SpecError
from hwsim.precision.plan import TensorPrecision
from hwsim.quant.api import quantize
from hwsim.quant.common import QuantizerKind, QuantResult, QuantSettings
from hwsim.quant.registry import REGISTRY
from hwsim.specs.precision import Granularity, NumberFormat

PRAXIS_KINDS = {"absmean": QuantizerKind.ABSMEAN, "absmean_centered": QuantizerKind.ABSMEAN_CENTERED,
                "absmax": QuantizerKind.ABSMAX, "absmax_asym": QuantizerKind.ABSMAX_ASYM}
FMS_KINDS = {  # plan name -> (per-tensor kind, per-channel kind)
    "max": (QuantizerKind.MAX, QuantizerKind.MAX_PER_CHANNEL),
    "sawb": (QuantizerKind.SAWB, QuantizerKind.SAWB_PER_CHANNEL),
}
ASYMMETRIC_KINDS = frozenset({QuantizerKind.ABSMAX_ASYM})


@dataclass(frozen=True)
class WeightQuantizer:
    """One tensor's quantizer call: the registry kind, its settings, and whether it reduces per row."""

    tensor: str
    kind: QuantizerKind
    bits: int
    per_row: bool  # True: one scale per row of the [groups, group_length] matrix; False: one per tensor

    def settings(self) -> QuantSettings:
        return QuantSettings(bits=self.bits, contract_axes=(1,) if self.per_row else (0, 1))

    def run(self, groups: np.ndarray) -> QuantResult:
        """Quantize a [rows, groups_per_row, group_length] array; the result keeps the 2-D group layout."""
        matrix = groups.reshape(-1, groups.shape[-1])
        return quantize(matrix, self.kind, self.settings())


def _rule_error(precision: TensorPrecision, file: str | None, field: str, expected: str, got: object) -> SpecError:
    key = "defaults.weights" if precision.rule is None else f"rules[{precision.rule}].weights"
    return SpecError(file, f"{key}.{field}", f"{expected} (tensor {precision.tensor})", got)


def weight_quantizer(precision: TensorPrecision, file: str | None = None) -> WeightQuantizer:
    """The registry call implementing a quantized tensor's plan entry.

    Raises:
        SpecError: an activation quantizer, a granularity or bit width the quantizer lacks, or a
            symmetry the quantizer cannot produce; the message names the rule and the tensor.
    """
    name, granularity = precision.quantizer, precision.granularity
    per_tensor = granularity is Granularity.PER_TENSOR
    if name in PRAXIS_KINDS:
        kind = PRAXIS_KINDS[name]
    elif name in FMS_KINDS:
        if granularity is Granularity.SUB_CHANNEL:
            raise _rule_error(precision, file, "granularity", f"per_tensor or per_channel for quantizer {name!r} "
                              "(fms_mo); sub-channel blocks need a praxis quantizer (absmean, absmax, "
                              "absmax_asym)", granularity.value)
        kind = FMS_KINDS[name][0 if per_tensor else 1]
    else:
        raise _rule_error(precision, file, "quantizer", "a weight quantizer (absmean, absmean_centered, absmax, "
                          "absmax_asym, max, sawb)", name)
    bits = precision.value_bits
    _check_kind(precision, file, kind, bits)
    return WeightQuantizer(precision.tensor, kind, bits, per_row=not per_tensor)


def _check_kind(precision: TensorPrecision, file: str | None, kind: QuantizerKind, bits: int) -> None:
    allowed = REGISTRY[kind].bits
    if bits not in allowed:
        shown = ", ".join(str(b) for b in allowed) if len(allowed) < 10 else f"{allowed[0]}..{allowed[-1]}"
        raise _rule_error(precision, file, "format", f"one of {{{shown}}} bits for quantizer {kind.value!r}",
                          precision.format.value)
    asymmetric = kind in ASYMMETRIC_KINDS
    if asymmetric == precision.symmetric:
        wanted = "symmetric: false" if asymmetric else "symmetric: true"
        raise _rule_error(precision, file, "symmetric", f"{wanted} for quantizer {kind.value!r}",
                          precision.symmetric)


def code_range(kind: QuantizerKind, bits: int) -> tuple[int, int]:
    """Lowest and highest integer code the kind can emit (dequant = code * scale - zero_point).

    | kind family                         | codes                         |
    |-------------------------------------|-------------------------------|
    | absmean, absmean_centered           | -1, +1                        |
    | absmax, absmax_asym (praxis)        | -2^(b-1) .. 2^(b-1)-1          |
    | max, sawb (+ per-channel, zero-aligned) | -(2^(b-1)-1) .. 2^(b-1)-1  |
    | sawb_unaligned                      | 0 .. 2^b-1 (zero_point = clip)|
    """
    if kind in (QuantizerKind.ABSMEAN, QuantizerKind.ABSMEAN_CENTERED):
        return -1, 1
    if kind in (QuantizerKind.ABSMAX, QuantizerKind.ABSMAX_ASYM):
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if kind is QuantizerKind.SAWB_UNALIGNED:
        return 0, 2**bits - 1
    return -(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1


CAST_FORMATS = (NumberFormat.FP16, NumberFormat.BF16)
SKIPPED_FORMATS = {  # float formats hwsim does not model numerically, with the reason printed in the output
    NumberFormat.FP8_E4M3: "fp8 cast not modelled",
    NumberFormat.FP8_E5M2: "fp8 cast not modelled",
    NumberFormat.HFP8: "hfp8 cast not modelled",
}
FP16_MAX = float(np.finfo(np.float16).max)
BF16_MAX = float(np.frombuffer(np.uint32(0x7F7F0000).tobytes(), np.float32)[0])


def round_to_bf16(values: np.ndarray) -> np.ndarray:
    """f32 -> nearest bf16 (round to nearest, ties to even on the 16 dropped mantissa bits), as f32."""
    bits = np.ascontiguousarray(values, np.float32).view(np.uint32)
    rounding = np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))
    return ((bits + rounding) & np.uint32(0xFFFF0000)).view(np.float32)


def cast(values: np.ndarray, fmt: NumberFormat) -> tuple[np.ndarray, float]:
    """(values cast to fmt and back to f32, largest finite magnitude of fmt) for fp16 and bf16."""
    values = np.asarray(values, np.float32)
    if fmt is NumberFormat.FP16:
        with np.errstate(over="ignore"):
            return values.astype(np.float16).astype(np.float32), FP16_MAX
    if fmt is NumberFormat.BF16:
        return round_to_bf16(values), BF16_MAX
    raise ValueError(f"no cast model for {fmt.value}")
