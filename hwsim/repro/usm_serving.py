"""USM RNN-T 1B serving on TPU v4 / v5e / v5p for the Table 2 configurations (Exp0-Exp5).

One 30-s utterance (1500 input frames, 375 encoder frames), time-synchronous beam search with beam 8, one
stream per chip (batch 1: the single-utterance view; batching and load are in reports/usm_serving_load/, from
`hwsim reproduce usm-serving-load`). Weight-only quantization as in the
paper; for serving, the float parts (decoder, norms, biases) and all activations are bf16, the TPU's native
format (the Table 2 size accounting keeps them f32). The device files' defaults apply: float32 matmul
precision `default` (not used: everything is bf16), element-wise ops fused per layer (XLA), a 10 us launch per
host-launched call and 1 us per device-loop step (assumptions in the TPU files), and the beam search on the TPU
(`search_on: accelerator`; no per-step link traffic). The same points with the search on the TPU VM's host CPU
(`tpu_vm_host`, the TPUs' `default_host`) are shown for comparison.
Cost per 1000 h of audio = 1000 h x RTF x price per chip-hour.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hwsim.cost.hardware import load_device
from hwsim.cost.options import Placement, RunOptions
from hwsim.io.csvout import write_csv
from hwsim.errors import silenced_warnings
from hwsim.io.outputs import write_resolved_config
from hwsim.pipeline.point import RunRequest, prepare_point, resolved_config, simulate_point
from hwsim.pipeline.sweep import point_record

WORKLOAD, AUDIO_S, BEAM = "usm_rnnt_1b", 30.0, 8
STREAMING_CHUNK_FRAMES = 32  # 640 ms of audio = 8 encoder frames per chunk
DEVICES = ("tpu_v4", "tpu_v5e", "tpu_v5p")
EXPERIMENTS = ("exp0", "exp1", "exp2", "exp3", "exp4", "exp5")
SERVING_OVERRIDES = ("defaults.weights.format=bf16", "defaults.activations.format=bf16")
FRAME_STEP_S = 0.02
REGENERATE = "hwsim reproduce usm-serving --out reports/usm_serving"
HOURS = 1000.0


def serving_points(chunk_frames: int | None = None, search_on: Placement | None = None) -> pd.DataFrame:
    rows = []
    frames = round(AUDIO_S / FRAME_STEP_S)
    for device in DEVICES:
        price = load_device(device).price_per_hour_usd
        for experiment in EXPERIMENTS:
            request = RunRequest(workload=WORKLOAD, precision=experiment, device=device, frames=frames, beam=BEAM,
                                 precision_overrides=SERVING_OVERRIDES, chunk_frames=chunk_frames,
                                 options=RunOptions(search_on=search_on))
            prepared = prepare_point(request)
            sim = simulate_point(request, prepared)
            record = point_record(sim)
            record["weights_mb"] = prepared.sizes.total_bits / 8 / 1e6
            record["utterances_per_s"] = 1.0 / sim.result.total_s
            record["price_per_hour_usd"] = price
            record["usd_per_1000h_audio"] = HOURS * sim.result.rtf * price if price else float("nan")
            rows.append(record)
    return pd.DataFrame(rows)


def _table(frame: pd.DataFrame) -> str:
    lines = ["| device | config | weights [MB] | total [ms] | encoder | prediction | joint | transfer | search | RTF | utt/s/chip | $ / 1000 h audio |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in frame.itertuples():
        lines.append(f"| {r.device} | {r.precision} | {r.weights_mb:.0f} | {r.total_s * 1e3:.1f} | {r.encoder_s * 1e3:.1f} | "
                     f"{r.prediction_s * 1e3:.1f} | {r.joint_s * 1e3:.1f} | {r.transfer_s * 1e3:.1f} | {r.search_s * 1e3:.1f} | "
                     f"{r.rtf:.5f} | {r.utterances_per_s:.1f} | {r.usd_per_1000h_audio:.3f} |")
    return "\n".join(lines)


def _encoder_speedups(frame: pd.DataFrame) -> dict[str, float]:
    out = {}
    for device in DEVICES:
        sub = frame[frame.device == device].set_index("precision")
        out[device] = sub.loc["exp0", "encoder_s"] / sub.loc["exp5", "encoder_s"]
    return out


def _describe(speedups: dict[str, float]) -> str:
    """Data-driven sentence: which devices' encoders got faster, slower or stayed put from Exp0 to Exp5, and why."""
    faster = [f"{d} {v:.2f}x" for d, v in speedups.items() if v >= 1.01]
    same = [f"{d} {v:.2f}x" for d, v in speedups.items() if 0.99 < v < 1.01]
    slower = [f"{d} {v:.2f}x" for d, v in speedups.items() if v <= 0.99]
    parts = []
    if faster:
        parts.append(f"Exp5's encoder is faster than Exp0's on {', '.join(faster)} (weight traffic dominates, and "
                     "1-bit codes move ~16x fewer bytes than bf16)")
    if same:
        parts.append(f"unchanged on {', '.join(same)} (the encoder GEMMs are compute-bound there and the VPU's "
                     "dequantization overlaps the MXU, so smaller weights neither save nor cost time)")
    if slower:
        parts.append(f"slower on {', '.join(slower)} (compute-bound GEMMs, and dequantizing the codes on the vector "
                     "unit in series adds work)")
    return "; ".join(parts) + "."


def _model_size_reading(frame: pd.DataFrame) -> str:
    """What 'serving cost is dominated by model size' looks like at batch 1, computed from the points."""
    weights = frame.groupby("precision").weights_mb.first()
    shrink = weights.max() / weights.min()
    spread = {d: sub.usd_per_1000h_audio.max() / sub.usd_per_1000h_audio.min() - 1
              for d, sub in frame.groupby("device", sort=False)}
    decoder_share = ((frame.total_s - frame.encoder_s) / frame.total_s).mean()
    worst = max(spread, key=spread.get)
    return (f"Across Exp0-Exp5 the stored weights shrink {shrink:.1f}x ({weights.max():.0f} -> {weights.min():.0f} MB), "
            f"but the cost per 1000 h of audio moves by at most {spread[worst]:.1%} on any TPU ({worst}). At batch 1 "
            f"serving cost is **not** dominated by model size: {decoder_share:.0%} of the time is the beam search's "
            "per-step prediction/joint calls and search, which read the same float decoder weights in every "
            "configuration; the quantized encoder is a small share whatever its bits.")


@silenced_warnings()  # its --precision-set overrides of the defaults are deliberate
def write_usm_serving_report(directory: Path) -> pd.DataFrame:
    whole = serving_points()
    host_search = serving_points(search_on=Placement.HOST)
    streaming = serving_points(STREAMING_CHUNK_FRAMES)
    write_csv(whole.assign(mode="whole_utterance"), directory / "points.csv")
    write_csv(host_search.assign(mode="whole_utterance_host_search"), directory / "points_host_search.csv")
    write_csv(streaming.assign(mode="streaming"), directory / "points_streaming.csv")
    request = RunRequest(workload=WORKLOAD, precision="exp5", device=DEVICES[1], frames=round(AUDIO_S / FRAME_STEP_S),
                         beam=BEAM, precision_overrides=SERVING_OVERRIDES)
    write_resolved_config(directory, {**resolved_config(request, prepare_point(request)),
                                      "sweep": {"devices": list(DEVICES), "experiments": list(EXPERIMENTS),
                                                "streaming_chunk_frames": STREAMING_CHUNK_FRAMES}})
    saved = 1 - whole.total_s.sum() / host_search.total_s.sum()
    text = [
        "# USM RNN-T 1B serving on TPU v4 / v5e / v5p: Table 2 configurations",
        "",
        f"Regenerate with `{REGENERATE}`.",
        "",
        __doc__.strip().split("\n", 1)[1].strip(),
        "",
        "## Whole utterance, search on the TPU (device default)",
        "",
        _table(whole),
        "",
        "## Whole utterance, search on the TPU VM host (`--search-on host`)",
        "",
        "Every step launches the prediction and joint calls from the host and ships beam x 16,384 logits over PCIe.",
        "",
        _table(host_search),
        "",
        f"## Streaming (encoder chunks of {STREAMING_CHUNK_FRAMES} input frames = 640 ms, decoder overlapping)",
        "",
        "Chunks are encoded independently (the local-attention right context of 128 frames is not modelled as",
        "extra look-ahead compute).",
        "",
        _table(streaming),
        "",
        "## Reading",
        "",
        "- " + _model_size_reading(whole),
        "- Whole utterance: " + _describe(_encoder_speedups(whole)),
        "- Streaming: " + _describe(_encoder_speedups(streaming)),
        f"- Moving the search onto the TPU saves {saved:.0%} of the time summed over these points: no per-step",
        "  logits transfer and no host launch per call; what is left per step is the decoder's weight traffic (the",
        "  640 x 16,384 joint output projection alone is 21 MB in bf16, read from HBM at every joint call).",
        "- Prices are the on-demand list prices in the device files (marked as assumptions); utterances/s are",
        "  single-stream (batch 1). Batched serving under load (streams per chip at a p99 target, offline",
        "  throughput, $ per 1000 h, and whether model size decides them) is in `reports/usm_serving_load/`.",
        "",
    ]
    (directory / "README.md").write_text("\n".join(text))
    return whole
