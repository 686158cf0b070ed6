"""GPU vs TPU vs CPU at batch 1: USM RNN-T 1B (Table 2, Exp0-Exp5) and the IBM RNN-T (FP16, INT4).

One utterance per chip (batch 1), time-synchronous beam search. Devices: H100 SXM and L4 twice each, eager
(every kernel launched by the host, no fusion: eager PyTorch) and deployed (--cuda-graphs --fusion per_layer:
captured graphs and fused element-wise work, as TensorRT or torch.compile with CUDA graphs); TPU v5e with its
file's defaults (XLA fusion, search on the TPU); a two-socket Sapphire Rapids server (xeon_2s) running the
whole model. USM as in reports/usm_serving: 30 s, beam 8, weight-only quantization with bf16 float parts and
activations. IBM: 10 s, beam 8; the TPU has no fp16, so its FP16 rows run bf16 (same bits, the TPU's 16-bit float).
$ per 1000 h of audio = 1000 h x RTF x price per chip-hour at one stream per chip (a batched server does better).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hwsim.io.csvout import write_csv
from hwsim.cost.hardware import load_device
from hwsim.cost.options import Fusion, RunOptions
from hwsim.errors import silenced_warnings
from hwsim.io.outputs import write_resolved_config
from hwsim.pipeline.point import RunRequest, prepare_point, resolved_config, simulate_point
from hwsim.pipeline.sweep import point_record

REGENERATE = "hwsim reproduce gpu-vs-tpu --out reports/gpu_vs_tpu"
BEAM, HOURS = 8, 1000.0
USM = ("usm_rnnt_1b", 30.0, ("exp0", "exp1", "exp2", "exp3", "exp4", "exp5"),
       ("defaults.weights.format=bf16", "defaults.activations.format=bf16"))
IBM = ("ibm_rnnt_swb", 10.0, ("fp16", "int4"), ())
# the TPU computes 16-bit floats as bf16: IBM's fp16 defaults (and int4.yaml's float first layer, rules[3]) become bf16
TPU_HALF = {"fp16": ("defaults.weights.format=bf16", "defaults.activations.format=bf16"),
            "int4": ("defaults.weights.format=bf16", "defaults.activations.format=bf16",
                     "rules.3.weights.format=bf16", "rules.3.activations.format=bf16")}


@dataclass(frozen=True)
class Target:
    device: str
    mode: str
    options: RunOptions


DEPLOYED = RunOptions(cuda_graphs=True, fusion=Fusion.PER_LAYER)
TARGETS = (Target("h100_sxm", "eager", RunOptions()), Target("h100_sxm", "graphs+fused", DEPLOYED),
           Target("l4", "eager", RunOptions()), Target("l4", "graphs+fused", DEPLOYED),
           Target("tpu_v5e", "xla (file defaults)", RunOptions()), Target("xeon_2s", "cpu only", RunOptions()))


def _request(workload: str, audio_s: float, precision: str, overrides: tuple[str, ...], target: Target) -> RunRequest:
    if target.device.startswith("tpu") and workload == "ibm_rnnt_swb":
        overrides = TPU_HALF[precision]
    frames = round(audio_s / load_frame_step(workload))
    return RunRequest(workload=workload, precision=precision, device=target.device, frames=frames, beam=BEAM,
                      precision_overrides=overrides, options=target.options)


def load_frame_step(workload: str) -> float:
    from hwsim.specs.resolve import load_workload_spec
    return load_workload_spec(workload)[0].input_frame_step_s


def points() -> pd.DataFrame:
    rows = []
    for workload, audio_s, precisions, overrides in (USM, IBM):
        for target in TARGETS:
            price = load_device(target.device).price_per_hour_usd
            for precision in precisions:
                request = _request(workload, audio_s, precision, overrides, target)
                sim = simulate_point(request, prepare_point(request))
                record = point_record(sim)
                record.update({"workload": workload, "mode": target.mode, "audio_s": audio_s,
                               "encoder_output_bytes": sim.footprint.encoder_output_bytes, "price_per_hour_usd": price,
                               "usd_per_1000h_audio": HOURS * sim.result.rtf * price if price else float("nan")})
                rows.append(record)
    return pd.DataFrame(rows)


def _table(frame: pd.DataFrame) -> str:
    lines = ["| device | mode | config | total [ms] | encoder | prediction | joint | transfer | search | RTF | "
             "$ / 1000 h (1 stream) |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in frame.itertuples():
        cost = "-" if pd.isna(r.usd_per_1000h_audio) else f"{r.usd_per_1000h_audio:.3f}"
        lines.append(f"| {r.device} | {r.mode} | {r.precision} | {r.total_s * 1e3:.1f} | {r.encoder_s * 1e3:.1f} | "
                     f"{r.prediction_s * 1e3:.1f} | {r.joint_s * 1e3:.1f} | {r.transfer_s * 1e3:.1f} | "
                     f"{r.search_s * 1e3:.1f} | {r.rtf:.5f} | {cost} |")
    return "\n".join(lines)


def _fastest(frame: pd.DataFrame) -> list[str]:
    """Per workload and config, the fastest device/mode and the eager-vs-graphs factor on each GPU."""
    found: dict[tuple[str, str], list[str]] = {}
    for (workload, precision), group in frame.groupby(["workload", "precision"], sort=False):
        best = group.loc[group.total_s.idxmin()]
        gains = []
        for device in ("h100_sxm", "l4"):
            eager = group[(group.device == device) & (group["mode"] == "eager")].total_s
            graphs = group[(group.device == device) & (group["mode"] == "graphs+fused")].total_s
            if len(eager) and len(graphs):
                gains.append(f"{device} graphs+fused {float(eager.iloc[0] / graphs.iloc[0]):.1f}x faster than eager")
        reading = f"fastest {best.device} ({best['mode']}, {best.total_s * 1e3:.1f} ms); " + "; ".join(gains)
        found.setdefault((workload, reading), []).append(precision)
    lines = [f"- {workload} {', '.join(configs)}: {reading}" for (workload, reading), configs in found.items()]
    return lines + _same_across_configs(frame)


def _same_across_configs(frame: pd.DataFrame) -> list[str]:
    """Devices where USM's Exp0-Exp5 encoders cost the same to within 1 %: weight-only codes promoted to bf16 on a
    compute-bound encoder (375 rows per GEMM) save no time there, only memory."""
    usm = frame[frame.workload == USM[0]]
    flat = [f"{d} ({m})" for (d, m), g in usm.groupby(["device", "mode"], sort=False)
            if g.encoder_s.max() <= 1.01 * g.encoder_s.min()]
    if not flat:
        return []
    return [f"- USM Exp0-Exp5 encoders cost the same on {', '.join(flat)}: at 375 rows per GEMM the encoder is "
            "compute bound, the weight-only codes are converted to bf16 before the tensor cores / MXU / AMX, and the "
            "decoder (most of the time at batch 1) stays bf16 in every configuration."]


def _engine_note(frame: pd.DataFrame) -> list[str]:
    """What the one serving engine (issue 24) changed here: the times, nothing; peak memory, the encoder output."""
    held = {w: g.encoder_output_bytes.max() / 1e6 for w, g in frame.groupby("workload", sort=False)}
    return ["- Every row is the serving engine run on one utterance at batch 1 (`simulate` and `serve` share one "
            "engine since issue 24): the times are the previous engine's to the bit. peak_memory_bytes in points.csv "
            "now includes the encoder output an utterance holds while it is decoded (the joint's encoder projection "
            "of every frame: " + ", ".join(f"{mb:.2f} MB for {w}" for w, mb in held.items()) + "); at batch 1 "
            "it is too small to change whether a model fits. Batching, load and memory-bound stream counts are in "
            "reports/usm_serving_load."]


@silenced_warnings()  # its --precision-set overrides of the defaults are deliberate
def write_gpu_vs_tpu_report(directory: Path) -> pd.DataFrame:
    frame = points()
    write_csv(frame, directory / "points.csv")
    request = _request(*USM[:2], "exp5", USM[3], TARGETS[1])
    write_resolved_config(directory, {**resolved_config(request, prepare_point(request)),
                                      "sweep": {"targets": [t.__dict__ | {"options": repr(t.options)} for t in TARGETS],
                                                "usm": list(USM[2]), "ibm": list(IBM[2]), "beam": BEAM}})
    text = ["# GPU vs TPU vs CPU at batch 1: USM RNN-T 1B and IBM RNN-T", "", f"Regenerate with `{REGENERATE}`.", "",
            __doc__.strip().split("\n", 1)[1].strip(), "",
            "## USM RNN-T 1B, 30 s utterance, beam 8", "", _table(frame[frame.workload == USM[0]]), "",
            "## IBM RNN-T (Switchboard), 10 s utterance, beam 8", "", _table(frame[frame.workload == IBM[0]]), "",
            "## Reading", "", *_fastest(frame), "",
            "- Eager GPU rows pay one kernel launch per op (gpu.kernel_launch_s, an assumption until "
            "`benchmarks/gpu_measure.sh` measures it); the LSTM encoder's per-frame steps and every decoder step are "
            "many small kernels, so launches dominate at batch 1. cuDNN's fused LSTM kernels are not modelled.",
            f"- The CPU rows carry {load_device('xeon_2s').modelling.overhead_s * 1e6:g} us of framework overhead per "
            "op (xeon_2s modelling.overhead_s, a stated assumption) and no launch or host-link cost: the search runs "
            "on the same CPU.",
            *_engine_note(frame),
            "- GPU figures are datasheet peaks and stated assumptions (docs/hardware.md section 5); none is measured "
            "on a GPU yet.", ""]
    (directory / "README.md").write_text("\n".join(text))
    return frame
