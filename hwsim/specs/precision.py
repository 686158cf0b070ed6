"""PrecisionSpec: which tensor gets which number format, as written in hwsim/data/workloads/precisions/*.yaml.

Rules are applied in order; a later matching rule replaces the `weights` (or `activations`) setting of an
earlier one. `match.name` is a shell-style glob tested against tensor names (for weights) and op names
(for activations); `match.roles` limits a rule to tensors of those roles.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from hwsim.formats import FORMAT_BITS, NumberFormat, is_quantized  # noqa: F401  (re-exported)
from hwsim.specs.base import SpecModel


class Granularity(str, Enum):
    PER_TENSOR = "per_tensor"
    PER_CHANNEL = "per_channel"
    SUB_CHANNEL = "sub_channel"


class MetadataDtype(str, Enum):
    F32 = "f32"
    BF16 = "bf16"
    INT8 = "int8"  # "double quantization": scales/zero points stored as int8 with one f32 scale per vector


METADATA_BITS: dict[MetadataDtype, int] = {MetadataDtype.F32: 32, MetadataDtype.BF16: 16, MetadataDtype.INT8: 8}

QUANTIZER_NAMES = ("absmean", "absmean_centered", "absmax", "absmax_asym", "max", "sawb", "pact", "pact_plus",
                   "pact_sym", "bac", "none")


class _Spec(SpecModel):
    """Closed keys, frozen, finite numbers, no booleans for numbers (hwsim.specs.base)."""


class WeightFormatSpec(_Spec):
    format: NumberFormat
    granularity: Granularity = Granularity.PER_CHANNEL
    block_size: Annotated[int, Field(gt=0)] | None = None
    block_axis: str = "contracting"     # 'contracting' = praxis's choice (largest contracting axis) or an axis name
    symmetric: bool = True
    metadata_dtype: MetadataDtype = MetadataDtype.F32
    quantizer: Literal[QUANTIZER_NAMES] | None = None  # type: ignore[valid-type]
    container_bits: Annotated[int, Field(gt=0)] | None = None  # e.g. 8: praxis stores ±1 codes in int8

    @model_validator(mode="after")
    def _consistent(self) -> "WeightFormatSpec":
        quantized = is_quantized(self.format)
        if self.granularity is Granularity.SUB_CHANNEL and self.block_size is None:
            raise ValueError("expected block_size with granularity sub_channel")
        if self.block_size is not None and self.granularity is not Granularity.SUB_CHANNEL:
            raise ValueError("expected block_size only with granularity sub_channel")
        if self.format is NumberFormat.BINARY and not self.symmetric:
            raise ValueError("expected symmetric: true for binary (use int1 for the asymmetric 1-bit format)")
        if self.format is NumberFormat.INT1 and self.symmetric:
            raise ValueError("expected symmetric: false for int1 (2 levels need a zero point; use binary for ±1)")
        if self.container_bits is not None and self.container_bits < FORMAT_BITS[self.format]:
            raise ValueError(f"expected container_bits >= {FORMAT_BITS[self.format]} for {self.format.value}")
        if not quantized and self.quantizer not in (None, "none"):
            raise ValueError(f"expected no quantizer for the float format {self.format.value}")
        return self


class ActivationFormatSpec(_Spec):
    format: NumberFormat
    symmetric: bool = True
    quantizer: Literal[QUANTIZER_NAMES] | None = None  # type: ignore[valid-type]
    clip_alpha: Annotated[float, Field(gt=0)] | None = None  # BAC / PACT initial bound


class MatchSpec(_Spec):
    name: str = "*"
    roles: tuple[Literal["weight", "bias", "norm", "embedding", "conv", "stats"], ...] | None = None


class RuleSpec(_Spec):
    label: str = ""
    match: MatchSpec
    weights: WeightFormatSpec | None = None
    activations: ActivationFormatSpec | None = None

    @model_validator(mode="after")
    def _sets_something(self) -> "RuleSpec":
        if self.weights is None and self.activations is None:
            raise ValueError("expected 'weights' and/or 'activations' in the rule")
        return self


class DefaultsSpec(_Spec):
    weights: WeightFormatSpec = WeightFormatSpec(format=NumberFormat.FLOAT32)
    activations: ActivationFormatSpec = ActivationFormatSpec(format=NumberFormat.FLOAT32)


class PrecisionSpec(_Spec):
    schema_version: Literal[1]
    name: str
    description: str = ""
    source: str = ""
    workloads: tuple[str, ...] = ()   # workloads the config was written for (informational)
    defaults: DefaultsSpec = DefaultsSpec()
    rules: tuple[RuleSpec, ...] = ()
