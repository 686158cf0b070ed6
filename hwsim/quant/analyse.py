"""Apply a precision plan to a model's weights, one tensor at a time, and measure the error per tensor.

Which tensors are analysed: every tensor whose format is quantized (int8 ... binary) and every fp16 / bf16
tensor (reported as a cast). float32 tensors are exact and not analysed; fp8 / hfp8 tensors are skipped
and counted with the reason (`apply.SKIPPED_FORMATS`).

Large models are never materialised at once: each tensor is loaded (or drawn), quantized, measured and
freed before the next. With `max_rows`, a per-channel or sub-channel tensor with more output channels
than that is analysed on a seeded sample of whole output channels (every block of a sampled channel is
kept), so each channel's and block's scale is exactly the full tensor's. Per-tensor quantizers and casts
always see the whole tensor, since their scale depends on every weight. Sums over a sampled tensor are
scaled by params / elements analysed when tensors are aggregated. With int8 metadata and sampling, the
double quantization sees the sampled rows' scales only, so its per-tensor int8 step can be slightly smaller
than the full tensor's.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field

import numpy as np

from hwsim.errors import SpecError
from hwsim.graph.model import Component, Tensor
from hwsim.precision.plan import TensorPrecision
from hwsim.quant.apply import BF16_MAX, CAST_FORMATS, FP16_MAX, SKIPPED_FORMATS, cast, code_range, weight_quantizer
from hwsim.quant.error import ErrorSums, MetadataError, clipped_count, error_sums, metadata_error, sqnr_db
from hwsim.quant.layout import fan_in_out, group_layout
from hwsim.quant.weights import WeightSource, init_name, tensor_rng
from hwsim.specs.precision import MetadataDtype, NumberFormat
from hwsim.precision.resolved import ResolvedModel
from hwsim.progress import progress

SAMPLE_STREAM = 1  # extra seed word: row sampling draws from its own stream, not the weights'


@dataclass(frozen=True)
class TensorError:
    """One analysed tensor: what was done to it and the error it introduced."""

    name: str
    component: str
    role: str
    shape: tuple[int, ...]
    params: int
    format: str
    treatment: str          # "quantized" or "cast"
    quantizer: str          # registry kind, or "cast"
    granularity: str
    block_size: int | None
    bits: int
    rule: int | None
    origin: str             # "npz" or "synthetic"
    init: str               # the synthetic init, "" for npz weights
    rows: int
    rows_analysed: int
    sums: ErrorSums
    metadata_dtype: str
    metadata: MetadataError | None = None

    @property
    def sampled(self) -> bool:
        return self.rows_analysed < self.rows

    @property
    def weight(self) -> float:
        """How many parameters each analysed element stands for (1 unless sampled)."""
        return self.params / self.sums.elements

    def row(self) -> dict[str, object]:
        meta = self.metadata
        return {
            "name": self.name, "component": self.component, "role": self.role,
            "shape": "x".join(map(str, self.shape)), "params": self.params, "format": self.format,
            "treatment": self.treatment, "quantizer": self.quantizer, "granularity": self.granularity,
            "block_size": self.block_size, "bits": self.bits, "rule": self.rule, "origin": self.origin,
            "init": self.init, "rows": self.rows, "rows_analysed": self.rows_analysed,
            "sqnr_db": self.sums.sqnr_db, "mse": self.sums.mse, "clipped_fraction": self.sums.clipped_fraction,
            "metadata_dtype": self.metadata_dtype,
            "meta_rel_error": meta.max_rel_error if meta else None,
            "scale_rel_error": meta.scale_rel_error if meta else None,
            "zero_point_rel_error": meta.zero_point_rel_error if meta else None,
            "sqnr_double_quant_db": meta.sqnr_double_quant_db if meta else None,
        }


@dataclass(frozen=True)
class Selection:
    """The tensors to analyse, in graph order, and the tensors not analysed by reason."""

    tensors: tuple[Tensor, ...]
    not_analysed: dict[str, int] = field(default_factory=dict)


def analysable(precision: TensorPrecision) -> bool:
    return precision.quantized or precision.format in CAST_FORMATS


def not_analysed_reason(precision: TensorPrecision) -> str:
    if precision.format is NumberFormat.FLOAT32:
        return "float32 (exact)"
    return SKIPPED_FORMATS.get(precision.format, f"{precision.format.value} not modelled")


def select_tensors(model: ResolvedModel, match: str | None = None, max_tensors: int | None = None) -> Selection:
    """Quantized and cast tensors matching `match` (a name glob), at most `max_tensors` of them.

    Raises:
        SpecError: `match` selects no quantized or cast tensor.
    """
    chosen, skipped = [], {}
    for tensor in model.graph.tensors:
        precision = model.plan.tensor(tensor.name)
        if match is not None and not fnmatch.fnmatchcase(tensor.name, match):
            continue
        if analysable(precision):
            chosen.append(tensor)
        else:
            reason = not_analysed_reason(precision)
            skipped[reason] = skipped.get(reason, 0) + 1
    if match is not None and not chosen:
        kept = f" (it matches {sum(skipped.values())} tensors, none quantized or cast)" if skipped else ""
        raise SpecError(None, "--match", f"a glob matching at least one quantized or cast tensor of "
                        f"{model.graph.name!r} @ {model.plan.name!r}{kept}", match)
    if max_tensors is not None and len(chosen) > max_tensors:
        skipped["beyond --max-tensors"] = len(chosen) - max_tensors
        chosen = chosen[:max_tensors]
    return Selection(tuple(chosen), skipped)


def analyse_tensor(tensor: Tensor, precision: TensorPrecision, weights: np.ndarray, origin: str, seed: int,
                   max_rows: int | None = None, file: str | None = None) -> TensorError:
    """Quantize (or cast) one tensor as its plan entry says and measure the error."""
    common = dict(name=tensor.name, component=tensor.component.value, role=tensor.role.value, shape=tensor.shape,
                  params=tensor.params, format=precision.format.value, granularity=precision.granularity.value,
                  bits=precision.value_bits, rule=precision.rule, origin=origin,
                  init=init_name(tensor) if origin == "synthetic" else "", metadata_dtype=precision.metadata_dtype.value)
    if not precision.quantized:
        restored, largest = cast(weights, precision.format)
        overflow = int(np.count_nonzero(np.abs(weights) > largest))
        rows = fan_in_out(tensor)[1]
        common.update(granularity="", metadata_dtype="")
        return TensorError(**common, treatment="cast", quantizer="cast", block_size=None, rows=rows,
                           rows_analysed=rows, sums=error_sums(weights, restored, overflow))
    quantizer = weight_quantizer(precision, file)
    groups = group_layout(tensor, precision).to_groups(weights)
    rows = groups.shape[0]
    if quantizer.per_row and max_rows is not None and rows > max_rows:
        picked = np.sort(tensor_rng(seed, tensor.name + "#rows").choice(rows, max_rows, replace=False))
        groups = groups[picked]
    matrix = groups.reshape(-1, groups.shape[-1])
    result = quantizer.run(groups)
    clipped = clipped_count(matrix, result, code_range(quantizer.kind, quantizer.bits))
    meta = metadata_error(matrix, result) if precision.metadata_dtype is MetadataDtype.INT8 else None
    return TensorError(**common, treatment="quantized", quantizer=quantizer.kind.value,
                       block_size=precision.block_size, rows=rows, rows_analysed=groups.shape[0],
                       sums=error_sums(matrix, result.dequant, clipped), metadata=meta)


def check_castable(weights: np.ndarray, precision: TensorPrecision, path: str | None, name: str) -> None:
    """A tensor the plan casts to fp16/bf16 must fit the format: a larger weight becomes inf, and its error (and
    the component's SQNR) with it; a weights file holding one is refused, naming the tensor."""
    if precision.quantized or precision.format not in CAST_FORMATS or weights.size == 0:
        return
    largest_finite = FP16_MAX if precision.format is NumberFormat.FP16 else BF16_MAX
    largest = float(np.max(np.abs(weights)))
    if largest > largest_finite:
        raise SpecError(path, name, f"values of magnitude at most {largest_finite:.6g} (the precision plan casts "
                        f"this tensor to {precision.format.value}; larger ones become inf)", f"max |x| {largest:.3g}")


def analyse_model(model: ResolvedModel, selection: Selection, source: WeightSource,
                  max_rows: int | None = None) -> list[TensorError]:
    """Every selected tensor, one at a time (each array is freed before the next is loaded)."""
    file = str(model.precision_path)
    for tensor in selection.tensors:  # fail on a bad rule before any (slow) work
        precision = model.plan.tensor(tensor.name)
        if precision.quantized:
            weight_quantizer(precision, file)
    source.check(list(selection.tensors))
    reports = []
    for tensor in progress(selection.tensors, desc="qat", unit="tensor"):  # stderr; off under --quiet
        weights = source.load(tensor)
        check_castable(weights, model.plan.tensor(tensor.name), source.path, tensor.name)
        reports.append(analyse_tensor(tensor, model.plan.tensor(tensor.name), weights, source.origin(tensor),
                                      source.seed, max_rows, file))
        del weights
    return reports


def component_summary(reports: list[TensorError]) -> dict[str, dict[str, float]]:
    """Per component: parameter-weighted SQNR (summed signal / summed noise), MSE, clipped share."""
    summary = {}
    for component in Component:
        mine = [r for r in reports if r.component == component.value]
        if not mine:
            continue
        signal = sum(r.sums.signal * r.weight for r in mine)
        noise = sum(r.sums.noise * r.weight for r in mine)
        params = sum(r.params for r in mine)
        quantized = [r for r in mine if r.treatment == "quantized"]
        metas = [r.metadata.max_rel_error for r in mine if r.metadata is not None]
        summary[component.value] = {
            "tensors": len(mine), "params": params,
            "quantized_params": sum(r.params for r in quantized),
            "cast_params": sum(r.params for r in mine if r.treatment == "cast"),
            "sqnr_db": sqnr_db(signal, noise), "mse": noise / params,
            "clipped_fraction": sum(r.sums.clipped * r.weight for r in mine) / params,
            "meta_rel_error": max(metas) if metas else None,
            "sampled_tensors": sum(r.sampled for r in mine),
        }
    return summary


def worst(reports: list[TensorError], count: int = 10) -> list[TensorError]:
    return sorted(reports, key=lambda r: (r.sums.sqnr_db, r.name))[:count]


def finite_or_none(value: object) -> object:
    """JSON has no inf/NaN: non-finite floats become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
