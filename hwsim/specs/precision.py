"""PrecisionSpec: which tensor gets which number format, as written in workloads/precisions/*.yaml.

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
    format: NumberFormat = Field(description="storage format of the weights")
    granularity: Granularity = Field(Granularity.PER_CHANNEL, description="one scale per tensor, per output "
                                     "channel, or per block of block_size weights (sub_channel)")
    block_size: Annotated[int, Field(gt=0)] | None = Field(None, description="weights per scale (sub_channel only)")
    block_axis: str = Field("contracting", description="axis the blocks run along: 'contracting' = praxis's choice "
                            "(largest contracting axis) or an axis name")
    symmetric: bool = Field(True, description="false adds a zero point per scale")
    metadata_dtype: MetadataDtype = Field(MetadataDtype.F32, description="dtype of scales and zero points "
                                          "(int8 = double quantization)")
    quantizer: Literal[QUANTIZER_NAMES] | None = Field(None, description="numerical quantizer for `hwsim qat` "  # type: ignore[valid-type]
                                                       "(praxis or fms-model-optimizer semantics)")
    container_bits: Annotated[int, Field(gt=0)] | None = Field(None, description="bits each code is stored in, "
                                                               "e.g. 8: praxis stores ±1 codes in int8")

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
    format: NumberFormat = Field(description="format the ops using these tensors read their activations in")
    symmetric: bool = Field(True, description="false adds a zero point")
    quantizer: Literal[QUANTIZER_NAMES] | None = Field(None, description="activation quantizer "  # type: ignore[valid-type]
                                                       "(fms-model-optimizer semantics)")
    clip_alpha: Annotated[float, Field(gt=0)] | None = Field(None, description="BAC / PACT initial clipping bound")


class MatchSpec(_Spec):
    name: str = Field("*", description="shell-style glob over tensor names (weights) and op names (activations)")
    roles: tuple[Literal["weight", "bias", "norm", "embedding", "conv", "stats"], ...] | None = Field(
        None, description="only tensors of these roles (default: any role)")


class RuleSpec(_Spec):
    label: str = Field("", description="shown in the precision plan and in errors")
    match: MatchSpec = Field(description="which tensors and ops the rule applies to")
    weights: WeightFormatSpec | None = Field(None, description="weight format of the matched tensors")
    activations: ActivationFormatSpec | None = Field(None, description="activation format of the matched ops")

    @model_validator(mode="after")
    def _sets_something(self) -> "RuleSpec":
        if self.weights is None and self.activations is None:
            raise ValueError("expected 'weights' and/or 'activations' in the rule")
        return self


class DefaultsSpec(_Spec):
    weights: WeightFormatSpec = Field(WeightFormatSpec(format=NumberFormat.FLOAT32),
                                      description="weight format of tensors no rule matches")
    activations: ActivationFormatSpec = Field(ActivationFormatSpec(format=NumberFormat.FLOAT32),
                                              description="activation format of ops no rule matches")


class PrecisionSpec(_Spec):
    schema_version: Literal[1] = Field(description="file format version")
    name: str = Field(description="the config's name (shipped files: the file stem)")
    description: str = Field("", description="one line for listings")
    source: str = Field("", description="the paper (and table) the recipe comes from")
    workloads: tuple[str, ...] = Field((), description="workloads the config was written for (informational)")
    defaults: DefaultsSpec = Field(DefaultsSpec(), description="formats of everything no rule matches")
    rules: tuple[RuleSpec, ...] = Field((), description="applied in order; a later match replaces an earlier one")
