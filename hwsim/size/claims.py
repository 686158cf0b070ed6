"""check_claims: recompute each published figure and give a verdict, or what would make it reproduce."""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass
from pathlib import Path

from hwsim.errors import SpecError
from hwsim.size.account import SizeReport, account_size
from hwsim.specs.claims import ClaimSpec, ClaimsSpec
from hwsim.specs.precision import METADATA_BITS, MetadataDtype
from hwsim.precision.resolved import resolve_model
from hwsim.units import GIGA

REPRODUCES = "reproduces"
REPRODUCES_ROUNDED = "reproduces (paper's arithmetic on rounded sizes)"
DOES_NOT = "does not reproduce"
EPS = 1e-9


@dataclass(frozen=True)
class ClaimResult:
    claim: ClaimSpec
    hwsim_value: float
    delta: float
    verdict: str
    note: str

    @property
    def reproduced(self) -> bool:
        return self.verdict != DOES_NOT


@functools.lru_cache(maxsize=64)
def _size_report(workload: str, precision: str, meta: str | None) -> SizeReport:
    """Many claims share a (workload, precision, metadata) point; account each once."""
    model = resolve_model(workload, precision, None, meta)
    return account_size(model.graph, model.plan)


def _report(claim: ClaimSpec, file: str) -> SizeReport:
    meta = claim.meta_dtype.value if claim.meta_dtype else None
    try:
        return _size_report(claim.workload, claim.precision or "fp32", meta)
    except SpecError as error:
        raise SpecError(file, f"claims[{claim.id}]", f"a valid workload/precision ({error})") from None


def _selected_params(report: SizeReport, claim: ClaimSpec) -> int:
    select = claim.select
    assert select is not None
    return sum(t.params for t in report.tensors
               if (select.name is None or fnmatch.fnmatchcase(t.name, select.name))
               and (select.component is None or t.component == select.component)
               and (select.format is None or t.format is select.format))


def compute_quantity(report: SizeReport, claim: ClaimSpec) -> float:
    if claim.quantity == "total_params":
        return float(report.total_params)
    if claim.quantity == "size_gbit":
        return report.total_bits / GIGA
    if claim.quantity == "reduction_vs_f32":
        return report.reduction_vs_f32
    if claim.quantity == "quantized_share_pct":
        return 100.0 * report.quantized_params / report.total_params
    selected = _selected_params(report, claim)
    if selected == 0:  # a typo in a glob would otherwise "check" a share of 0 %
        raise SpecError(None, f"claims[{claim.id}].select", "expected a selection that matches at least one tensor",
                        claim.select.model_dump(exclude_none=True, mode="json") if claim.select else None)
    return 100.0 * selected / report.total_params


def _round_to(value: float, step: float) -> float:
    return round(value / step) * step


def _within(claim: ClaimSpec, value: float) -> bool:
    if claim.comparison == "less_than":
        return value < claim.paper_value
    if claim.rounding is not None:
        return abs(value - claim.paper_value) <= claim.rounding / 2 + EPS
    return abs(value - claim.paper_value) <= abs(claim.paper_value) * (claim.tolerance_pct or 0) / 100


def _implied_block_note(report: SizeReport, claim: ClaimSpec) -> str:
    """For a size that does not reproduce: how many metadata entries (effective block) the paper's figure implies."""
    quantized = [t for t in report.tensors if t.metadata_bits]
    if not quantized or claim.rounding is None:
        return ""
    without_meta = (report.total_bits - report.metadata_bits) / GIGA
    per_entry_bits = _bits_per_metadata_entry(report, claim)
    params = sum(t.params for t in quantized)
    low, high = (claim.paper_value - claim.rounding / 2, claim.paper_value + claim.rounding / 2)
    entries = [max(g - without_meta, 0) * GIGA / per_entry_bits for g in (low, high)]
    entries_now = report.metadata_bits / per_entry_bits
    blocks = [params / e if e > 0 else float("inf") for e in entries]
    return (f"hwsim counts {entries_now / 1e6:.1f} M metadata entries ({per_entry_bits} bits each) -> "
            f"{report.metadata_bits / GIGA:.3f} Gbit; the paper's {claim.paper_value} Gbit implies "
            f"{entries[0] / 1e6:.1f}-{entries[1] / 1e6:.1f} M entries, i.e. an effective block of "
            f"{blocks[1]:.0f}-{blocks[0]:.0f} weights per scale instead of {params / entries_now:.0f}")


def _bits_per_metadata_entry(report: SizeReport, claim: ClaimSpec) -> int:
    """Bits one metadata entry costs: a scale, plus a zero point for asymmetric formats."""
    meta_bits = METADATA_BITS[claim.meta_dtype] if claim.meta_dtype else METADATA_BITS[MetadataDtype.F32]
    asymmetric = any(t.zero_point for t in report.tensors if t.metadata_entries)
    return meta_bits * (2 if asymmetric else 1)


def check_claim(claim: ClaimSpec, file: str) -> ClaimResult:
    report = _report(claim, file)
    try:
        value = compute_quantity(report, claim)
    except SpecError as error:
        raise SpecError(file, error.key_path, error.expected, error.got) from None
    delta = value - claim.paper_value
    if _within(claim, value):
        return ClaimResult(claim, value, delta, REPRODUCES, "")
    if claim.quantity == "reduction_vs_f32" and claim.paper_sizes_rounding:
        step = claim.paper_sizes_rounding
        f32_rounded, q_rounded = _round_to(report.f32_bits / GIGA, step), _round_to(report.total_bits / GIGA, step)
        if q_rounded == 0:
            raise SpecError(file, f"claims[{claim.id}].paper_sizes_rounding",
                            f"expected a print step below the quantized size ({report.total_bits / GIGA:.3g} Gbit)", step)
        from_rounded = f32_rounded / q_rounded
        note = f"{f32_rounded:.1f} / {q_rounded:.1f} = {from_rounded:.2f} from the sizes rounded as printed"
        if _within(claim, from_rounded):
            return ClaimResult(claim, value, delta, REPRODUCES_ROUNDED, note)
        return ClaimResult(claim, value, delta, DOES_NOT, note)
    note = _implied_block_note(report, claim) if claim.quantity == "size_gbit" else ""
    return ClaimResult(claim, value, delta, DOES_NOT, note)


def check_claims(spec: ClaimsSpec, path: Path) -> list[ClaimResult]:
    return [check_claim(claim, str(path)) for claim in spec.claims]
