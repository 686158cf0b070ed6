"""Serving under load: USM RNN-T 1B on TPU v4 / v5e / v5p for the Table 2 configurations (Exp0-Exp5), and the IBM
RNN-T on the IBM 7-nm chip (FP16 vs INT4, greedy and beams 1-16), with batching across utterances.

Per configuration: the most real-time streams one chip serves at the p99 target (capped by the streams whose state
fits in its memory), offline throughput with continuous batching, and what that costs per 1000 h of audio. How
strongly cost follows model size is measured, not asserted: the elasticity of streaming cost with respect to the
packed model size across Exp0-Exp5 (a log-log slope; 1 = cost proportional to size, 0 = size does not matter).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hwsim.io.csvout import write_csv
from hwsim.errors import silenced_warnings  # noqa: E402
from hwsim.pipeline.executors import Executor, LocalExecutor  # noqa: E402
from hwsim.io.outputs import write_resolved_config  # noqa: E402
from hwsim.serving.capacity import find_max_load, point_setup, probe_summary  # noqa: E402
from hwsim.serving.load import Lengths  # noqa: E402
from hwsim.serving.serve import Scenario, ServeRequest  # noqa: E402
from hwsim.decode.registry import Algorithm  # noqa: E402
from hwsim.pipeline.point import RunRequest, make_schedule  # noqa: E402

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
# (search, beam): greedy (one step per frame plus one per label emitted) beside TSD at each beam (max-symbols + 1
# steps per frame at every beam), so the greedy vs beam-4 capacity is measured with the decoder a server would run
IBM_SEARCHES = ((Algorithm.GREEDY, 1), *((Algorithm.TSD, b) for b in IBM_BEAMS))
QUICK_DEVICES, QUICK_EXPERIMENTS = ("tpu_v5e",), ("exp0", "exp5")
QUICK_SEARCHES = ((Algorithm.TSD, 1),)
COMPUTE_UNITS = {"matrix", "vector"}   # chip resources that do arithmetic (memory, link and cpu do not)
COMPONENTS = ("encoder", "prediction", "joint", "transfer", "search")  # chip and host work, as the engine books it
WORKERS = max(1, min(os.cpu_count() or 1, 8))

# The previous engine's figures (this report at commit 15d97d2, before issue 24's one engine): max streams @p99,
# saturated RTFx, offline utt/s. USM: Exp0 and Exp5 per TPU; IBM: TSD at each beam (it had no greedy rows).
PREVIOUS_ENGINE = "15d97d2"
PREVIOUS_USM = {
    ("tpu_v4", "exp0"): (1220, 4459, 310.4), ("tpu_v4", "exp5"): (1279, 4466, 310.4),
    ("tpu_v5e", "exp0"): (575, 3192, 219.6), ("tpu_v5e", "exp5"): (634, 3198, 219.6),
    ("tpu_v5p", "exp0"): (3760, 7699, 549.1), ("tpu_v5p", "exp5"): (3819, 7704, 549.1),
}
PREVIOUS_IBM = {
    ("fp16", 1): (1818, 909, 78.0), ("fp16", 2): (1679, 845, 73.1), ("fp16", 4): (1426, 763, 65.1),
    ("fp16", 8): (1043, 644, 53.4), ("fp16", 16): (642, 477, 39.3),
    ("int4", 1): (5337, 2465, 186.9), ("int4", 2): (3906, 2199, 166.9), ("int4", 4): (2623, 1795, 137.9),
    ("int4", 8): (1603, 1296, 102.2), ("int4", 16): (868, 810, 67.3),
}


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


def decode_work(base: RunRequest) -> dict[str, float]:
    """Decoder work per encoder frame of one mean-length stream utterance (its decode schedule): steps, prediction
    rows, joint rows and hypotheses searched. Batching sums rows over streams; steps are what it shares."""
    prepared = point_setup(base)
    graph = prepared.model.graph
    schedule = make_schedule(prepared, replace(base, frames=round(STREAM_UTTERANCE_S / graph.input_frame_step_s)))
    frames = schedule.frames
    return {"steps_per_frame": len(schedule.steps) / frames,
            "prediction_rows_per_frame": schedule.prediction_rows / frames,
            "joint_rows_per_frame": schedule.joint_rows / frames,
            "hyps_per_frame": sum(step.hyps for step in schedule.steps) / frames}


def at_capacity(summary: dict) -> dict[str, object]:
    """Where the time goes at the max-streams probe: its busiest resource, and the busy milliseconds per second of
    audio served (per resource for the busiest, per component for all). Every stream brings one audio second per
    second, so streams <= 1000 / (a resource's ms per audio second)."""
    per_audio_ms = 1e3 / summary["audio_s"]
    top = busiest(summary)
    components = summary["components_busy_s"]
    return {**top, "bottleneck_ms_per_audio_s": top["bottleneck_utilization"] * summary["makespan_s"] * per_audio_ms,
            **{f"{c}_ms_per_audio_s": components.get(c, 0.0) * per_audio_ms for c in COMPONENTS}}


def busiest(summary: dict, prefix: str = "") -> dict[str, object]:
    """The run's busiest resource and its utilization (what bounds a run that is not bound by memory)."""
    utilization = summary["utilization"]
    name = max(utilization, key=utilization.get)
    return {f"{prefix}bottleneck": name, f"{prefix}bottleneck_utilization": utilization[name]}


@silenced_warnings()  # its --precision-set overrides of the defaults are deliberate
def measure(point: Point) -> dict[str, object]:
    """One configuration, in this process (points run in parallel, their probes one after another)."""
    prepared = point_setup(point.base)
    stream = point.streaming()
    first = probe_summary(stream)
    memory = first["memory"]
    memory_cap = int(memory["max_concurrent_streams"])
    # one probe at a time: the lower of the memory bound and the saturated throughput first, then the throughput
    # a failing probe served, then halves of the bracket
    estimate = probe_summary(point.saturation())["rtfx"]
    capacity = find_max_load(stream, SLO_P99_S, LocalExecutor(1), tolerance=SEARCH_TOLERANCE, limit=max(1, memory_cap),
                             probes_per_round=1, estimate=estimate)
    streams = int(capacity.max_load)
    served = next((p.summary for p in capacity.probes if p.meets and p.load == capacity.max_load), None)
    offline = probe_summary(point.offline())
    price = prepared.device.price_per_hour_usd
    return {
        "workload": point.base.workload, "device": point.base.device, "precision": point.base.precision,
        "search": point.base.algorithm.value, "beam": point.base.beam, "weights_mb": memory["weights_bytes"] / 1e6,
        "memory_gb": memory["capacity_bytes"] / 1e9, "per_stream_mb": memory["per_stream_bytes"] / 1e6,
        "streaming_cache_mb": memory["streaming_cache_bytes"] / 1e6,
        "encoder_output_kb": memory["encoder_output_bytes"] / 1e3, "memory_cap_streams": memory_cap,
        "max_streams": streams, "bound": "memory" if streams >= memory_cap else "latency",
        "saturated_rtfx": estimate, "probes": len(capacity.probes),
        "streaming_usd_per_1000h": 1000.0 * price / streams if price and streams else float("nan"),
        "streaming_energy_per_hour_audio_j": 3600.0 * prepared.device.power_w / streams
        if prepared.device.power_w and streams else float("nan"),
        **(at_capacity(served) if served else {}), **decode_work(point.base),
        "offline_utt_per_s": offline["throughput_utt_per_s"], "offline_rtfx": offline["rtfx"],
        "offline_batch_mean": offline["batch"]["mean"], **busiest(offline, "offline_"),
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


def _busy(row: object) -> str:
    """'matrix 65 %': the busiest resource at the max-streams probe."""
    name = getattr(row, "bottleneck", None)
    return "-" if not isinstance(name, str) else f"{name} {row.bottleneck_utilization:.0%}"


def _usm_table(frame: pd.DataFrame) -> str:
    lines = ["| device | config | weights [MB] | state/stream [MB] (caches) | streams fit | max streams @p99 | bound | "
             "busiest at max streams | saturated RTFx | $ / 1000 h (streaming) | offline utt/s | offline RTFx | "
             "$ / 1000 h (offline) | decoder step x64 / 64 x1 |",
             "|---|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in frame.itertuples():
        lines.append(f"| {r.device} | {r.precision} | {r.weights_mb:.0f} | {r.per_stream_mb:.1f} "
                     f"({r.streaming_cache_mb:.1f}) | {r.memory_cap_streams} | {r.max_streams} | {r.bound} | "
                     f"{_busy(r)} | {r.saturated_rtfx:.0f} | {r.streaming_usd_per_1000h:.3f} | "
                     f"{r.offline_utt_per_s:.1f} | {r.offline_rtfx:.0f} | {r.offline_usd_per_1000h:.3f} | "
                     f"{r.decoder_step_ratio:.3f} |")
    return "\n".join(lines)


def _ibm_table(frame: pd.DataFrame) -> str:
    lines = ["| precision | search | beam | weights [MB] | state/stream [MB] | streams fit | max streams @p99 | bound | "
             "busiest at max streams | saturated RTFx | J per hour of audio (streaming) | offline utt/s | "
             "offline RTFx | decoder step x64 / 64 x1 |",
             "|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|"]
    for r in frame.itertuples():
        lines.append(f"| {r.precision} | {r.search} | {r.beam} | {r.weights_mb:.1f} | {r.per_stream_mb:.3f} | "
                     f"{r.memory_cap_streams} | {r.max_streams} | {r.bound} | {_busy(r)} | {r.saturated_rtfx:.0f} | "
                     f"{r.streaming_energy_per_hour_audio_j:.1f} | {r.offline_utt_per_s:.1f} | {r.offline_rtfx:.0f} | "
                     f"{r.decoder_step_ratio:.3f} |")
    return "\n".join(lines)


def _work_table(frame: pd.DataFrame) -> str:
    """Decoder work per encoder frame and busy time per audio second at the max-streams probe, by search."""
    lines = ["| precision | search | beam | steps / frame | prediction rows / frame | joint rows / frame | "
             "hyps searched / frame | max streams @p99 | busiest | its ms / audio s | encoder | prediction | joint | "
             "transfer | search [ms / audio s] |", "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in frame.itertuples():
        lines.append(f"| {r.precision} | {r.search} | {r.beam} | {r.steps_per_frame:.2f} | "
                     f"{r.prediction_rows_per_frame:.2f} | {r.joint_rows_per_frame:.2f} | {r.hyps_per_frame:.2f} | "
                     f"{r.max_streams} | {_busy(r)} | {r.bottleneck_ms_per_audio_s:.3f} | "
                     f"{r.encoder_ms_per_audio_s:.3f} | {r.prediction_ms_per_audio_s:.3f} | "
                     f"{r.joint_ms_per_audio_s:.3f} | {r.transfer_ms_per_audio_s:.3f} | {r.search_ms_per_audio_s:.3f} |")
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
    """Per TPU and scenario: what bounds serving, and whether model size moves its cost."""
    lines = []
    for device in dict.fromkeys(usm.device):
        sub = usm[usm.device == device]
        lines += [_streaming_size(device, sub), _offline_size(device, sub)]
    ratio = usm.decoder_step_ratio
    lines.append(f"- Decoder steps are weight-bound at batch 1: a {DECODER_BATCH}-utterance step costs "
                 f"{ratio.min():.3f}-{ratio.max():.3f} of {DECODER_BATCH} single ones, because the batch shares each "
                 "read of the decoder's weights. The decoder is not quantized in any Table 2 config, so precision does "
                 "not move it.")
    return lines


def _streaming_size(device: str, sub: pd.DataFrame) -> str:
    e = elasticity(sub.weights_mb.to_numpy(), sub.streaming_usd_per_1000h.to_numpy())
    big, small = sub.loc[sub.weights_mb.idxmax()], sub.loc[sub.weights_mb.idxmin()]
    cost = sub.streaming_usd_per_1000h
    head = (f"- {device}, streaming: 'serving cost is dominated by model size' {verdict(e)}: weights "
            f"{big.weights_mb / small.weights_mb:.1f}x smaller ({big.precision} -> {small.precision}) move the cost "
            f"per 1000 h by {cost.max() / cost.min():.2f}x.")
    if not (sub.bound == "memory").all():
        bounds = ", ".join(f"{b} for {', '.join(sub[sub.bound == b].precision)}" for b in ("memory", "latency")
                           if (sub.bound == b).any())
        return f"{head} Streams per chip are bound by {bounds}."
    gb = big.memory_gb
    return (f"{head} Streams are bound by memory in every config: a stream holds {big.per_stream_mb:.1f} MB "
            f"({big.streaming_cache_mb:.1f} MB of attention and convolution caches, {big.encoder_output_kb:.0f} kB "
            f"of one chunk's encoder output, the rest hypotheses and logit buffers), so {gb:.1f} GB holds "
            f"{big.memory_cap_streams} streams beside {big.precision}'s weights ({big.weights_mb / 1e3 / gb:.0%} of the "
            f"memory) and {small.memory_cap_streams} beside {small.precision}'s ({small.weights_mb / 1e3 / gb:.1%}). "
            f"The chip's compute would carry {sub.saturated_rtfx.min():.0f} audio seconds per second flat out "
            f"({sub.saturated_rtfx.min() / sub.memory_cap_streams.max():.1f}x the memory bound; at the memory bound "
            f"its busiest resource is {_busy(big)} busy). Size enters only through the memory the weights take; the "
            "per-stream state, which quantizing the weights does not shrink, sets the count.")


def _offline_size(device: str, sub: pd.DataFrame) -> str:
    e = elasticity(sub.weights_mb.to_numpy(), sub.offline_usd_per_1000h.to_numpy())
    cost, names = sub.offline_usd_per_1000h, sorted(set(sub.offline_bottleneck))
    kind = "compute" if set(names) <= COMPUTE_UNITS else "/".join(names)
    text = (f"- {device}, offline: 'serving cost is dominated by model size' {verdict(e)}: "
            f"{sub.offline_utt_per_s.min():.1f}-{sub.offline_utt_per_s.max():.1f} utt/s across the configs (cost "
            f"{cost.max() / cost.min():.2f}x between the dearest and cheapest). The batch is bound by {kind} "
            f"(busiest resource {'/'.join(names)}, {sub.offline_bottleneck_utilization.min():.0%}-"
            f"{sub.offline_bottleneck_utilization.max():.0%} busy)")
    if e < ELASTICITY_PARTLY and kind == "compute":
        text += (": the weight-only codes are converted to bf16 before the MXU, so fewer weight bytes save no time, "
                 "and the decoder is bf16 in every config")
    return text + "."


def _label(row: pd.Series) -> str:
    return "greedy" if row.search == Algorithm.GREEDY.value else f"beam {row.beam}"


def _ibm_reading(ibm: pd.DataFrame) -> list[str]:
    """FP16 vs INT4 per search and beam: how much more INT4 serves against how much smaller it is."""
    lines = []
    for (search, beam), pair in ibm.groupby(["search", "beam"], sort=False):
        pair = pair.set_index("precision")
        if not {"fp16", "int4"} <= set(pair.index):
            continue
        fp, q = pair.loc["fp16"], pair.loc["int4"]
        e = elasticity(pair.weights_mb.to_numpy(), pair.streaming_energy_per_hour_audio_j.to_numpy())
        lines.append(f"- IBM chip, {_label(q)}: INT4 weights {fp.weights_mb / q.weights_mb:.1f}x smaller; it serves "
                     f"{q.max_streams} streams against {fp.max_streams} for FP16 ({q.max_streams / fp.max_streams:.2f}x; "
                     f"bound by {q.bound} / {fp.bound}, busiest {_busy(q)} / {_busy(fp)}), so energy per hour of audio "
                     f"falls {fp.streaming_energy_per_hour_audio_j / q.streaming_energy_per_hour_audio_j:.2f}x: "
                     f"'serving cost is dominated by model size' {verdict(e)}.")
    return lines + _ibm_why(ibm)


def _ibm_why(ibm: pd.DataFrame) -> list[str]:
    """Why INT4's advantage shrinks with the beam: the chip's work shrinks with precision, the host's does not."""
    tsd = ibm[ibm.search == Algorithm.TSD.value]
    if "bottleneck" not in ibm or not {"fp16", "int4"} <= set(tsd.precision) or tsd.beam.nunique() < 2:
        return []
    lo, hi = tsd.beam.min(), tsd.beam.max()
    at = {(r.precision, r.beam): r for r in tsd.itertuples()}
    if not {("fp16", lo), ("int4", lo), ("fp16", hi), ("int4", hi)} <= set(at):
        return []
    fp, q, fp_hi, q_hi = at["fp16", lo], at["int4", lo], at["fp16", hi], at["int4", hi]
    def e(a: object, b: object) -> float:
        return elasticity(np.array([a.weights_mb, b.weights_mb]),
                          np.array([a.streaming_energy_per_hour_audio_j, b.streaming_energy_per_hour_audio_j]))
    memory = ("memory never binds here" if (tsd.bound == "latency").all() else "memory binds for some points")
    return [f"- Where size matters on the IBM chip: INT4 is computed natively there, so the smaller weights are also "
            f"less chip work per audio second at the max streams (encoder {fp.encoder_ms_per_audio_s:.3f} ms FP16 vs "
            f"{q.encoder_ms_per_audio_s:.3f} INT4, prediction {fp.prediction_ms_per_audio_s:.3f} vs "
            f"{q.prediction_ms_per_audio_s:.3f} at beam {lo}); the host's search per hypothesis is not (search "
            f"{fp_hi.search_ms_per_audio_s:.3f} vs {q_hi.search_ms_per_audio_s:.3f} ms per audio second at beam "
            f"{hi}), and the beam multiplies it: the elasticity is {e(fp, q):.2f} at beam {lo} and "
            f"{e(fp_hi, q_hi):.2f} at beam {hi}. Per-stream state is {tsd.per_stream_mb.max() * 1e3:.0f} kB or less "
            f"against {tsd.memory_gb.max():.0f} GB of chip memory: {memory}."]


def _beam_reading(ibm: pd.DataFrame) -> list[str]:
    """Greedy and TSD beam 1 vs TSD beam 4 stream capacity, with the engine's rows and busy times that explain it."""
    lines = []
    for precision, sub in ibm.groupby("precision", sort=False):
        rows = {(r.search, r.beam): r for r in sub.itertuples()}
        greedy, one, four = (rows.get(k) for k in ((Algorithm.GREEDY.value, 1), (Algorithm.TSD.value, 1),
                                                     (Algorithm.TSD.value, 4)))
        if four is None or (greedy is None and one is None):
            continue
        old = PREVIOUS_IBM.get((precision, 1)), PREVIOUS_IBM.get((precision, 4))
        parts = []
        if greedy is not None:
            parts.append(f"greedy {greedy.max_streams} streams / TSD beam 4 {four.max_streams} = "
                         f"{greedy.max_streams / four.max_streams:.2f}x")
        if one is not None:
            was = f" (previous engine {old[0][0] / old[1][0]:.2f}x)" if all(old) else ""
            parts.append(f"TSD beam 1 {one.max_streams} / beam 4 = {one.max_streams / four.max_streams:.2f}x{was}")
        lines.append(f"- {precision}: " + "; ".join(parts) + ".")
        for base in (greedy, one):
            if base is not None:
                lines.append(_why_beam(precision, base, four))
    if lines and "bottleneck_utilization" in ibm:
        used = ibm.bottleneck_utilization
        lines.append(f"- At every max-streams probe the busiest resource is {used.min():.0%}-{used.max():.0%} busy: "
                     f"the p99 target ({SLO_P99_S:g} s) binds before any resource saturates, so capacity follows the "
                     "busy time per audio second only roughly.")
        lines += _precision_and_beam(ibm)
    if lines:
        lines.append("- For comparison: a shipped FPGA RNN-T product reports about 1.55x between greedy and beam 4, "
                     "and issue 24 measured 3.7-5x with the previous engine. Capacity is searched to within "
                     f"{SEARCH_TOLERANCE:.0%} (the max streams reported is at most that far below the true figure), so "
                     "ratios of two capacities carry about that much uncertainty.")
    return lines


def _precision_and_beam(ibm: pd.DataFrame) -> list[str]:
    """Why the greedy / beam-4 ratio differs between precisions: the beam-independent encoder's share."""
    rows = {(r.precision, r.search, r.beam): r for r in ibm.itertuples()}
    keys = [(p, Algorithm.GREEDY.value, 1) for p in ("fp16", "int4")] + \
        [(p, Algorithm.TSD.value, 4) for p in ("fp16", "int4")]
    if not all(k in rows for k in keys):
        return []
    g16, g4, b16, b4 = (rows[k] for k in keys)
    return [f"- Greedy / beam 4 is {g16.max_streams / b16.max_streams:.2f}x for FP16 and "
            f"{g4.max_streams / b4.max_streams:.2f}x for INT4: at greedy's max streams the encoder, whose work the "
            f"beam does not change, takes {g16.encoder_ms_per_audio_s:.3f} ms per audio second in FP16 and "
            f"{g4.encoder_ms_per_audio_s:.3f} in INT4 (computed natively, {g16.encoder_ms_per_audio_s / g4.encoder_ms_per_audio_s:.1f}x "
            "less), so the prediction, joint and host-search rows the beam adds weigh more against INT4's smaller "
            "fixed work."]


def _why_beam(precision: str, base: object, four: object) -> str:
    name = "greedy" if base.search == Algorithm.GREEDY.value else f"TSD beam {base.beam}"
    same = base.bottleneck == four.bottleneck
    return (f"  - {precision}, {name} -> TSD beam 4: each decoder step is one prediction call and one joint call over "
            "the hypotheses of every live stream, then one host search over those rows; the beam adds rows to each "
            f"call, not calls. Steps per encoder frame {base.steps_per_frame:.2f} -> {four.steps_per_frame:.2f}"
            + (" (TSD takes max-symbols + 1 steps per frame at every beam)" if base.search == four.search else
               " (greedy: one step per frame plus one per label; TSD: max-symbols + 1)")
            + f"; per frame, joint rows {base.joint_rows_per_frame:.2f} -> {four.joint_rows_per_frame:.2f}, "
            f"prediction rows {base.prediction_rows_per_frame:.2f} -> {four.prediction_rows_per_frame:.2f} (the "
            f"prediction cache serves repeated histories), hypotheses searched {base.hyps_per_frame:.2f} -> "
            f"{four.hyps_per_frame:.2f}. Busy time per audio second at the max streams: encoder "
            f"{base.encoder_ms_per_audio_s:.3f} -> {four.encoder_ms_per_audio_s:.3f} ms (the beam adds no encoder work"
            + ("; fewer streams make smaller encoder batches)" if four.encoder_ms_per_audio_s
               > 1.1 * base.encoder_ms_per_audio_s else ")") + ", "
            f"prediction {base.prediction_ms_per_audio_s:.3f} -> {four.prediction_ms_per_audio_s:.3f}, joint "
            f"{base.joint_ms_per_audio_s:.3f} -> {four.joint_ms_per_audio_s:.3f}, transfer "
            f"{base.transfer_ms_per_audio_s:.3f} -> {four.transfer_ms_per_audio_s:.3f}, host search "
            f"{base.search_ms_per_audio_s:.3f} -> {four.search_ms_per_audio_s:.3f}. The busiest resource is "
            + (f"{base.bottleneck} in both, {base.bottleneck_ms_per_audio_s:.3f} -> "
               f"{four.bottleneck_ms_per_audio_s:.3f} ms per audio second "
               f"({four.bottleneck_ms_per_audio_s / base.bottleneck_ms_per_audio_s:.2f}x)" if same else
               f"{base.bottleneck} ({base.bottleneck_ms_per_audio_s:.3f} ms per audio second) then {four.bottleneck} "
               f"({four.bottleneck_ms_per_audio_s:.3f} ms)")
            + f". Capacity falls {base.max_streams / four.max_streams:.2f}x for "
            f"{four.joint_rows_per_frame / base.joint_rows_per_frame:.1f}x the joint rows"
            + (": the work that does not grow with the beam (the encoder, each call's launch, which the batch "
               "shares) dilutes it." if base.max_streams / four.max_streams
               < 0.8 * four.joint_rows_per_frame / base.joint_rows_per_frame else "."))


def _changes_table(usm: pd.DataFrame, ibm: pd.DataFrame) -> str:
    """This run's figures beside the previous engine's, where both have the point."""
    lines = ["| point | max streams @p99 (was -> now) | saturated RTFx | offline utt/s |", "|---|---:|---:|---:|"]
    points = [(f"{r.device} {r.precision}", PREVIOUS_USM.get((r.device, r.precision)), r) for r in usm.itertuples()]
    points += [(f"IBM {r.precision} TSD beam {r.beam}", PREVIOUS_IBM.get((r.precision, r.beam)), r)
               for r in ibm.itertuples() if r.search == Algorithm.TSD.value]
    for name, old, r in points:
        if old is None:
            continue
        lines.append(f"| {name} | {old[0]} -> {r.max_streams} ({r.max_streams / old[0] - 1:+.1%}) | {old[1]} -> "
                     f"{r.saturated_rtfx:.0f} ({r.saturated_rtfx / old[1] - 1:+.0%}) | {old[2]:.1f} -> "
                     f"{r.offline_utt_per_s:.1f} ({r.offline_utt_per_s / old[2] - 1:+.1%}) |")
    return "\n".join(lines)


def _change_reasons(usm: pd.DataFrame, ibm: pd.DataFrame) -> list[str]:
    """Why each figure moved from the previous engine, with this run's numbers."""
    def moves(frame: pd.DataFrame, table: dict, key: Callable[[object], tuple], column: int, field: str) -> np.ndarray:
        pairs = [(getattr(r, field), table[key(r)][column]) for r in frame.itertuples() if key(r) in table
                 and getattr(r, "search", Algorithm.TSD.value) == Algorithm.TSD.value]
        return np.array([new / old - 1 for new, old in pairs]) if pairs else np.array([0.0])
    usm_key, ibm_key = (lambda r: (r.device, r.precision)), (lambda r: (r.precision, r.beam))
    sat = np.concatenate([moves(usm, PREVIOUS_USM, usm_key, 1, "saturated_rtfx"),
                          moves(ibm, PREVIOUS_IBM, ibm_key, 1, "saturated_rtfx")])
    usm_streams = moves(usm, PREVIOUS_USM, usm_key, 0, "max_streams")
    ibm_streams = moves(ibm, PREVIOUS_IBM, ibm_key, 0, "max_streams")
    offline = np.concatenate([moves(usm, PREVIOUS_USM, usm_key, 2, "offline_utt_per_s"),
                              moves(ibm, PREVIOUS_IBM, ibm_key, 2, "offline_utt_per_s")])
    tolerance = SEARCH_TOLERANCE
    lines = [
        f"- Saturated RTFx {sat.min():+.0%} to {sat.max():+.0%}: continuous batching now rebuilds every encoder call "
        "from all live work, and offline runs are sorted longest first. The previous engine's encoder batched only "
        "utterances admitted at the same instant, so once the first batch began to finish, the utterances that "
        "refilled it were encoded one to three at a time. Only the capacity search's first probe uses this figure.",
        f"- USM streams {usm_streams.min():+.1%} to {usm_streams.max():+.1%}: "
        + ("still bound by memory; " if (usm.bound == "memory").all() else "")
        + f"a stream's state now also holds one chunk's encoder output ({usm.encoder_output_kb.max():.2f} kB beside "
        f"{usm.per_stream_mb.max():.1f} MB of state)"
        + (", so the counts barely move and the verdicts on model size stand." if np.abs(usm_streams).max() < 0.01
           else "."),
        f"- IBM streams {ibm_streams.min():+.1%} to {ibm_streams.max():+.1%}"
        + (f", each within the capacity search's {tolerance:.0%} tolerance" if np.abs(ibm_streams).max() < tolerance
           else f" (the capacity search's tolerance is {tolerance:.0%})")
        + f". Encoder calls now batch every live stream's pending chunk (they batched only chunks that arrived at the "
        "same instant), decoder steps take every stream whose frames are ready, and a stream's state adds "
        f"{ibm.encoder_output_kb.max():.1f} kB of encoder output, which the chip's DRAM absorbs.",
    ]
    if np.abs(offline).max() < 0.01:
        lines.append(f"- Offline utt/s {offline.min():+.1%} to {offline.max():+.1%}: {OFFLINE_UTTERANCES} utterances "
                     f"fit in one batch of {MAX_BATCH} and are all admitted at t=0 in both engines; what differs is the "
                     "order (sorted longest first) and the decode schedules (a seeded pool of 4 per grid length "
                     "instead of one search per utterance).")
    else:
        lines.append(f"- Offline utt/s {offline.min():+.1%} to {offline.max():+.1%}: the encoder batches every live "
                     "utterance and the queue is sorted longest first; the decode schedules come from a seeded pool "
                     "of 4 per grid length instead of one search per utterance.")
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
    devices, experiments, searches = (QUICK_DEVICES, QUICK_EXPERIMENTS, QUICK_SEARCHES) if quick else \
        (USM_DEVICES, USM_EXPERIMENTS, IBM_SEARCHES)
    usm = run_points([Point(RunRequest(device=d, precision=e, frames=1, **USM)) for d in devices
                      for e in experiments], executor)
    ibm = run_points([Point(RunRequest(precision=p, frames=1, algorithm=a, beam=b, **IBM)) for p in IBM_PRECISIONS
                      for a, b in searches], executor)
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
        f"back to back for {STREAM_DURATION_S:g} s, 640-ms chunks, p99 of end-of-speech -> final result <= "
        f"{SLO_P99_S:g} s, capped by the streams whose state (hypotheses, logit buffers, attention and convolution "
        "caches, one chunk's encoder output) fits beside the weights.",
        f"- Continuous batching (the engine's default, iteration-level as in Orca): every encoder call and every "
        f"decoder step is rebuilt from all live work, up to {MAX_BATCH} streams or utterances per call; arrivals "
        "join at the next call, finished ones leave, and work is admitted while its state fits in memory. A decoder "
        "step is one prediction call and one joint call over the hypotheses of every stream in it, then one host "
        "search over those rows. Padding: the engine's default (padded: an encoder call pads its members to the "
        "longest chunk). Decode schedules come from a seeded pool (hwsim.serving.schedules): 4 searches per grid "
        "length, a shorter utterance taking the first frames of one of them.",
        f"- Capacity search, one full streaming simulation per probe: the first probe is the lower of that memory "
        f"bound and the chip's saturated throughput (RTFx of {SATURATION_BATCHES * MAX_BATCH} offline utterances of "
        f"the streams' lengths, batches of {MAX_BATCH}); while probes pass, the next aims at the load that would keep "
        "the busiest resource busy all the time (at most 2x); then bisection, aimed first at the audio the failing "
        f"probe actually served. It stops when the bracket [max streams, smallest failing load] is within "
        f"{SEARCH_TOLERANCE:.0%} of its top: the max streams reported meets the target and is at most "
        f"{SEARCH_TOLERANCE:.0%} below the true capacity (`probes` in the CSVs: {int(usm.probes.sum() + ibm.probes.sum())} "
        f"in all). Every probe simulates the full {STREAM_DURATION_S:g} s (durations are not shortened: near "
        "saturation the backlog, and so the p99, depends on it). Utterance i has the same length and decode schedule "
        "at every load and precision (common random numbers), so p99 rises with load and schedules are searched once. "
        "'Busiest at max streams' is the most utilized resource in the max-streams probe (matrix / vector / memory "
        "units and the host-chip link on the chip, cpu on the host).",
        f"- Offline: {OFFLINE_UTTERANCES} utterances of {OFFLINE_UTTERANCE_S:g} s (cv {OFFLINE_CV:g}) ready at t=0, "
        f"continuous batching up to {MAX_BATCH}, sorted longest first (the offline default: what benchmark "
        "harnesses do, so a batch's members finish together).",
        "- USM: beam 8, time-synchronous search on the host (`xeon_host`), float parts and activations bf16 (as in "
        "reports/usm_serving). $ per 1000 h of audio = chip price x chip-hours per audio hour (streaming: 1 / streams "
        "per chip); host CPU cost is not counted. Prices are the device files' assumptions.",
        "", "## USM RNN-T 1B on TPUs", "", _usm_table(usm), "", "![streams per chip](streams_per_chip.png)", "",
        "## IBM RNN-T (SWB) on the IBM 7-nm chip: FP16 vs INT4, greedy and TSD beams 1-16", "",
        "The chip has no price; energy per hour of audio uses its power figure (13.5 W at peak).", "",
        _ibm_table(ibm), "",
        "## Is serving cost dominated by model size? (computed from the tables above)", "",
        *_reading(usm), *_ibm_reading(ibm), "",
    ]
    if "steps_per_frame" in ibm:
        text += ["## Greedy vs beam search: stream capacity on the IBM chip", "",
                 "Decoder work per encoder frame of a mean-length utterance (its decode schedule) and busy time per "
                 "second of audio at the max-streams probe (a resource can give at most 1000 ms per second, so it "
                 "carries at most 1000 / (its ms per audio second) audio seconds per second).", "",
                 _work_table(ibm), "", *_beam_reading(ibm), ""]
    text += [f"## What changed versus the previous engine (this report at {PREVIOUS_ENGINE})", "",
             _changes_table(usm, ibm), "", *_change_reasons(usm, ibm), ""]
    return "\n".join(text)
