"""One call from a workload name to a timed, recorded numpy decode (what `hwsim reference` runs)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Callable

import numpy as np

from hwsim.graph.architecture import build_graph
from hwsim.reference.blank_bias import fit_blank_bias
from hwsim.reference.decoder import ReferenceDecoder
from hwsim.reference.rnnt import RnntModel, check_reference_spec
from hwsim.reference.synthetic_speech import speech_features
from hwsim.decode.registry import Algorithm
from hwsim.reference.search import decode
from hwsim.reference.trace import COMPONENTS, Recorder
from hwsim.reference.weights import init_weights
from hwsim.decode.schedule import DecodeSchedule
from hwsim.specs.resolve import load_workload_spec


@dataclass(frozen=True)
class ReferenceRun:
    schedule: DecodeSchedule
    seconds: dict[str, float]  # wall time per component (encoder, prediction, joint, search)
    calls: dict[str, int]  # timed calls per component
    total_interval_s: tuple[float, float] = (0.0, 0.0)  # quartiles (min/max below 4 decodes) of the total time
    network_calls: tuple[tuple[str, int, float], ...] = ()  # (call, rows, seconds) each, with keep_calls

    @property
    def label_rate(self) -> float:
        return self.schedule.labels / self.schedule.frames


def build_reference(workload: str, overrides: list[str] | None = None, seed: int = 0) -> ReferenceDecoder:
    """Workload -> model with seeded weights and a blank bias fitted to decoding.label_rate_per_frame; the
    workload with shipped trained weights (hwsim.reference.trained) gets those, unless overrides change it."""
    from hwsim.reference.trained import TRAINED_WORKLOAD, load_trained_reference
    if workload == TRAINED_WORKLOAD and not overrides:
        return load_trained_reference()
    spec, _ = load_workload_spec(workload, overrides)
    check_reference_spec(spec)
    model = RnntModel(spec, init_weights(build_graph(spec), seed))
    decoding = spec.decoding
    bias, rate = fit_blank_bias(model, decoding.label_rate_per_frame, decoding.max_symbols_per_frame, seed)
    return ReferenceDecoder(model, bias, rate, decoding.max_symbols_per_frame)


def run_utterance(ref: ReferenceDecoder, features: np.ndarray, algorithm: Algorithm, beam: int,
                  cache: bool = True, ort_model=None, keep_calls: bool = False,
                  before_call: Callable[[str], None] | None = None) -> ReferenceRun:
    """One timed decode on numpy, or on onnxruntime sessions of the same weights when `ort_model` is given;
    `keep_calls` also keeps every prediction and joint call's rows and time; `before_call(call)` runs, untimed,
    before each network call (hwsim.calibrate.runtime_calls evicts the caches there)."""
    recorder = Recorder(network_calls=[] if keep_calls else None, before_call=before_call)
    if ort_model is not None:
        from hwsim.reference.onnx_runtime import decode_onnx
        schedule = decode_onnx(ort_model, features, recorder, algorithm, beam, ref.max_symbols, cache)
    else:
        with recorder.timed("encoder"):
            encoded = ref.model.encode(features)
        schedule = decode(ref.model, encoded, recorder, algorithm, beam, ref.max_symbols, cache)
    seconds = {c: recorder.seconds.get(c, 0.0) for c in COMPONENTS}
    return ReferenceRun(schedule, seconds, {c: recorder.calls.get(c, 0) for c in COMPONENTS},
                        network_calls=tuple(recorder.network_calls or ()))


def run_repeated(ref: ReferenceDecoder, features: np.ndarray, algorithm: Algorithm, beam: int, repeats: int,
                 cache: bool = True, warmup: int = 1, ort_model=None) -> ReferenceRun:
    """`warmup` untimed decodes, then `repeats` identical ones; per-component times are medians, counts come
    from the first (all equal), and the total's interval shows how noisy the machine was."""
    from hwsim.progress import progress  # stderr; off under --quiet or without a terminal

    with progress(total=warmup + repeats, desc="reference", unit="decode") as bar:
        for _ in range(warmup):
            run_utterance(ref, features, algorithm, beam, cache, ort_model)
            bar.update(1)
        runs = []
        for _ in range(repeats):
            runs.append(run_utterance(ref, features, algorithm, beam, cache, ort_model))
            bar.update(1)
    medians = {c: statistics.median(r.seconds[c] for r in runs) for c in COMPONENTS}
    totals = sorted(sum(r.seconds.values()) for r in runs)
    if len(totals) >= 4:
        q1, _, q3 = statistics.quantiles(totals, n=4, method="inclusive")
        interval = (q1, q3)
    else:
        interval = (totals[0], totals[-1])
    return ReferenceRun(runs[0].schedule, medians, runs[0].calls, interval)
