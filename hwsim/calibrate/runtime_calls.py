"""The reference runtime's own per-call host time, measured on a tiny RNN-T through the runtime's own code.

A prediction or joint call of the numpy (or onnxruntime) reference decoder at beam-search sizes is dominated
not by its arithmetic but by the Python around it: gathering hypotheses' states, stacking them, the log-softmax
and top-k packing, a dozen small allocations. The per-op model (one measured numpy-call overhead per op) misses
most of it. So `hwsim calibrate` runs the runtime's real scorer, encoder and searches on a tiny model of the
same structure (every width 8, 32 labels: `TINY_OVERRIDES` on lstm_rnnt_small), where arithmetic is
negligible, and measures

| figure (device file)                                 | benchmark                                       | fitted on / held out |
|------------------------------------------------------|-------------------------------------------------|----------------------|
| modelling.runtime_calls.{prediction,joint}.fixed_s,  | every prediction / joint call inside the        | T = 40 / T = 80      |
|   per_row_s                                          | searches below, median per batch size, minus    |                      |
|                                                      | the per-op model                                |                      |
| modelling.step_latency_s                             | the encoder over T frames, minus the per-op     | T = 64 / T = 32      |
|                                                      | model, per recurrent step                       |                      |
| host_cpu.search_step_overhead_s, per_candidate_s     | the registry's searches (five algorithms, beams | T = 40 / T = 80      |
|   (all searches), host_cpu.search_by_algorithm       | 1-8) minus their network calls, per step and    |                      |
|   (the same pair per algorithm)                      | per candidate (rows x (k + 1))                  |                      |
| modelling.runtime_calls.cold_cache_factor            | the glue of five searches (T = 20) with the     | TSD, beam / modified |
|                                                      | caches evicted before every prediction call,    | beam, ALSD, greedy   |
|                                                      | over the same decodes hot (ColdFactor)          |                      |

With a speed probe (as `hwsim calibrate` runs it), every timed decode of the encoder and search benchmarks is
scaled to the machine speed of the micro-benchmark suite by the probe timed just before and after it
(hwsim.calibrate.probe.AtReferenceSpeed): on a shared machine a slow spell of a few seconds otherwise lands whole
in one figure (a greedy step figure came out 2x another run's that way).

"Minus the per-op model" means: the same call costed by hwsim's cost model on the device measured so far (the
GEMM table, element-wise rate and per-op overhead), so a figure holds only what the op model does not, and
nothing is counted twice. Each figure is a non-negative least-squares fit (relative residuals weighted
equally); residuals on the fit points and on the held-out points are reported and written into the figure's
`measured:` provenance. None of the validation points (real model sizes) is used.
"""

from __future__ import annotations

import statistics
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

from hwsim import clock
from hwsim.calibrate.microbench import Measurement, cache_evictor, spread_pct
from hwsim.calibrate.probe import AtReferenceSpeed
from hwsim.decode.registry import Algorithm
from hwsim.graph.model import Op
from hwsim.reference.runtimes import measured_component

TINY_WORKLOAD = "lstm_rnnt_small"
TINY_OVERRIDES = ("encoder.input_dim=8", "encoder.hidden_dim=8", "encoder.num_layers=1", "predictor.hidden_dim=8",
                  "predictor.embed_dim=8", "joint.hidden_dim=8", "joint.vocab_size=32")
ENCODER_FIT_FRAMES, ENCODER_HELD_OUT_FRAMES = 64, 32
SEARCH_FIT_FRAMES, SEARCH_HELD_OUT_FRAMES = 40, 80
SEARCHES = ((Algorithm.GREEDY, 1),) + tuple((a, b) for a in (Algorithm.BEAM, Algorithm.TSD, Algorithm.ALSD,
                                                                 Algorithm.MODIFIED_BEAM) for b in (2, 4, 8))
PROBE_K = 4  # label candidates per row of a joint call (the registry's k = min(B, V - 1) at beam 4)


@dataclass(frozen=True)
class FitPoint:
    label: str
    features: tuple[float, ...]
    measured_s: float  # what the op model does not cover

    def predicted_s(self, coefficients: tuple[float, ...]) -> float:
        return float(np.dot(self.features, coefficients))

    def residual_pct(self, coefficients: tuple[float, ...]) -> float:
        return 100.0 * (self.predicted_s(coefficients) - self.measured_s) / self.measured_s if self.measured_s else 0.0


@dataclass(frozen=True)
class LinearFit:
    """measured ~ features . coefficients, coefficients >= 0; `names` label the coefficients."""

    names: tuple[str, ...]
    coefficients: tuple[float, ...]
    fit: tuple[FitPoint, ...]
    held_out: tuple[FitPoint, ...]

    def worst_pct(self, points: tuple[FitPoint, ...]) -> float:
        return max((abs(p.residual_pct(self.coefficients)) for p in points), default=0.0)

    def describe(self, what: str) -> str:
        return (f"{what}: non-negative least squares over {len(self.fit)} runs on a tiny RNN-T "
                f"(hwsim.calibrate.runtime_calls), worst residual {self.worst_pct(self.fit):.1f} % on them and "
                f"{self.worst_pct(self.held_out):.1f} % on {len(self.held_out)} held-out runs")

    def table(self) -> list[str]:
        lines = []
        for kind, points in (("fit", self.fit), ("held out", self.held_out)):
            for p in points:
                lines.append(f"    {kind:8} {p.label:28} measured {p.measured_s * 1e6:9.2f} us  model "
                             f"{p.predicted_s(self.coefficients) * 1e6:9.2f} us  ({p.residual_pct(self.coefficients):+6.1f} %)")
        return lines


def nonnegative_fit(points: list[FitPoint], held_out: list[FitPoint], names: tuple[str, ...]) -> LinearFit:
    """Least squares on relative residuals with every coefficient >= 0 (an active-set search over subsets of
    coefficients: at most two here, so exhaustive)."""
    x = np.array([p.features for p in points], float)
    y = np.array([p.measured_s for p in points], float)
    weights = 1.0 / np.maximum(np.abs(y), 1e-12)
    best: tuple[float, np.ndarray] | None = None
    columns = x.shape[1]
    for mask in range(1, 1 << columns):
        keep = [c for c in range(columns) if mask >> c & 1]
        solution, *_ = np.linalg.lstsq(x[:, keep] * weights[:, None], y * weights, rcond=None)
        if (solution < 0).any():
            continue
        full = np.zeros(columns)
        full[keep] = solution
        error = float(np.sum(((x @ full - y) * weights) ** 2))
        if best is None or error < best[0]:
            best = (error, full)
    coefficients = best[1] if best is not None else np.zeros(columns)
    return LinearFit(names, tuple(float(c) for c in coefficients), tuple(points), tuple(held_out))


@dataclass(frozen=True)
class RuntimeCalibration:
    prediction: LinearFit  # (fixed_s, per_row_s)
    joint: LinearFit
    encoder_step: LinearFit  # (per_step_s,)
    search: LinearFit  # (per_step_s, per_candidate_s) over all five searches
    search_by_algorithm: tuple[tuple[str, LinearFit], ...]  # the same pair per search
    measurements: tuple[Measurement, ...]
    cold: ColdFactor | None = None

    def report(self) -> list[str]:
        lines = ["runtime per-call host time beyond the per-op model (tiny RNN-T, hwsim.calibrate.runtime_calls):"]
        for name, fit in (("prediction call", self.prediction), ("joint call", self.joint),
                          ("encoder step", self.encoder_step), ("search, all algorithms", self.search),
                          *((f"search, {name}", fit) for name, fit in self.search_by_algorithm)):
            values = ", ".join(f"{n} {v * 1e6:.3g} us" for n, v in zip(fit.names, fit.coefficients))
            lines.append(f"  {name}: {values}")
            lines += fit.table()
        if self.cold is not None:
            lines.append(f"  glue with the caches evicted before each prediction call: x {self.cold.value:.2f} of hot")
            lines += self.cold.table()
        return lines


def _timed_median(call: Callable[[], float], repeats: int) -> tuple[float, float]:
    """`call` returns the seconds of its own timed work; median and spread over `repeats` calls."""
    samples = [call() for _ in range(repeats)]
    return statistics.median(samples), spread_pct(samples)


class _Runtime:
    """The tiny reference on one runtime, with the cost model of it on the device measured so far."""

    def __init__(self, runtime: str, device_document: dict[str, Any], seed: int = 0,
                 speed: AtReferenceSpeed | None = None):
        from hwsim.reference.timed_decode import build_reference
        from hwsim.reference.runtimes import REFERENCE_OPTIONS
        from hwsim.pipeline.point import RunRequest, prepare_point

        self.runtime = runtime
        self.speed = speed or AtReferenceSpeed(None, None)
        self.reference = build_reference(TINY_WORKLOAD, list(TINY_OVERRIDES), seed)
        self.ort = None
        if runtime == "onnxruntime":
            from hwsim.reference.onnx_runtime import OrtModel
            self.ort = OrtModel(self.reference.model)
        self.features = lambda frames: self.reference.features(frames, seed)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "interim.yaml"
            path.write_text(yaml.safe_dump(device_document, sort_keys=False))
            options = replace(REFERENCE_OPTIONS, topk=PROBE_K)
            self.costs = prepare_point(RunRequest(workload=TINY_WORKLOAD, precision="fp32", device=str(path), frames=8,
                                            overrides=TINY_OVERRIDES, overlap=False, options=options)).costs

    # ---- the op model's share of each timed piece ----
    def modelled_call_s(self, component: str, rows: int) -> float:
        """The op model's time for what the runtime's timed `component` call holds: the call's ops of that component,
        plus those the runtime runs inside it though the graph counts them elsewhere (MEASURED_IN: onnxruntime's
        prediction session ends with joint.pred_proj)."""
        return sum(self.costs.op_cost(op, rows).time_s for op in self.call_ops(component))

    def call_ops(self, component: str) -> list[Op]:
        ops = self.costs.prediction_ops if component == "prediction" else self.costs.joint_ops
        return [op for op in ops if measured_component(self.runtime, op) == component]

    def modelled_encoder_s(self, frames: int) -> float:
        return sum(s.duration_s for s in self.costs.encoder(frames, exclusive=True))

    def modelled_search_compute_s(self, rows: int, k: int) -> float:
        host = replace(self.costs.host, options=replace(self.costs.host.options, topk=k))
        cost = host.search(rows)
        return cost.time_s - cost.overhead_s

    # ---- timed pieces ----
    def encoder_s(self, frames: int, repeats: int) -> tuple[float, float]:
        features = self.features(frames)
        encode = (lambda: self.ort.encode(features)) if self.ort is not None else \
            (lambda: self.reference.model.encode(features))
        encode()

        def timed() -> float:
            start = clock.now()
            encode()
            return clock.now() - start

        def repeat() -> float:
            seconds, factor = self.speed.run(timed)
            return seconds * factor
        return _timed_median(repeat, repeats)


def _encoder_point(rt: _Runtime, frames: int, repeats: int, measurements: list[Measurement]) -> FitPoint:
    seconds, spread = rt.encoder_s(frames, repeats)
    steps = rt.costs.recurrent_steps(frames)
    measurements.append(Measurement("encoder_step", "float32", (frames,), repeats, seconds, steps, "step", spread))
    return FitPoint(f"encoder T={frames} ({steps} steps)", (float(steps),),
                    max(seconds - rt.modelled_encoder_s(frames), 0.0))


@dataclass(frozen=True)
class _SearchRuns:
    points: dict[int, list[FitPoint]]  # search fit points by frames
    calls: dict[tuple[str, int], dict[int, list[float]]]  # (prediction|joint, frames) -> rows -> seconds of each call


def _search_runs(rt: _Runtime, repeats: int, measurements: list[Measurement]) -> _SearchRuns:
    """Each (algorithm, beam, frames) decode once per round, `repeats` interleaved rounds after a warm-up;
    search time = the decode minus its timed network calls (as in `hwsim validate`), median over rounds; every
    prediction and joint call of those decodes is kept with its rows (calls inside a real search, with the
    search's other work between them, are slower than the same call repeated in a tight loop)."""
    from hwsim.reference.timed_decode import run_utterance

    frame_sets = (SEARCH_FIT_FRAMES, SEARCH_HELD_OUT_FRAMES)
    keys = [(algorithm, beam, frames) for frames in frame_sets for algorithm, beam in SEARCHES]
    features = {frames: rt.features(frames) for frames in frame_sets}
    decode = lambda key: run_utterance(rt.reference, features[key[2]], key[0], key[1], ort_model=rt.ort,  # noqa: E731
                                       keep_calls=True)
    schedules = {key: decode(key).schedule for key in keys}  # warm-up; every decode of a key is identical
    samples: dict[tuple, list[float]] = {key: [] for key in keys}
    calls: dict[tuple[str, int], dict[int, list[float]]] = {(c, f): {} for c in ("prediction", "joint")
                                                            for f in frame_sets}
    for _ in range(repeats):
        for key in keys:
            run, factor = rt.speed.run(lambda: decode(key))
            samples[key].append(run.seconds["search"] * factor)
            for call, rows, seconds in run.network_calls:
                calls[(call, key[2])].setdefault(rows, []).append(seconds * factor)
    points: dict[int, list[FitPoint]] = {frames: [] for frames in frame_sets}
    for (algorithm, beam, frames), values in samples.items():
        k = min(beam, rt.reference.model.vocab - 1)
        steps = schedules[(algorithm, beam, frames)].steps
        candidates = sum(step.joint_rows * (k + 1) for step in steps)
        compute = sum(rt.modelled_search_compute_s(step.joint_rows, k) for step in steps)
        seconds = statistics.median(values)
        measurements.append(Measurement(f"search_{algorithm.value}", "float32", (frames, beam), repeats, seconds,
                                        len(steps), "step", spread_pct(values)))
        points[frames].append(FitPoint(f"{algorithm.value} B={beam} T={frames}",
                                       (float(len(steps)), float(candidates)), max(seconds - compute, 0.0)))
    return _SearchRuns(points, calls)


COLD_FIT = ((Algorithm.TSD, 4), (Algorithm.BEAM, 4))
COLD_HELD_OUT = ((Algorithm.MODIFIED_BEAM, 4), (Algorithm.ALSD, 4), (Algorithm.GREEDY, 1))
COLD_FRAMES = 20
COLD_EVICT_BYTES = 48 * 2**20  # 1.5x this machine class's 32 MiB L3, one read-modify-write pass


@dataclass(frozen=True)
class ColdFactor:
    """Glue time (prediction + joint + search of the tiny model) with the caches evicted before every prediction
    call, over the same decodes hot: how much slower the runtime's Python work runs when the decoder's own
    weights have streamed through the caches in between (hwsim.cost.cache_reuse applies it)."""

    value: float
    fit: tuple[tuple[str, float], ...]  # (run, its cold / hot ratio)
    held_out: tuple[tuple[str, float], ...]

    def describe(self) -> str:
        worst = lambda runs: max((abs(r / self.value - 1) * 100 for _, r in runs), default=0.0)  # noqa: E731
        return (f"host glue time (prediction and joint calls and the search, tiny RNN-T, T = {COLD_FRAMES}) with the "
                f"caches evicted ({COLD_EVICT_BYTES // 2**20} MiB pass) before every prediction call, over the same "
                f"decodes hot: median of {len(self.fit)} runs ({', '.join(n for n, _ in self.fit)}; hwsim.calibrate."
                f"runtime_calls), worst residual {worst(self.fit):.1f} % on them and {worst(self.held_out):.1f} % on "
                f"{len(self.held_out)} held-out runs ({', '.join(n for n, _ in self.held_out)})")

    def table(self) -> list[str]:
        return [f"    {kind:<8} {name:<28} cold/hot {ratio:6.2f}  (vs {self.value:.2f}: {100 * (ratio / self.value - 1):+6.1f} %)"
                for kind, runs in (("fit", self.fit), ("held out", self.held_out)) for name, ratio in runs]


def _cold_factor(rt: _Runtime, repeats: int) -> ColdFactor:
    """Each run hot and cold in interleaved rounds; glue = prediction + joint + search seconds (the tiny model's
    arithmetic is negligible), the eviction pass itself excluded (Recorder.before_call)."""
    from hwsim.reference.timed_decode import run_utterance

    evict_caches = cache_evictor(COLD_EVICT_BYTES)

    def evict(call: str) -> None:
        if call == "prediction":
            evict_caches()

    features = rt.features(COLD_FRAMES)
    glue = lambda run: run.seconds["prediction"] + run.seconds["joint"] + run.seconds["search"]  # noqa: E731
    ratios = {}
    for algorithm, beam in COLD_FIT + COLD_HELD_OUT:
        decode = lambda hook: run_utterance(rt.reference, features, algorithm, beam, ort_model=rt.ort,  # noqa: E731
                                            before_call=hook)
        decode(None)
        hot, cold = [], []
        for _ in range(repeats):
            hot.append(glue(decode(None)))
            cold.append(glue(decode(evict)))
        ratios[f"{algorithm.value} B={beam}"] = statistics.median(cold) / statistics.median(hot)
    fit = tuple((f"{a.value} B={b}", ratios[f"{a.value} B={b}"]) for a, b in COLD_FIT)
    held = tuple((f"{a.value} B={b}", ratios[f"{a.value} B={b}"]) for a, b in COLD_HELD_OUT)
    return ColdFactor(max(1.0, statistics.median(r for _, r in fit)), fit, held)


MIN_CALLS_PER_ROWS = 5  # a (rows) bucket of in-search calls needs this many calls to be a fit point


def _call_points(rt: _Runtime, component: str, by_rows: dict[int, list[float]], frames: int,
                 measurements: list[Measurement]) -> list[FitPoint]:
    """One point per batch size seen in the searches: the median call time less the op model's share."""
    points = []
    for rows, values in sorted(by_rows.items()):
        if len(values) < MIN_CALLS_PER_ROWS:
            continue
        seconds = statistics.median(values)
        measurements.append(Measurement(f"{component}_call", "float32", (rows, frames), len(values), seconds, 1,
                                        "call", spread_pct(values)))
        points.append(FitPoint(f"{component} rows={rows} T={frames}", (1.0, float(rows)),
                               max(seconds - rt.modelled_call_s(component, rows), 0.0)))
    return points


def measure_runtime_calls(device_document: dict[str, Any], runtime: str = "numpy", repeats: int = 7,
                          search_repeats: int = 5, speed: AtReferenceSpeed | None = None) -> RuntimeCalibration:
    """Run the tiny-model benchmarks on `runtime` and fit the figures (see the module table); with `speed`, every
    timed decode is scaled to its reference machine speed by the probe timed around it (hwsim.calibrate.probe)."""
    rt = _Runtime(runtime, device_document, speed=speed)
    measurements: list[Measurement] = []
    encoder = nonnegative_fit([_encoder_point(rt, ENCODER_FIT_FRAMES, repeats, measurements)],
                              [_encoder_point(rt, ENCODER_HELD_OUT_FRAMES, repeats, measurements)], ("per_step_s",))
    runs = _search_runs(rt, search_repeats, measurements)
    fits = {component: nonnegative_fit(
        _call_points(rt, component, runs.calls[(component, SEARCH_FIT_FRAMES)], SEARCH_FIT_FRAMES, measurements),
        _call_points(rt, component, runs.calls[(component, SEARCH_HELD_OUT_FRAMES)], SEARCH_HELD_OUT_FRAMES,
                     measurements), ("fixed_s", "per_row_s")) for component in ("prediction", "joint")}
    names = ("per_step_s", "per_candidate_s")
    searches = runs.points
    search = nonnegative_fit(searches[SEARCH_FIT_FRAMES], searches[SEARCH_HELD_OUT_FRAMES], names)
    by_algorithm = []
    for algorithm in dict.fromkeys(a for a, _ in SEARCHES):
        mine = lambda points: [p for p in points if p.label.split()[0] == algorithm.value]  # noqa: E731
        by_algorithm.append((algorithm.value, nonnegative_fit(mine(searches[SEARCH_FIT_FRAMES]),
                                                              mine(searches[SEARCH_HELD_OUT_FRAMES]), names)))
    return RuntimeCalibration(fits["prediction"], fits["joint"], encoder, search, tuple(by_algorithm),
                              tuple(measurements), _cold_factor(rt, max(3, search_repeats)))
