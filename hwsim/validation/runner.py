"""Run each validation point twice: for real (numpy reference, warm-up then median of repeats, with an
interval) and simulated on the calibrated device, replaying the real decoder's recorded schedule so both see
identical call counts. Separately, the simulator's own schedule (synthetic scorer, decoding statistics fitted
on different utterances) is checked against the real decoder's counts at every point (hwsim.validation.counts)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, replace
from typing import Iterable

import pandas as pd

from hwsim.decode.registry import Algorithm
from hwsim.cost.calls import DECODER_CALL_TRIGGERS, DeviceCallCosts
from hwsim.cost.ops import COMPONENT_OF
from hwsim.graph.model import Trigger
from hwsim.reference.runtimes import REFERENCE_OPTIONS, measured_component  # serial, like numpy (no overlap)
from hwsim.calibrate.probe import SpeedProbe
from hwsim.reference.timed_decode import build_reference, run_utterance
from hwsim.reference.decoder import ReferenceDecoder
from hwsim.decode.synthetic import EmissionParams
from hwsim.decode.schedule import DecodeSchedule
from hwsim.pipeline.point import RunRequest, prepare_point, simulate_point
from hwsim.validation.counts import (CHECKED_COUNTS, CountSpread, check_emission, count_spreads, spread_seeds,
                                     emission_within_tolerance, fit_emission, statistical_schedule, unasserted_counts)
from hwsim.validation.grid import Point

COMPONENTS = ("encoder", "prediction", "joint", "search")


@dataclass(frozen=True)
class PointResult:
    point: Point
    measured_s: dict[str, float]
    predicted_s: dict[str, float]
    counts_match: bool
    emission_counts: dict[str, dict[str, float | None]]
    emission_ok: bool = True
    measured_interval_s: tuple[float, float] = (0.0, 0.0)
    speed_factor: float = 1.0  # probe time now / at calibration (hwsim.calibrate.probe); > 1: machine slower
    normalised_s: dict[str, float] | None = None  # each decode scaled by its probe ratio, then the median
    count_spreads: dict[str, CountSpread] | None = None  # unasserted counts over further utterances

    @property
    def measured_total_s(self) -> float:
        return sum(self.measured_s[c] for c in COMPONENTS)

    @property
    def predicted_total_s(self) -> float:
        return sum(self.predicted_s[c] for c in COMPONENTS)

    @property
    def normalised_total_s(self) -> float:
        return sum((self.normalised_s or self.measured_s)[c] for c in COMPONENTS)

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


@dataclass
class _Pending:
    """A point between its warm-up and its last timed round."""

    point: Point
    reference: ReferenceDecoder
    features: object
    ort_model: object
    schedule: object = None
    samples: list = field(default_factory=list)  # (seconds per component, probe seconds)
    spreads: dict[str, CountSpread] | None = None

    def decode(self):
        return run_utterance(self.reference, self.features, self.point.algorithm, self.point.beam,
                             ort_model=self.ort_model)


def as_runtime_measures(predicted_s: dict[str, float], costs: DeviceCallCosts, schedule: DecodeSchedule,
                        runtime: str) -> dict[str, float]:
    """Predicted seconds per component as `runtime` times them: each op the runtime runs inside another
    component's call (hwsim.reference.runtimes.MEASURED_IN) moves, with its predicted time over the schedule's
    calls, from the graph's component to that one. Serial runs only (components add up); totals are unchanged."""
    moved = dict(predicted_s)
    for op in costs.ctx.graph.ops:
        source, target = COMPONENT_OF[op.component.value], measured_component(runtime, op)
        if target == source:
            continue
        if op.trigger not in DECODER_CALL_TRIGGERS:
            raise ValueError(f"{op.name}: only per-call decoder ops can be re-attributed, got {op.trigger}")
        rows = [s.prediction_rows if op.trigger is Trigger.PREDICTION_CALL else s.joint_rows for s in schedule.steps]
        seconds = sum(costs.op_cost(op, r).time_s for r in rows if r)
        moved[source] -= seconds
        moved[target] += seconds
    return moved


def predict_point(point: Point, vocab: int, schedule: DecodeSchedule, device: str,
                  runtime: str = "numpy") -> tuple[dict[str, float], bool]:
    """The simulator's seconds per component for `point` replaying the real decoder's `schedule` on `device`, as
    `runtime` times them, and whether the replay made exactly the schedule's calls."""
    request = _request(point, device, vocab)
    prepared = prepare_point(request)
    sim = simulate_point(request, prepared, schedule)
    calls = sim.result.calls
    counts_match = (calls["prediction"] == schedule.prediction_calls and calls["joint"] == schedule.joint_calls
                    and calls["prediction_rows"] == schedule.prediction_rows
                    and calls["joint_rows"] == schedule.joint_rows)
    predicted = as_runtime_measures({c: sim.result.components_s.get(c, 0.0) for c in COMPONENTS}, prepared.costs,
                                    schedule, runtime)
    return predicted, counts_match


def _finish(pending: _Pending, device: str, params: EmissionParams, probe_reference_s: float | None,
            runtime: str = "numpy") -> PointResult:
    point, reference, schedule = pending.point, pending.reference, pending.schedule
    predicted, counts_match = predict_point(point, reference.model.vocab, schedule, device, runtime)
    table, emission_ok = check_emission(point.algorithm, schedule, statistical_schedule(point, reference, schedule, params))
    measured = {c: statistics.median(s[c] for s, _ in pending.samples) for c in COMPONENTS}
    totals = sorted(sum(s[c] for c in COMPONENTS) for s, _ in pending.samples)
    interval = (statistics.quantiles(totals, n=4, method="inclusive")[0::2] if len(totals) >= 4
                else [totals[0], totals[-1]])
    speed, normalised = speed_normalised(pending.samples, probe_reference_s) if probe_reference_s else (1.0, None)
    return PointResult(point, measured, predicted, counts_match, table, emission_ok,
                       (interval[0], interval[-1]), speed, normalised, pending.spreads)


def speed_normalised(samples: list[tuple[dict[str, float], float]],
                     probe_reference_s: float) -> tuple[float, dict[str, float]]:
    """(median probe ratio, per component the median of each decode's time / its own probe ratio): each decode
    scaled to the machine's speed at calibration by the probe timed next to it."""
    ratios = [probe / probe_reference_s for _, probe in samples]
    normalised = {c: statistics.median(seconds[c] / r for (seconds, _), r in zip(samples, ratios)) for c in COMPONENTS}
    return statistics.median(ratios), normalised


def run_grid(points: Iterable[Point], device: str, repeats: int, seed: int = 0, progress: bool = True,
             runtime: str = "numpy", probe_reference_s: float | None = None) -> list[PointResult]:
    """Every point measured on `runtime` ('numpy', or 'onnxruntime' sessions of the same weights): one untimed
    warm-up decode each, then `repeats` rounds in which every point decodes once, so a slow spell of a shared
    machine is spread over all points instead of landing on a few. With `probe_reference_s` (the calibration's
    speed probe) the probe is timed before and after every decode (hwsim.calibrate.probe). Before any timing, the
    counts `validate` reports without asserting are also taken over further utterances per point (untimed numpy
    decodes, hwsim.validation.counts.count_spreads)."""
    points = list(points)
    references: dict[str, ReferenceDecoder] = {}
    sessions: dict[str, object] = {}
    fits: dict[tuple[str, Algorithm], EmissionParams] = {}
    pending: list[_Pending] = []
    for point in points:
        if point.workload not in references:
            references[point.workload] = build_reference(point.workload, seed=seed)
            if runtime == "onnxruntime":
                from hwsim.reference.onnx_runtime import OrtModel
                sessions[point.workload] = OrtModel(references[point.workload].model)
        key = (point.workload, point.algorithm)
        if key not in fits:
            fits[key] = fit_emission(references[point.workload], point.algorithm, seed)
        reference = references[point.workload]
        spreads = count_spreads(point, reference, fits[key], spread_seeds(seed)) if unasserted_counts(point.algorithm) else None
        pending.append(_Pending(point, reference, reference.features(point.frames, seed),
                                sessions.get(point.workload), spreads=spreads))
    probe = SpeedProbe() if probe_reference_s else None
    from hwsim.progress import progress as progress_bar  # stderr; off under --quiet or without a terminal

    bar = progress_bar(total=len(points) * (repeats + 1), desc="validate", unit="decode", enabled=progress)
    for item in pending:
        item.schedule = item.decode().schedule  # warm-up; every decode of a point takes the same steps
        bar.update(1)
    for _ in range(repeats):
        for item in pending:
            before = probe.seconds() if probe else 0.0
            run = item.decode()
            after = probe.seconds() if probe else 0.0
            item.samples.append((run.seconds, 0.5 * (before + after)))
            bar.update(1)
    bar.close()
    return [_finish(item, device, fits[(item.point.workload, item.point.algorithm)], probe_reference_s, runtime)
            for item in pending]


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
            normalised = r.normalised_total_s if component == "end_to_end" else \
                (r.normalised_s or r.measured_s)[component]
            rows.append({**base, "component": component, "predicted_s": predicted, "measured_s": measured,
                         "error_pct": error_pct(predicted, measured), "speed_factor": r.speed_factor,
                         "measured_at_calibration_speed_s": normalised,
                         "speed_normalised_error_pct": error_pct(predicted, normalised)})
    return pd.DataFrame(rows)


def _error_stats(frame: pd.DataFrame, column: str) -> dict[str, object]:
    e2e = frame[frame.component == "end_to_end"]
    per_component = {}
    for component, group in frame[frame.component != "end_to_end"].groupby("component", sort=False):
        errors = group[column].abs().dropna()
        per_component[component] = {"median_abs_error_pct": float(errors.median()) if len(errors) else None,
                                    "worst_abs_error_pct": float(errors.max()) if len(errors) else None}
    errors = e2e[column].abs()
    return {"median_abs_error_pct": float(statistics.median(errors)), "worst_abs_error_pct": float(errors.max()),
            "per_component": per_component}


def summary(frame: pd.DataFrame) -> dict[str, object]:
    e2e = frame[frame.component == "end_to_end"]
    raw = _error_stats(frame, "error_pct")
    return {"points": int(len(e2e)), "median_abs_error_pct": raw["median_abs_error_pct"],
            "worst_abs_error_pct": raw["worst_abs_error_pct"], "counts_match": bool(frame.counts_match.all()),
            "emission_counts_ok": bool(frame.emission_ok.all()),
            "emission_points_failed": int((~e2e.emission_ok).sum()),
            "emission_all_counts_within_tolerance": int(e2e.emission_all_ok.sum()),
            "noise_floor_pct": float(e2e.noise_pct.median()), "per_component": raw["per_component"],
            "speed_factor": {"median": float(e2e.speed_factor.median()), "min": float(e2e.speed_factor.min()),
                             "max": float(e2e.speed_factor.max())},
            "speed_normalised": _error_stats(frame, "speed_normalised_error_pct")}


def spread_records(results: list[PointResult]) -> list[dict[str, object]]:
    """The unasserted counts over further utterances, one record per point and count (validate --json)."""
    return [{"point": r.point.label, **spread.as_dict()} for r in results for spread in (r.count_spreads or {}).values()]
