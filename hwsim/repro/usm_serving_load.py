"""Serving under load: USM RNN-T 1B on TPU v4 / v5e / v5p for the Table 2 configurations (Exp0-Exp5), and the IBM
RNN-T on the IBM 7-nm chip (FP16 vs INT4, beams 1-16), with batching across utterances.

Per configuration: the most real-time streams one chip serves at the p99 target (capped by the streams whose state
fits in its memory), offline throughput with continuous batching, and what that costs per 1000 h of audio. How
strongly cost follows model size is measured, not asserted: the elasticity of streaming cost with respect to the
packed model size across Exp0-Exp5 (a log-log slope; 1 = cost proportional to size, 0 = size does not matter).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hwsim.csvout import write_csv
from hwsim.errors import silenced_warnings  # noqa: E402
from hwsim.executor import Executor, LocalExecutor  # noqa: E402
from hwsim.outputs import write_resolved_config  # noqa: E402
from hwsim.serving.capacity import find_max_load, point_setup, probe_summary  # noqa: E402
from hwsim.serving.load import Lengths  # noqa: E402
from hwsim.serving.run import Scenario, ServeRequest  # noqa: E402
from hwsim.simulate import RunRequest  # noqa: E402

REGENERATE = "hwsim reproduce usm-serving-load --out reports/usm_serving_load"
SLO_P99_S = 0.5                   # end of speech -> final result
STREAM_DURATION_S, STREAM_UTTERANCE_S, STREAM_CV = 6.0, 3.0, 0.3
OFFLINE_UTTERANCES, OFFLINE_UTTERANCE_S, OFFLINE_CV = 64, 10.0, 0.3
MAX_BATCH = 128
SATURATION_BATCHES = 4            # the throughput estimate's offline run: this many full batches of utterances
SEARCH_TOLERANCE = 0.1            # capacity searched to within 10 % (streams): bracket width / its top
DECODER_BATCH = 64                # batch at which decoder steps are checked for being weight-bound
ELASTICITY_HOLDS, ELASTICITY_PARTLY = 0.5, 0.1
USM = dict(workload="usm_rnnt_1b", host="xeon_host", beam=8,
           precision_overrides=("defaults.weights.format=bf16", "defaults.activations.format=bf16"))
USM_DEVICES = ("tpu_v4", "tpu_v5e", "tpu_v5p")
USM_EXPERIMENTS = ("exp0", "exp1", "exp2", "exp3", "exp4", "exp5")
IBM = dict(workload="ibm_rnnt_swb", device="ibm_7nm_ai_chip")
IBM_PRECISIONS = ("fp16", "int4")
IBM_BEAMS = (1, 2, 4, 8, 16)
QUICK_DEVICES, QUICK_EXPERIMENTS, QUICK_BEAMS = ("tpu_v5e",), ("exp0", "exp5"), (1,)
WORKERS = max(1, min(os.cpu_count() or 1, 8))


@dataclass(frozen=True)
class Point:
    base: RunRequest

    def streaming(self) -> ServeRequest:
        return ServeRequest(self.base, Scenario.STREAMING, streams=1, duration_s=STREAM_DURATION_S,
                            lengths=Lengths(STREAM_UTTERANCE_S, STREAM_CV), max_batch=MAX_BATCH)

    def saturation(self) -> ServeRequest:
        """Offline utterances of the streams' lengths, enough to keep every decoder step at MAX_BATCH: its RTFx is
        the audio seconds per second the chip serves flat out, where the stream search starts."""
        return ServeRequest(self.base, Scenario.OFFLINE, utterances=SATURATION_BATCHES * MAX_BATCH,
                            lengths=Lengths(STREAM_UTTERANCE_S, STREAM_CV), max_batch=MAX_BATCH)

    def offline(self) -> ServeRequest:
        return ServeRequest(self.base, Scenario.OFFLINE, utterances=OFFLINE_UTTERANCES,
                            lengths=Lengths(OFFLINE_UTTERANCE_S, OFFLINE_CV), max_batch=MAX_BATCH)


def decoder_step_ratio(base: RunRequest) -> float:
    """Time of one decoder step (prediction + joint) over DECODER_BATCH utterances / DECODER_BATCH x one utterance's:
    well below 1 means the step is weight-bound (the batch shares one read of the decoder's weights)."""
    costs = point_setup(base).costs
    def step(rows: int) -> float:
        return sum(s.duration_s for s in (*costs.prediction(rows), *costs.joint(rows)))
    return step(DECODER_BATCH * base.beam) / (DECODER_BATCH * step(base.beam))


@silenced_warnings()  # its --precision-set overrides of the defaults are deliberate
def measure(point: Point) -> dict[str, object]:
    """One configuration, in this process (points run in parallel, their probes one after another)."""
    prepared = point_setup(point.base)
    stream = point.streaming()
    first = probe_summary(stream)
    memory_cap = int(first["memory"]["max_concurrent_streams"])
    # one probe at a time: the lower of the memory bound and the saturated throughput first, then the throughput
    # a failing probe served, then halves of the bracket
    estimate = probe_summary(point.saturation())["rtfx"]
    capacity = find_max_load(stream, SLO_P99_S, LocalExecutor(1), tolerance=SEARCH_TOLERANCE, limit=max(1, memory_cap),
                             probes_per_round=1, estimate=estimate)
    streams = int(capacity.max_load)
    offline = probe_summary(point.offline())
    price = prepared.device.price_per_hour_usd
    return {
        "workload": point.base.workload, "device": point.base.device, "precision": point.base.precision,
        "beam": point.base.beam, "weights_mb": first["memory"]["weights_bytes"] / 1e6,
        "per_stream_mb": first["memory"]["per_stream_bytes"] / 1e6, "memory_cap_streams": memory_cap,
        "max_streams": streams, "bound": "memory" if streams >= memory_cap else "latency",
        "saturated_rtfx": estimate, "probes": len(capacity.probes),
        "streaming_usd_per_1000h": 1000.0 * price / streams if price and streams else float("nan"),
        "streaming_energy_per_hour_audio_j": 3600.0 * prepared.device.power_w / streams
        if prepared.device.power_w and streams else float("nan"),
        "offline_utt_per_s": offline["throughput_utt_per_s"], "offline_rtfx": offline["rtfx"],
        "offline_batch_mean": offline["batch"]["mean"],
        "offline_usd_per_1000h": offline["cost_per_1000h_usd"] if offline["cost_per_1000h_usd"] else float("nan"),
        "decoder_step_ratio": decoder_step_ratio(point.base),
    }


def elasticity(sizes: np.ndarray, costs: np.ndarray) -> float:
    """Least-squares slope of log(cost) on log(size)."""
    ok = np.isfinite(costs) & (costs > 0)
    if ok.sum() < 2 or np.ptp(np.log(sizes[ok])) == 0:
        return float("nan")
    return float(np.polyfit(np.log(sizes[ok]), np.log(costs[ok]), 1)[0])


def verdict(value: float) -> str:
    if math.isnan(value):
        return "cannot be judged (no cost figure)"
    if value >= ELASTICITY_HOLDS:
        return f"holds (elasticity {value:.2f} >= {ELASTICITY_HOLDS})"
    if value >= ELASTICITY_PARTLY:
        return f"holds only partly (elasticity {value:.2f})"
    return f"does not hold (elasticity {value:.2f} < {ELASTICITY_PARTLY})"


def _usm_table(frame: pd.DataFrame) -> str:
    lines = ["| device | config | weights [MB] | state/stream [MB] | streams fit | max streams @p99 | bound | "
             "$ / 1000 h (streaming) | offline utt/s | offline RTFx | $ / 1000 h (offline) | decoder step x64 / 64 x1 |",
             "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in frame.itertuples():
        lines.append(f"| {r.device} | {r.precision} | {r.weights_mb:.0f} | {r.per_stream_mb:.1f} | {r.memory_cap_streams} | "
                     f"{r.max_streams} | {r.bound} | {r.streaming_usd_per_1000h:.3f} | {r.offline_utt_per_s:.1f} | "
                     f"{r.offline_rtfx:.0f} | {r.offline_usd_per_1000h:.3f} | {r.decoder_step_ratio:.3f} |")
    return "\n".join(lines)


def _ibm_table(frame: pd.DataFrame) -> str:
    lines = ["| precision | beam | weights [MB] | state/stream [MB] | streams fit | max streams @p99 | bound | "
             "J per hour of audio (streaming) | offline utt/s | offline RTFx | decoder step x64 / 64 x1 |",
             "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
    for r in frame.itertuples():
        lines.append(f"| {r.precision} | {r.beam} | {r.weights_mb:.1f} | {r.per_stream_mb:.3f} | {r.memory_cap_streams} | "
                     f"{r.max_streams} | {r.bound} | {r.streaming_energy_per_hour_audio_j:.1f} | "
                     f"{r.offline_utt_per_s:.1f} | {r.offline_rtfx:.0f} | {r.decoder_step_ratio:.3f} |")
    return "\n".join(lines)


def plot_streams(frame: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(8, 4.2))
    devices, experiments = list(dict.fromkeys(frame.device)), list(dict.fromkeys(frame.precision))
    width = 0.8 / len(devices)
    x = np.arange(len(experiments))
    for i, device in enumerate(devices):
        sub = frame[frame.device == device].set_index("precision").loc[experiments]
        ax.bar(x + i * width, sub.max_streams, width, label=f"{device} (max @ p99 <= {SLO_P99_S:g} s)")
        ax.scatter(x + i * width, sub.memory_cap_streams, marker="_", s=200, color="black",
                   label="streams whose state fits" if i == 0 else None)
    ax.set_xticks(x + width * (len(devices) - 1) / 2, experiments)
    ax.set_ylabel("real-time streams per chip")
    ax.set_title("USM RNN-T 1B streaming: streams per chip by precision (Table 2 configurations)", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _reading(usm: pd.DataFrame) -> list[str]:
    lines = []
    for device in dict.fromkeys(usm.device):
        sub = usm[usm.device == device]
        e_stream = elasticity(sub.weights_mb.to_numpy(), sub.streaming_usd_per_1000h.to_numpy())
        e_off = elasticity(sub.weights_mb.to_numpy(), sub.offline_usd_per_1000h.to_numpy())
        bounds = ", ".join(f"{b} for {', '.join(sub[sub.bound == b].precision)}" for b in ("memory", "latency")
                           if (sub.bound == b).any())
        lines.append(f"- {device}: 'serving cost is dominated by model size' {verdict(e_stream)} for streaming "
                     f"(streams per chip bound by {bounds}) and {verdict(e_off)} for offline batches "
                     f"(Exp0 -> Exp5 weights {sub.weights_mb.max() / sub.weights_mb.min():.1f}x smaller; streaming "
                     f"cost {sub.streaming_usd_per_1000h.max() / sub.streaming_usd_per_1000h.min():.2f}x, offline cost "
                     f"{sub.offline_usd_per_1000h.max() / sub.offline_usd_per_1000h.min():.2f}x between the dearest "
                     "and cheapest config).")
    ratio = usm.decoder_step_ratio
    lines.append(f"- Batched decoder steps are weight-bound where a {DECODER_BATCH}-utterance step costs far less than "
                 f"{DECODER_BATCH} single ones: the ratio is {ratio.min():.3f}-{ratio.max():.3f} here (the decoder is "
                 "not quantized in any Table 2 config, so precision does not move it).")
    return lines


def _ibm_reading(ibm: pd.DataFrame) -> list[str]:
    """FP16 vs INT4 per beam: how much more INT4 serves against how much smaller it is."""
    lines = []
    for beam in dict.fromkeys(ibm.beam):
        pair = ibm[ibm.beam == beam].set_index("precision")
        if not {"fp16", "int4"} <= set(pair.index):
            continue
        fp, q = pair.loc["fp16"], pair.loc["int4"]
        e = elasticity(pair.weights_mb.to_numpy(), pair.streaming_energy_per_hour_audio_j.to_numpy())
        lines.append(f"- IBM chip, beam {beam}: INT4 weights {fp.weights_mb / q.weights_mb:.1f}x smaller; it serves "
                     f"{q.max_streams} streams against {fp.max_streams} for FP16 ({q.max_streams / fp.max_streams:.2f}x; "
                     f"bound by {q.bound} / {fp.bound}), so energy per hour of audio falls "
                     f"{fp.streaming_energy_per_hour_audio_j / q.streaming_energy_per_hour_audio_j:.2f}x: 'serving "
                     f"cost is dominated by model size' {verdict(e)}.")
    return lines


def run_points(points: list[Point], executor: Executor) -> pd.DataFrame:
    """Rows in the order given; computed beam by beam (points of one beam share their decode schedules)."""
    order = sorted(range(len(points)), key=lambda i: points[i].base.beam)
    rows = executor.map(measure, [points[i] for i in order])
    by_index = dict(zip(order, rows))
    return pd.DataFrame([by_index[i] for i in range(len(points))])


@silenced_warnings()  # its --precision-set overrides of the defaults are deliberate
def write_usm_serving_load_report(directory: Path, executor: Executor | None = None, quick: bool = False) -> pd.DataFrame:
    """`quick`: one TPU, Exp0 and Exp5, IBM beam 1 only (a smoke run; the committed report is the full one)."""
    executor = executor or LocalExecutor(WORKERS)
    devices, experiments, beams = (QUICK_DEVICES, QUICK_EXPERIMENTS, QUICK_BEAMS) if quick else \
        (USM_DEVICES, USM_EXPERIMENTS, IBM_BEAMS)
    usm = run_points([Point(RunRequest(device=d, precision=e, frames=1, **USM)) for d in devices
                      for e in experiments], executor)
    ibm = run_points([Point(RunRequest(precision=p, frames=1, beam=b, **IBM)) for p in IBM_PRECISIONS
                      for b in beams], executor)
    write_csv(usm, directory / "usm_points.csv")
    write_csv(ibm, directory / "ibm_points.csv")
    plot_streams(usm, directory / "streams_per_chip.png")
    write_resolved_config(directory, {"usm": {k: list(v) if isinstance(v, tuple) else v for k, v in USM.items()},
                                      "ibm": IBM, "slo_p99_s": SLO_P99_S, "max_batch": MAX_BATCH,
                                      "streaming": {"duration_s": STREAM_DURATION_S, "utterance_s": STREAM_UTTERANCE_S,
                                                    "utterance_cv": STREAM_CV, "chunk_s": 0.64},
                                      "offline": {"utterances": OFFLINE_UTTERANCES, "utterance_s": OFFLINE_UTTERANCE_S,
                                                  "utterance_cv": OFFLINE_CV}, "search_tolerance": SEARCH_TOLERANCE,
                                      "saturation_utterances": SATURATION_BATCHES * MAX_BATCH})
    (directory / "README.md").write_text(report_text(usm, ibm))
    return usm


def report_text(usm: pd.DataFrame, ibm: pd.DataFrame) -> str:
    """The report's README, from its two tables (usm_points.csv, ibm_points.csv)."""
    text = [
        "# Serving under load: USM RNN-T 1B on TPUs (Exp0-Exp5) and the IBM RNN-T on the IBM chip", "",
        f"Regenerate with `{REGENERATE}` (a smoke run: `--quick`).", "", __doc__.strip(), "",
        "## Settings", "",
        f"- Streaming: real-time streams talking {STREAM_UTTERANCE_S:g}-s utterances (lognormal, cv {STREAM_CV:g}) "
        f"back to back for {STREAM_DURATION_S:g} s, 640-ms chunks, continuous batching (decoder steps of up to "
        f"{MAX_BATCH} streams), p99 of end-of-speech -> final result <= {SLO_P99_S:g} s, capped by the streams "
        "whose state (hypotheses, logit buffers, attention and convolution caches) fits beside the weights.",
        f"- Capacity search, one full streaming simulation per probe: the first probe is the lower of that memory "
        f"bound and the chip's saturated throughput (RTFx of {SATURATION_BATCHES * MAX_BATCH} offline utterances of "
        f"the streams' lengths, batches of {MAX_BATCH}); while probes pass, the next aims at the load that would keep "
        "the busiest resource busy all the time (at most 2x); then bisection, aimed first at the audio the failing "
        f"probe actually served. It stops when the bracket [max streams, smallest failing load] is within "
        f"{SEARCH_TOLERANCE:.0%} of its top: the max streams reported meets the target and is at most "
        f"{SEARCH_TOLERANCE:.0%} below the true capacity (`probes` in the CSVs: {int(usm.probes.sum() + ibm.probes.sum())} "
        f"in all). Every probe simulates the full {STREAM_DURATION_S:g} s (durations are not shortened: near "
        "saturation the backlog, and so the p99, depends on it). Utterance i has the same length and decode schedule "
        "at every load and precision (common random numbers), so p99 rises with load and schedules are searched once.",
        f"- Offline: {OFFLINE_UTTERANCES} utterances of {OFFLINE_UTTERANCE_S:g} s (cv {OFFLINE_CV:g}) ready at t=0, "
        f"continuous batching up to {MAX_BATCH}.",
        "- USM: beam 8, time-synchronous search on the host (`xeon_host`), float parts and activations bf16 (as in "
        "reports/usm_serving). $ per 1000 h of audio = chip price x chip-hours per audio hour (streaming: 1 / streams "
        "per chip); host CPU cost is not counted. Prices are the device files' assumptions.",
        "", "## USM RNN-T 1B on TPUs", "", _usm_table(usm), "", "![streams per chip](streams_per_chip.png)", "",
        "## IBM RNN-T (SWB) on the IBM 7-nm chip: FP16 vs INT4, beams 1-16", "",
        "The chip has no price; energy per hour of audio uses its power figure (13.5 W at peak).", "",
        _ibm_table(ibm), "",
        "## Reading (computed from the tables above)", "", *_reading(usm), *_ibm_reading(ibm), "",
    ]
    return "\n".join(text)
