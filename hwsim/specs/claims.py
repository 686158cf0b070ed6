"""ClaimsSpec: published figures (with source and rounding) that `hwsim check` recomputes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from hwsim.specs.base import SpecModel
from hwsim.specs.precision import MetadataDtype, NumberFormat


class _Spec(SpecModel):
    """Closed keys, frozen, finite numbers, no booleans for numbers (hwsim.specs.base)."""


class SelectSpec(_Spec):
    """Which tensors a share counts: a name glob, a component and/or a storage format (all must hold)."""

    name: str | None = Field(None, description="shell-style glob over tensor names")
    component: Literal["encoder", "predictor", "joint", "other"] | None = Field(None, description="model component")
    format: NumberFormat | None = Field(None, description="storage format under the claim's precision")


Quantity = Literal["total_params", "size_gbit", "reduction_vs_f32", "share_pct", "quantized_share_pct"]


class ClaimSpec(_Spec):
    id: str = Field(description="unique name, shown in reports")
    description: str = Field(description="what the figure is, in words")
    citation: str = Field(description="where the paper states it (section, table; a quote)")
    workload: str = Field(description="shipped workload name or path")
    precision: str | None = Field(None, description="precision config name (needed by size and format claims)")
    meta_dtype: MetadataDtype | None = Field(None, description="store every scale in this dtype for the check")
    quantity: Quantity = Field(description="what is recomputed: total_params (count), size_gbit (1e9 bits), "
                               "reduction_vs_f32 (ratio), share_pct or quantized_share_pct (percent)")
    select: SelectSpec | None = Field(None, description="which tensors a share counts")
    paper_value: float = Field(description="the published figure, in the unit of `quantity`")
    comparison: Literal["equal", "less_than"] = Field("equal", description="equal (within rounding or "
                                                      "tolerance_pct) or less_than paper_value")
    rounding: Annotated[float, Field(gt=0)] | None = Field(None, description="the paper prints multiples of this")
    tolerance_pct: Annotated[float, Field(gt=0)] | None = Field(None, description="or: agreement within this "
                                                                "relative tolerance")
    paper_sizes_rounding: Annotated[float, Field(gt=0)] | None = Field(None, description="reductions: the print "
                                                                       "step of the sizes they divide")

    @model_validator(mode="after")
    def _consistent(self) -> "ClaimSpec":
        if self.quantity in ("size_gbit", "reduction_vs_f32", "quantized_share_pct") and self.precision is None:
            raise ValueError(f"expected a precision for quantity {self.quantity}")
        if self.quantity == "share_pct" and self.select is None:
            raise ValueError("expected select for quantity share_pct")
        if self.select is not None and self.select.format is not None and self.precision is None:
            raise ValueError("expected a precision when select.format is given")
        if self.comparison == "equal" and (self.rounding is None) == (self.tolerance_pct is None):
            raise ValueError("expected exactly one of rounding and tolerance_pct")
        return self


class ClaimsSpec(_Spec):
    schema_version: Literal[1] = Field(description="file format version")
    name: str = Field(description="the claim file's name")
    source: str = Field(description="the paper the claims come from")
    claims: tuple[ClaimSpec, ...] = Field(min_length=1, description="one entry per published figure")


SpeedupComponent = Literal["encoder", "prediction", "joint", "total"]


class SpeedupClaimSpec(_Spec):
    """A published speed-up of one precision over another (e.g. Fasoli et al. 2021 Fig. 1(a)); `hwsim sweep`
    draws it on its speed-up plot when a run covers the workload, both precisions and (if given) the device."""

    id: str = Field(description="unique name, shown in legends")
    description: str = Field(description="what the figure is, in words")
    citation: str = Field(description="where the paper states it (section, figure; a quote)")
    workload: str = Field(description="shipped workload name the claim is about")
    baseline: str = Field(description="precision config the speed-up is relative to")
    precision: str = Field(description="precision config that is faster")
    device: str | tuple[str, ...] | None = Field(
        None, description="device the paper's estimate is for, or a list of device files that model it (e.g. the "
        "chip and its copy under the paper's accounting); null: any device")
    frames: Annotated[int, Field(gt=0)] | None = Field(None, description="utterance length the paper used, in "
                                                        "input frames (null: any length)")
    beams: tuple[Annotated[int, Field(gt=0)], ...] | None = Field(None, description="beam widths the claim holds "
                                                                  "for (null: every beam width)")
    component: SpeedupComponent = Field(description="which busy time the ratio is of; total = end to end")
    paper_value: Annotated[float, Field(gt=0)] = Field(description="baseline time / precision time")


class SpeedupClaimsSpec(_Spec):
    schema_version: Literal[1] = Field(description="file format version")
    name: str = Field(description="the claim file's name")
    source: str = Field(description="the paper the claims come from")
    figure: str | None = Field(None, description="file stem of the committed reproduction figure (e.g. fig1a for "
                               "reports/fig1a/fig1a.png): a sweep that draws these claims also writes its plot as "
                               "FIGURE.png and the paper's speed-ups per beam as speedups.csv, as that report names them")
    claims: tuple[SpeedupClaimSpec, ...] = Field(min_length=1, description="one entry per published speed-up")
