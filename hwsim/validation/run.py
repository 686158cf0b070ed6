"""Run each validation point twice: for real (numpy reference, median of repeats) and simulated on the
calibrated device, replaying the real decoder's recorded schedule so both see identical call counts."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Iterable

import pandas as pd
from tqdm import tqdm

from hwsim.cost.options import Placement, RunOptions
from hwsim.reference.compare import compare_counts
from hwsim.reference.run import Reference, build_reference, random_features, run_repeated
from hwsim.sim.decode import build_schedule
from hwsim.simulate import RunRequest, emission_params, prepare, simulate
from hwsim.validation.grid import Point

COMPONENTS = ("encoder", "prediction", "joint", "search")
# The numpy reference does everything on the CPU: log-softmax inside the joint, top-k and bookkeeping in the
# search, nothing crosses a link. Mirror that placement and run serially (no overlap), as numpy does.
REFERENCE_OPTIONS = RunOptions(softmax_placement=Placement.ACCELERATOR, topk_placement=Placement.HOST)


@dataclass(frozen=True)
class PointResult:
    point: Point
    measured_s: dict[str, float]
    predicted_s: dict[str, float]
    counts_match: bool
    emission_counts: dict[str, dict[str, float | None]]

    @property
    def measured_total_s(self) -> float:
        return sum(self.measured_s[c] for c in COMPONENTS)

    @property
    def predicted_total_s(self) -> float:
        return sum(self.predicted_s[c] for c in COMPONENTS)


def _request(point: Point, device: str) -> RunRequest:
    return RunRequest(workload=point.workload, precision="fp32", device=device, frames=point.frames,
                      beam=point.beam, algorithm=point.algorithm, overlap=False, options=REFERENCE_OPTIONS)


def run_point(point: Point, reference: Reference, device: str, repeats: int, seed: int) -> PointResult:
    features = random_features(reference.model, point.frames, seed)
    real = run_repeated(reference, features, point.algorithm, point.beam, repeats)
    request = _request(point, device)
    prepared = prepare(request)
    sim = simulate(request, prepared, real.schedule)
    calls = sim.result.calls
    counts_match = (calls["prediction"] == real.schedule.prediction_calls and calls["joint"] == real.schedule.joint_calls
                    and calls["prediction_rows"] == real.schedule.prediction_rows
                    and calls["joint_rows"] == real.schedule.joint_rows)
    statistical = build_schedule(point.algorithm, real.schedule.frames, point.beam, emission_params(prepared, request),
                                 reference.max_symbols)
    predicted = {c: sim.result.components_s.get(c, 0.0) for c in COMPONENTS}
    measured = {c: real.seconds.get(c, 0.0) for c in COMPONENTS}
    return PointResult(point, measured, predicted, counts_match, compare_counts(real.schedule, statistical))


def run_grid(points: Iterable[Point], device: str, repeats: int, seed: int = 0, progress: bool = True) -> list[PointResult]:
    points = list(points)
    references: dict[str, Reference] = {}
    results = []
    for point in tqdm(points, desc="validating", unit="pt", disable=not progress, leave=False):
        if point.workload not in references:
            references[point.workload] = build_reference(point.workload, seed=seed)
        results.append(run_point(point, references[point.workload], device, repeats, seed))
    return results


def error_pct(predicted: float, measured: float) -> float:
    return 100.0 * (predicted - measured) / measured if measured else float("nan")


def results_frame(results: list[PointResult]) -> pd.DataFrame:
    """One row per point and component (incl. 'end_to_end'), with predicted, measured and % error."""
    rows = []
    for r in results:
        base = {"workload": r.point.workload, "frames": r.point.frames, "beam": r.point.beam,
                "algorithm": r.point.algorithm.value, "counts_match": r.counts_match}
        for component in COMPONENTS + ("end_to_end",):
            predicted = r.predicted_total_s if component == "end_to_end" else r.predicted_s[component]
            measured = r.measured_total_s if component == "end_to_end" else r.measured_s[component]
            rows.append({**base, "component": component, "predicted_s": predicted, "measured_s": measured,
                         "error_pct": error_pct(predicted, measured)})
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame) -> dict[str, object]:
    e2e = frame[frame.component == "end_to_end"].error_pct.abs()
    per_component = {}
    for component, group in frame[frame.component != "end_to_end"].groupby("component", sort=False):
        errors = group.error_pct.abs().dropna()
        per_component[component] = {"median_abs_error_pct": float(errors.median()) if len(errors) else None,
                                    "worst_abs_error_pct": float(errors.max()) if len(errors) else None}
    return {"points": int(len(e2e)), "median_abs_error_pct": float(statistics.median(e2e)),
            "worst_abs_error_pct": float(e2e.max()), "counts_match": bool(frame.counts_match.all()),
            "per_component": per_component}
