"""Run each validation point twice: for real (numpy reference, warm-up then median of repeats, with an
interval) and simulated on the calibrated device, replaying the real decoder's recorded schedule so both see
identical call counts. Separately, the simulator's own schedule (synthetic scorer, decoding statistics fitted
on a different utterance) is checked against the real decoder's counts at every point."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from typing import Iterable

import pandas as pd
from tqdm import tqdm

from hwsim.calibrate.decoding import fit_decoding
from hwsim.cost.options import Placement, RunOptions
from hwsim.decode.registry import Algorithm
from hwsim.reference.compare import compare_counts
from hwsim.reference.run import Reference, build_reference, random_features, run_repeated, run_utterance
from hwsim.sim.decode import build_schedule
from hwsim.sim.emission import EmissionParams
from hwsim.simulate import RunRequest, prepare, simulate
from hwsim.validation.grid import FIT_BEAM, FIT_FRAMES, Point

COMPONENTS = ("encoder", "prediction", "joint", "search")
# The numpy reference does everything on the CPU: log-softmax inside the joint, top-k and bookkeeping in the
# search, nothing crosses a link. Mirror that placement and run serially (no overlap), as numpy does.
REFERENCE_OPTIONS = RunOptions(softmax_placement=Placement.ACCELERATOR, topk_placement=Placement.HOST)
# The emission model's counts vs the real decoder's: |sim - real| <= max(pct x real, floor). The call structure
# (steps = joint calls, joint rows) is asserted: `validate` fails when it is off. New label histories
# (prediction rows, cache hits) and labels are reported against the same tolerance: they depend on how a
# model's alternatives spread over histories, which two statistics capture only roughly (see the report).
COUNT_TOLERANCE_PCT, COUNT_FLOOR = 35.0, 8
ASSERTED_COUNTS = ("steps", "joint_rows")
CHECKED_COUNTS = ("steps", "joint_rows", "prediction_rows", "cache_hits", "labels")
FIT_SEED_OFFSET = 1000  # the fit utterance's seed: never one a validation point decodes


@dataclass(frozen=True)
class PointResult:
    point: Point
    measured_s: dict[str, float]
    predicted_s: dict[str, float]
    counts_match: bool
    emission_counts: dict[str, dict[str, float | None]]
    emission_ok: bool = True
    measured_interval_s: tuple[float, float] = (0.0, 0.0)

    @property
    def measured_total_s(self) -> float:
        return sum(self.measured_s[c] for c in COMPONENTS)

    @property
    def predicted_total_s(self) -> float:
        return sum(self.predicted_s[c] for c in COMPONENTS)

    @property
    def noise_pct(self) -> float:
        """Width of the measured interval in % of the median total."""
        lo, hi = self.measured_interval_s
        return 100.0 * (hi - lo) / self.measured_total_s if self.measured_total_s else 0.0


def _request(point: Point, device: str, vocab: int) -> RunRequest:
    """The simulated point: serial, softmax where numpy does it, and the registry's k = min(B, V - 1) label
    candidates per scored hypothesis (the host's bookkeeping is charged per candidate)."""
    options = replace(REFERENCE_OPTIONS, topk=min(point.beam, vocab - 1))
    return RunRequest(workload=point.workload, precision="fp32", device=device, frames=point.frames,
                      beam=point.beam, algorithm=point.algorithm, overlap=False, options=options)


def within_tolerance(entry: dict[str, float | None]) -> bool:
    return abs(entry["diff"]) <= max(COUNT_TOLERANCE_PCT / 100 * entry["real"], COUNT_FLOOR)


def emission_within_tolerance(table: dict[str, dict[str, float | None]], counts=ASSERTED_COUNTS) -> bool:
    return all(within_tolerance(table[k]) for k in counts)


def fit_emission(reference: Reference, algorithm: Algorithm, seed: int) -> EmissionParams:
    """Decoding statistics of the real decoder, fitted on an utterance no validation point uses."""
    beam = 1 if algorithm is Algorithm.GREEDY else FIT_BEAM
    features = random_features(reference.model, FIT_FRAMES, seed + FIT_SEED_OFFSET)
    fit = fit_decoding(run_utterance(reference, features, algorithm, beam).schedule)
    return EmissionParams(fit.label_rate_per_frame, fit.top_prob, fit.competitor_repeat_prob, seed)


def run_point(point: Point, reference: Reference, device: str, repeats: int, seed: int,
              params: EmissionParams, ort_model=None) -> PointResult:
    features = random_features(reference.model, point.frames, seed)
    real = run_repeated(reference, features, point.algorithm, point.beam, repeats, ort_model=ort_model)
    request = _request(point, device, reference.model.vocab)
    sim = simulate(request, prepare(request), real.schedule)
    calls = sim.result.calls
    counts_match = (calls["prediction"] == real.schedule.prediction_calls and calls["joint"] == real.schedule.joint_calls
                    and calls["prediction_rows"] == real.schedule.prediction_rows
                    and calls["joint_rows"] == real.schedule.joint_rows)
    # the utterance's own label rate (a property of the data a user states), the other statistics held out
    rate = min(max(real.schedule.labels / real.schedule.frames, 1e-3), 0.999)
    statistical = build_schedule(point.algorithm, real.schedule.frames, point.beam, replace(params, label_rate=rate),
                                 reference.max_symbols, vocab=reference.model.vocab)
    table = compare_counts(real.schedule, statistical)
    predicted = {c: sim.result.components_s.get(c, 0.0) for c in COMPONENTS}
    measured = {c: real.seconds.get(c, 0.0) for c in COMPONENTS}
    return PointResult(point, measured, predicted, counts_match, table, emission_within_tolerance(table),
                       real.total_interval_s)


def run_grid(points: Iterable[Point], device: str, repeats: int, seed: int = 0, progress: bool = True,
             runtime: str = "numpy") -> list[PointResult]:
    """Every point measured on `runtime` ('numpy', or 'onnxruntime' sessions of the same weights)."""
    points = list(points)
    references: dict[str, Reference] = {}
    sessions: dict[str, object] = {}
    fits: dict[tuple[str, Algorithm], EmissionParams] = {}
    results = []
    for point in tqdm(points, desc="validating", unit="pt", disable=not progress, leave=False):
        if point.workload not in references:
            references[point.workload] = build_reference(point.workload, seed=seed)
            if runtime == "onnxruntime":
                from hwsim.reference.onnx_runtime import OrtModel
                sessions[point.workload] = OrtModel(references[point.workload].model)
        key = (point.workload, point.algorithm)
        if key not in fits:
            fits[key] = fit_emission(references[point.workload], point.algorithm, seed)
        results.append(run_point(point, references[point.workload], device, repeats, seed, fits[key],
                                 sessions.get(point.workload)))
    return results


def error_pct(predicted: float, measured: float) -> float:
    return 100.0 * (predicted - measured) / measured if measured else float("nan")


def results_frame(results: list[PointResult]) -> pd.DataFrame:
    """One row per point and component (incl. 'end_to_end'), with predicted, measured and % error."""
    rows = []
    for r in results:
        base = {"workload": r.point.workload, "frames": r.point.frames, "beam": r.point.beam,
                "algorithm": r.point.algorithm.value, "counts_match": r.counts_match, "emission_ok": r.emission_ok,
                "emission_all_ok": emission_within_tolerance(r.emission_counts, CHECKED_COUNTS),
                "noise_pct": r.noise_pct}
        for component in COMPONENTS + ("end_to_end",):
            predicted = r.predicted_total_s if component == "end_to_end" else r.predicted_s[component]
            measured = r.measured_total_s if component == "end_to_end" else r.measured_s[component]
            rows.append({**base, "component": component, "predicted_s": predicted, "measured_s": measured,
                         "error_pct": error_pct(predicted, measured)})
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame) -> dict[str, object]:
    e2e = frame[frame.component == "end_to_end"]
    per_component = {}
    for component, group in frame[frame.component != "end_to_end"].groupby("component", sort=False):
        errors = group.error_pct.abs().dropna()
        per_component[component] = {"median_abs_error_pct": float(errors.median()) if len(errors) else None,
                                    "worst_abs_error_pct": float(errors.max()) if len(errors) else None}
    errors = e2e.error_pct.abs()
    return {"points": int(len(e2e)), "median_abs_error_pct": float(statistics.median(errors)),
            "worst_abs_error_pct": float(errors.max()), "counts_match": bool(frame.counts_match.all()),
            "emission_counts_ok": bool(frame.emission_ok.all()),
            "emission_points_failed": int((~e2e.emission_ok).sum()),
            "emission_all_counts_within_tolerance": int(e2e.emission_all_ok.sum()),
            "noise_floor_pct": float(e2e.noise_pct.median()), "per_component": per_component}
