"""Write reports/fig1a/: calibration, reproduced speed-ups beside the paper's, sensitivity, plot, raw points."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from hwsim.io.csvout import write_csv
from hwsim.io.outputs import write_resolved_config
from hwsim.report.paper_values import matching_claims
from hwsim.report.speedup_plot import plot_speedup
from hwsim.repro import fig1a
from hwsim.pipeline.point import prepare_point, resolved_config
from hwsim.pipeline.sweep import long_format

REGENERATE = "hwsim reproduce fig1a --out reports/fig1a"


def _pct(value: float, paper: float) -> str:
    return f"{(value / paper - 1) * 100:+.1f} %"


def speedup_table(speeds: pd.DataFrame, fit_roles: bool = True) -> str:
    lines = ["| beam | encoder (paper 2.6x) | prediction network (paper 3.3x) | joint + CPU (paper ~1x) | "
             "end-to-end (paper 2.6x) | fitted? |", "|---:|---:|---:|---:|---:|---|"]
    for row in speeds.itertuples():
        fitted = ("fitted" if row.beam in fig1a.FIT_BEAMS else "held out") if fit_roles else "prediction"
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


def residual_table(speeds: pd.DataFrame) -> str:
    """Every beam's end-to-end and component residuals against the paper; fitted rows marked."""
    lines = ["| beam | role | end-to-end residual | encoder residual (paper 2.6x) | prediction residual (paper 3.3x) |",
             "|---:|---|---:|---:|---:|"]
    for row in speeds.itertuples():
        role = "fitted" if row.beam in fig1a.FIT_BEAMS else "held out"
        lines.append(f"| {row.beam} | {role} | {_pct(row.total, 2.6)} | {_pct(row.encoder, 2.6)} | "
                     f"{_pct(row.prediction, 3.3)} |")
    return "\n".join(lines)


def bounds_table(calibration: fig1a.Calibration) -> str:
    fitted = {fig1a.STEP_KEY: calibration.step_latency_s,
              **{k: v * calibration.cpu_scale for k, v in calibration.base_values.items()}}
    lines = ["| knob | role | bound [s] | value used [s] | why the bound (citation) |", "|---|---|---|---:|---|"]
    for key, bound in fig1a.BOUNDS.items():
        role = "fitted" if key in fitted else "physical view only (0 under the accounting)"
        value = f"{fitted[key]:.3g}" if key in fitted else f"{bound.low:.3g}"
        lines.append(f"| `{key}` | {role} | [{bound.low:.3g}, {bound.high:.3g}] | {value} | {bound.why} |")
    return "\n".join(lines)


def write_fig1a_report(directory: Path, with_sensitivity: bool = True, device_out: Path | None = None) -> dict[str, object]:
    """Fit (at regeneration time), then write the report, its CSVs and plot, and the calibrated device file."""
    from hwsim.progress import progress  # stderr; off under --quiet or without a terminal

    base = fig1a.base_request()
    with progress(total=5 if with_sensitivity else 4, desc="fig1a", unit="stage") as bar:
        uncalibrated = fig1a.run_points(replace(base, overlap=True))
        bar.update(1)
        calibration = fig1a.calibrate(base)
        bar.update(1)
        calibrated_request = replace(base, device_overrides=calibration.overrides)
        wide = fig1a.run_points(calibrated_request)
        bar.update(1)
        physical = fig1a.component_speedups(fig1a.run_points(
            replace(base, overlap=True, device_overrides=fig1a.physical_overrides(calibration))))
        bar.update(1)
        sensitivity = fig1a.sensitivity(calibrated_request) if with_sensitivity else None
        bar.update(1 if with_sensitivity else 0)
    speeds = fig1a.component_speedups(wide)
    raw_speeds = fig1a.component_speedups(uncalibrated)
    held = speeds[speeds.beam.isin(fig1a.HELD_OUT_BEAMS)]
    within = bool(((held.total / fig1a.PAPER["total"] - 1).abs() <= fig1a.TOLERANCE).all())
    write_csv(long_format(wide), directory / "results.csv")
    write_csv(wide, directory / "points.csv")
    write_csv(speeds, directory / "speedups.csv")
    write_csv(physical, directory / "speedups_physical.csv")
    write_csv(calibration.grid, directory / "calibration_grid.csv")
    fig1a.write_calibrated_device(calibration, directory / f"{fig1a.CALIBRATED_DEVICE}.yaml")
    plot_speedup(wide, directory / "fig1a.png", fig1a.BASELINE,
                 "IBM RNN-T (SWB), T=152, ibm_7nm_ai_chip (Sec. 4.3 accounting): FP16 vs INT4",
                 claims=matching_claims(base.workload, wide.precision.unique(), base.device, base.frames))
    if sensitivity is not None:
        write_csv(sensitivity, directory / "sensitivity.csv")
    write_resolved_config(directory, {**resolved_config(calibrated_request, prepare_point(calibrated_request)),
                                      "calibration": {"step_latency_s": calibration.step_latency_s,
                                                      "cpu_scale": calibration.cpu_scale,
                                                      "overrides": list(calibration.overrides),
                                                      "fit_beams": list(fig1a.FIT_BEAMS),
                                                      "held_out_beams": list(fig1a.HELD_OUT_BEAMS)}})
    (directory / "README.md").write_text(_markdown(wide, speeds, raw_speeds, physical, calibration, sensitivity, within))
    if device_out is not None:  # last, so a failed regeneration leaves the shipped device file as it was
        fig1a.write_calibrated_device(calibration, device_out)
    return {"within_tolerance": within, "speedups": speeds.to_dict(orient="records"),
            "step_latency_s": calibration.step_latency_s, "cpu_scale": calibration.cpu_scale}


def _range(frame: pd.DataFrame, column: str) -> str:
    return f"{frame[column].min():.2f}x-{frame[column].max():.2f}x"


def _markdown(wide, speeds, raw_speeds, physical, calibration, sensitivity, within) -> str:
    held = speeds[speeds.beam.isin(fig1a.HELD_OUT_BEAMS)]
    residuals = ", ".join(f"B={b}: {r * 100:+.1f} %" for b, r in calibration.fitted_residuals.items())
    bound_note = (f"The fit ends on a bound ({', '.join(calibration.at_bounds)}): the paper's flat speed-up needs "
                  "the CPU search at its physical floor, i.e. a compiled search doing only a few instructions per "
                  "candidate." if calibration.at_bounds else "No fitted knob ends on a bound.")
    text = [
        "# Fasoli et al. 2021, Fig. 1(a): FP16 vs INT4 RNN-T inference on the INT4 co-processor + CPU",
        "",
        f"Regenerate with `{REGENERATE} --device-out devices/{fig1a.CALIBRATED_DEVICE}.yaml` (about a "
        "minute; `--no-sensitivity` skips the sensitivity sweep). The fit runs then, never at import.",
        "The README's daily-job-3 command reproduces the table below from the calibrated device file written here:",
        f"`hwsim sweep ibm_rnnt_swb --device {fig1a.CALIBRATED_DEVICE} --precisions fp16,int4 --beams 1,2,4,8,16 "
        "--frames 152 --no-overlap --out out/fig1a`.",
        "",
        "**Setting.** `ibm_rnnt_swb` (6x BiLSTM-640 encoder, LSTM-768 prediction network, joint 256 -> 46),",
        "152 encoder frames (the paper's average), whole-utterance encoder, time-synchronous beam search (max 3",
        "symbols/frame, prediction-network cache), beams 1-16, on `devices/ibm_7nm_ai_chip.yaml`.",
        "FP16 = `fp16.yaml`; INT4 = `ibm_rnnt_swb/int4.yaml` (first encoder layer FP16, layers 2-6 and the",
        "prediction network INT4, FC + joint FP16), as in the paper. Search (log-softmax, top-k, sort, prune) on the CPU.",
        "",
        "## Which reading, and why",
        "",
        "Sec. 4.3 of the paper says how the figure was made: the co-processor's time comes from a performance model",
        "calibrated to silicon, and the CPU's time from performance counters on the CPU implementation. The bars",
        "are that sum. No host-link transfer or launch term is mentioned, and with any PCIe-like hand-off per",
        "beam-search step the joint group would dominate (below), contradicting the paper's statement that it has",
        "little impact. So this report takes the **accounting reading**: a serial sum of component times",
        "(`--no-overlap`), with the link latency and per-call dispatch latency *excluded* (0 under the accounting;",
        "not claimed as physical values). What the same chip gives with a physical link is reported separately.",
        "",
        "## Reproduced speed-ups (accounting reading, calibrated)",
        "",
        speedup_table(speeds),
        "",
        f"Held-out beams {fig1a.HELD_OUT_BEAMS}: {_range(held, 'total')} end to end; within +-{fig1a.TOLERANCE:.0%} "
        f"of 2.6x: **{'yes' if within else 'no'}**. Encoder {speeds.encoder.iloc[0]:.2f}x and prediction network "
        f"{_range(speeds, 'prediction')} are not fitted targets.",
        "",
        "![Fig. 1(a) reproduction](fig1a.png)",
        "",
        "## Residuals (model / paper - 1)",
        "",
        residual_table(speeds),
        "",
        "## Calibration step (explicit)",
        "",
        "Two knobs are fitted, each inside a cited physical bound, to the paper's 2.6x end to end at beams",
        f"{fig1a.FIT_BEAMS} only (log-error least squares; 5 x 5 grid, then golden-section search per knob):",
        "",
        f"- co-processor latency per LSTM time step: **{calibration.step_latency_s * 1e9:.0f} ns** "
        f"({calibration.step_latency_s * 1.6e9:.0f} cycles at 1.6 GHz): the per-step synchronisation the per-fold",
        "  model lacks. It is what brings the encoder from its pure-array 2.9x to the paper's 2.6x.",
        f"- one scale on the CPU's per-step and per-candidate search times: **{calibration.cpu_scale:.3g}** "
        "(the measured-CPU part of the accounting, not published).",
        f"- residuals at the fitted beams: {residuals}",
        f"- {bound_note}",
        "",
        bounds_table(calibration),
        "",
        "## Finding: the same chip with a physical host link",
        "",
        "With the calibrated knobs but the link latency and the per-call launch at their physical lower bounds",
        f"({fig1a.BOUNDS[fig1a.LINK_KEY].low * 1e9:.0f} ns each) and encoder/decoder overlap, the end-to-end "
        f"speed-up is {_range(physical, 'total')} (prediction network {_range(physical, 'prediction')}):",
        "",
        speedup_table(physical, fit_roles=False),
        "",
        "With the shipped device file as is (10 us link latency and launch per call, 2 us per search step, 40 ns",
        f"per candidate, no per-step latency) it is {_range(raw_speeds, 'total')}. INT4 buys about 2.6x end to end",
        "only when host interaction is accounted as the paper did, or is on-die/cache-coherent.",
        "",
        "## Absolute times per utterance (accounting reading, calibrated)",
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
             "  with public figures and stated assumptions (devices/ibm_7nm_ai_chip.yaml).",
             "- Beam-search dynamics come from the seeded emission model with the workload's assumed label rate and",
             "  competitor blank probability; the decode schedules (hwsim.decode.simulated) set the call counts, so this",
             "  report is regenerated whenever they change.", ""]
    return "\n".join(text)
