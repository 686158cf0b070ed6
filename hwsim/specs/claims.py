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

    name: str | None = None
    component: Literal["encoder", "predictor", "joint", "other"] | None = None
    format: NumberFormat | None = None


Quantity = Literal["total_params", "size_gbit", "reduction_vs_f32", "share_pct", "quantized_share_pct"]


class ClaimSpec(_Spec):
    id: str
    description: str
    citation: str
    workload: str
    precision: str | None = None
    meta_dtype: MetadataDtype | None = None
    quantity: Quantity
    select: SelectSpec | None = None
    paper_value: float
    comparison: Literal["equal", "less_than"] = "equal"
    rounding: Annotated[float, Field(gt=0)] | None = None        # the paper prints multiples of this
    tolerance_pct: Annotated[float, Field(gt=0)] | None = None   # or: agreement within this relative tolerance
    paper_sizes_rounding: Annotated[float, Field(gt=0)] | None = None  # reductions: the sizes' print step

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
    schema_version: Literal[1]
    name: str
    source: str
    claims: tuple[ClaimSpec, ...] = Field(min_length=1)
