"""Write reports/fig1a/: calibration, reproduced speed-ups beside the paper's, sensitivity, plot, raw points."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from hwsim.csvout import write_csv
from hwsim.outputs import write_resolved_config
from hwsim.report.paper_values import matching_claims
from hwsim.report.speedup_plot import plot_speedup
from hwsim.repro import fig1a
from hwsim.simulate import prepare, resolved_config
from hwsim.sweep import long_format

REGENERATE = "hwsim reproduce fig1a --out reports/fig1a"


def _pct(value: float, paper: float) -> str:
    return f"{(value / paper - 1) * 100:+.1f} %"


def speedup_table(speeds: pd.DataFrame) -> str:
    lines = ["| beam | encoder (paper 2.6x) | prediction network (paper 3.3x) | joint + CPU (paper ~1x) | "
             "end-to-end (paper 2.6x) | fitted? |", "|---:|---:|---:|---:|---:|---|"]
    for row in speeds.itertuples():
        fitted = "fitted" if row.beam in fig1a.FIT_BEAMS else "held out"
        lines.append(f"| {row.beam} | {row.encoder:.2f}x ({_pct(row.encoder, 2.6)}) | {row.prediction:.2f}x "
                     f"({_pct(row.prediction, 3.3)}) | {row.joint:.2f}x | **{row.total:.2f}x** ({_pct(row.total, 2.6)}) | {fitted} |")
    return "\n".join(lines)


def times_table(wide: pd.DataFrame) -> str:
    lines = ["| precision | beam | total [ms] | encoder | prediction | joint | transfer | CPU search | pred. calls | joint calls |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in wide.itertuples():
        lines.append(f"| {r.precision} | {r.beam} | {r.total_s * 1e3:.3f} | {r.encoder_s * 1e3:.3f} | "
                     f"{r.prediction_s * 1e3:.3f} | {r.joint_s * 1e3:.3f} | {r.transfer_s * 1e3:.3f} | "
                     f"{r.search_s * 1e3:.3f} | {r.prediction_calls} | {r.joint_calls} |")
    return "\n".join(lines)


def sensitivity_table(frame: pd.DataFrame) -> str:
    lines = ["| assumption | x0.5: encoder / pred. (B=16) / end-to-end range | x1.5: encoder / pred. (B=16) / end-to-end range |",
             "|---|---|---|"]
    for name, group in frame.groupby("assumption", sort=False):
        cells = []
        for factor in (0.5, 1.5):
            r = group[group.factor == factor].iloc[0]
            cells.append(f"{r.encoder:.2f} / {r.prediction_b16:.2f} / {r.total_min:.2f}-{r.total_max:.2f}")
        lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def write_fig1a_report(directory: Path, with_sensitivity: bool = True) -> dict[str, object]:
    base = fig1a.base_request()
    uncalibrated = fig1a.run_points(base)
    calibration = fig1a.calibrate(base)
    calibrated_request = replace(base, device_overrides=calibration.overrides)
    wide = fig1a.run_points(calibrated_request)
    speeds = fig1a.component_speedups(wide)
    raw_speeds = fig1a.component_speedups(uncalibrated)
    within = bool(((speeds.total / fig1a.PAPER["total"] - 1).abs() <= fig1a.TOLERANCE).all())
    write_csv(long_format(wide), directory / "results.csv")
    write_csv(wide, directory / "points.csv")
    write_csv(speeds, directory / "speedups.csv")
    write_csv(calibration.grid, directory / "calibration_grid.csv")
    plot_speedup(wide, directory / "fig1a.png", fig1a.BASELINE,
                 "IBM RNN-T (SWB), T=152, ibm_7nm_ai_chip + CPU: FP16 vs INT4 (first layer FP16, pred. net INT4, joint FP16)",
                 claims=matching_claims(base.workload, wide.precision.unique(), base.device, base.frames))
    sensitivity = fig1a.sensitivity(calibrated_request) if with_sensitivity else None
    if sensitivity is not None:
        write_csv(sensitivity, directory / "sensitivity.csv")
    write_resolved_config(directory, {**resolved_config(calibrated_request, prepare(calibrated_request)),
                                      "calibration": {"scale": calibration.scale, "overrides": list(calibration.overrides),
                                                      "fit_beams": list(fig1a.FIT_BEAMS),
                                                      "held_out_beams": list(fig1a.HELD_OUT_BEAMS)}})
    (directory / "README.md").write_text(_markdown(wide, speeds, raw_speeds, calibration, sensitivity, within))
    return {"within_tolerance": within, "speedups": speeds.to_dict(orient="records"), "scale": calibration.scale}


def _markdown(wide, speeds, raw_speeds, calibration, sensitivity, within) -> str:
    held = speeds[speeds.beam.isin(fig1a.HELD_OUT_BEAMS)]
    knob_lines = [f"  - `{key}`: assumption {value:.3g} s -> calibrated {value * calibration.scale:.3g} s"
                  for key, value in calibration.base_values.items()]
    residuals = ", ".join(f"B={b}: {r * 100:+.1f} %" for b, r in calibration.fitted_residuals.items())
    text = [
        "# Fasoli et al. 2021, Fig. 1(a): FP16 vs INT4 RNN-T inference on the INT4 co-processor + CPU",
        "",
        f"Regenerate with `{REGENERATE}` (about a minute; `--no-sensitivity` skips the sensitivity sweep).",
        "",
        "**Setting.** `ibm_rnnt_swb` (6x BiLSTM-640 encoder, LSTM-768 prediction network, joint 256 -> 46),",
        "sequence length 152 encoder frames (the paper's average), whole-utterance encoder (bidirectional),",
        "time-synchronous beam search (max 3 symbols/frame, prediction-network cache), beams 1-16, on",
        "`hwsim/data/devices/ibm_7nm_ai_chip.yaml` (RaPiD 7 nm, 4 cores; FP16 1024 and INT4 8192 MAC/cycle/core at 1.6 GHz).",
        "FP16 = `hwsim/data/workloads/precisions/fp16.yaml`; INT4 = `hwsim/data/workloads/precisions/ibm_rnnt_swb/int4.yaml` (first encoder",
        "layer FP16, layers 2-6 and the prediction network INT4, FC + joint FP16), as in the paper. Log-softmax,",
        "top-k and hypothesis management run on the host CPU; full logits cross the link each step.",
        "",
        "## Reproduced speed-ups (calibrated host interaction; see below)",
        "",
        speedup_table(speeds),
        "",
        f"End-to-end within +-{fig1a.TOLERANCE:.0%} of the paper's 2.6x at every beam width: **{'yes' if within else 'no'}**"
        f" (range {speeds.total.min():.2f}x-{speeds.total.max():.2f}x; held-out beams "
        f"{held.total.min():.2f}x-{held.total.max():.2f}x). No per-beam parameter exists.",
        "",
        "- Encoder and prediction-network speed-ups are **not fitted**: they follow from the device figures",
        "  (INT4 8x the FP16 MAC rate, FP16 SFU gates, FP16 first layer, weight residency in the scratchpad)",
        "  and do not depend on the calibrated knobs at all.",
        "- The joint group (joint GEMMs, link transfer, CPU search) is FP16/host work in both configurations,",
        "  so its speed-up is exactly 1, as the paper says.",
        "",
        "![Fig. 1(a) reproduction](fig1a.png)",
        "",
        "## Calibration step (explicit)",
        "",
        "The host side of the paper's system is not described (CPU model, link, search implementation), so three",
        "device figures are assumptions: link latency, per-step search overhead and per-hypothesis host time.",
        "With their stated values (PCIe-like 10 us per transfer, 2 us per step, 0.2 us per hypothesis) the",
        "joint group dominates and the end-to-end speed-up is only "
        f"{raw_speeds.total.min():.2f}x-{raw_speeds.total.max():.2f}x, contradicting the paper's statement that",
        "the joint network's share is small. `hwsim.repro.fig1a.calibrate` fits **one common scale factor** on",
        f"the three knobs to the paper's 2.6x end-to-end at beams {fig1a.FIT_BEAMS} only (log-error least squares,",
        "grid + golden section):",
        "",
        f"- fitted scale {calibration.scale:.4f}:",
        *knob_lines,
        f"- residuals at the fitted beams: {residuals}",
        f"- held-out beams {fig1a.HELD_OUT_BEAMS}: "
        + ", ".join(f"B={r.beam}: {r.total:.2f}x ({_pct(r.total, 2.6)})" for r in held.itertuples()),
        "",
        "Reading: the paper's numbers imply a tightly coupled host (sub-microsecond hand-off per beam-search step,",
        "as with an on-die or cache-coherent attachment), not a PCIe round trip per step. With a PCIe-like link,",
        "hwsim predicts INT4 buys only ~1.5-1.8x end to end on this model.",
        "",
        "## Absolute times per utterance (calibrated)",
        "",
        times_table(wide),
        "",
    ]
    if sensitivity is not None:
        text += ["## Sensitivity: each assumption x0.5 and x1.5 (around the calibrated point)", "",
                 "Cells: encoder speed-up / prediction-network speed-up at beam 16 / end-to-end speed-up range over beams 1-16.",
                 "", sensitivity_table(sensitivity), ""]
    text += ["## Differences from the paper's setting that remain", "",
             "- The paper's prediction network 'decoding' bar may include work hwsim files under joint (the FP16",
             "  `joint.pred_proj` projection runs once per prediction call); hwsim counts it as joint.",
             "- IBM's performance model [31, 32] is calibrated to 1 % of silicon; hwsim's is a fold/roofline model",
             "  with public figures and stated assumptions (hwsim/data/devices/ibm_7nm_ai_chip.yaml).",
             "- Beam-search dynamics come from the seeded emission model with the workload's assumed label rate",
             "  (0.25 labels/frame) and competitor blank probability (0.5); `hwsim reference` measures them on a",
             "  real numpy decoder.", ""]
    return "\n".join(text)
