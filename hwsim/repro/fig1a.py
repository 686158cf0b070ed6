"""Fasoli et al. 2021, Fig. 1(a): RNN-T inference time on the INT4 co-processor + CPU, FP16 vs INT4, beams 1-16.

Paper (Sec. 4.3): encoder 2.6x faster at INT4 (first layer kept FP16), decoding (prediction network) 3.3x,
joint network constant (FP16, CPU-heavy), overall 2.6x "across different beam widths"; average sequence
length 152.

Reading (explicit): Sec. 4.3 builds the figure from *co-processor time from a detailed performance model* plus
*separately measured CPU time* of the control-heavy work. Its bars are that sum: no host-link transfer or
launch term appears. The reproduction models that accounting: the run is serial (`overlap=False`, stacked
bars) and the device's link latency and per-call dispatch latency are excluded (set to 0, stated as the
accounting, never as a physical latency). The physical system, with the link and launches at their documented
lower bounds (BOUNDS), is reported beside it as a finding.

Calibration (explicit, at regeneration time, never at import): two knobs, each kept inside cited physical
bounds, fitted to the paper's end-to-end 2.6x at FIT_BEAMS only (log-error least squares, grid + coordinate
golden-section search):
- `modelling.step_latency_s`: the co-processor's latency per LSTM time step (per recurrent step: a sync of
  the cores and the SFU gate pass), which the per-fold model does not contain;
- one scale on the CPU's search knobs (`host_cpu.search_step_overhead_s`, `host_cpu.per_candidate_s`), the
  measured-CPU-time part of the accounting, which the paper does not publish.
HELD_OUT_BEAMS and the per-component speed-ups are not fitted and are reported with their residuals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from hwsim.cost.hardware import load_device
from hwsim.io.outputs import atomic_write_text
from hwsim.io.paths import DEVICES_DIR, resolve_spec_path
from hwsim.report.paper_values import paper_speedups
from hwsim.pipeline.point import RunRequest
from hwsim.specs.load import read_yaml
from hwsim.specs.resolve import load_workload_spec
from hwsim.specs.schema import modeline
from hwsim.pipeline.sweep import expand, run_sweep

WORKLOAD, DEVICE, FRAMES = "ibm_rnnt_swb", "ibm_7nm_ai_chip", 152
CALIBRATED_DEVICE = "ibm_7nm_ai_chip_fig1a"
BASELINE, QUANTIZED = "fp16", "int4"
BEAMS = (1, 2, 4, 8, 16)
FIT_BEAMS = (1, 16)
HELD_OUT_BEAMS = (2, 4, 8)
PAPER = {"encoder": 2.6, "prediction": 3.3, "joint": 1.0, "total": 2.6}
TOLERANCE = 0.15  # acceptance band on held-out end-to-end speed-ups (the paper gives one figure for all beams)

STEP_KEY = "modelling.step_latency_s.value"
CPU_KEYS = ("host_cpu.search_step_overhead_s.value", "host_cpu.per_candidate_s.value")
LINK_KEY, DISPATCH_KEY = "host_link.latency_s.value", "modelling.dispatch_latency_s.value"
ACCOUNTING = (f"{LINK_KEY}=0", f"{DISPATCH_KEY}=0")
HOST_CLOCK_HZ, HOST_IPC = 2.0e9, 2.0  # ibm_7nm_ai_chip.yaml host_cpu.clock_hz, host_cpu.scalar_ops_per_cycle


@dataclass(frozen=True)
class Bound:
    low: float
    high: float
    why: str


PCIE_ROUND_TRIP_S = 0.85e-6
BOUNDS = {
    LINK_KEY: Bound(PCIE_ROUND_TRIP_S, math.inf,
                    "a PCIe round trip measured at ~850 ns between a CPU and an FPGA endpoint on Gen3 x8 "
                    "(hackingnasdaq.blogspot.com/2014/05/pcie-latency.html); Neugebauer et al., 'Understanding PCIe "
                    "performance for end host networking', SIGCOMM 2018 (pcie-bench) measure DMA-read latencies of "
                    "several hundred ns upward on servers"),
    DISPATCH_KEY: Bound(PCIE_ROUND_TRIP_S, math.inf,
                        "launching a call on a PCIe co-processor takes at least one doorbell write and one completion: "
                        "no less than the PCIe round trip above"),
    STEP_KEY: Bound(0.0, PCIE_ROUND_TRIP_S,
                    "non-negative; an on-chip synchronisation per LSTM step slower than a host round trip would be "
                    "driven from the host instead (an argument, not a measurement)"),
    CPU_KEYS[0]: Bound(100 / (HOST_IPC * HOST_CLOCK_HZ), 2.0e-6,
                       "at least ~100 instructions per step (loop control, a candidate list) at 2 IPC and the host's "
                       "2.0 GHz (ibm_7nm_ai_chip.yaml host_cpu); at most the file's stated 2 us assumption"),
    CPU_KEYS[1]: Bound(8 / (HOST_IPC * HOST_CLOCK_HZ), 4.0e-8,
                       "at least 8 instructions per candidate (score add, hash update, compare, store) at 2 IPC and "
                       "2.0 GHz; at most the file's stated 40 ns assumption"),
}


@dataclass(frozen=True)
class Calibration:
    step_latency_s: float
    cpu_scale: float
    overrides: tuple[str, ...]           # accounting + fitted knobs, as --device-set edits of DEVICE
    base_values: dict[str, float]        # the device file's CPU knobs before scaling
    fitted_residuals: dict[int, float]   # beam -> model/paper - 1 on the total speed-up
    at_bounds: tuple[str, ...]           # fitted knobs that ended on a bound (a finding in itself)
    grid: pd.DataFrame


def base_request() -> RunRequest:
    """The Sec. 4.3 accounting: stacked (serial) component times."""
    return RunRequest(workload=WORKLOAD, precision=BASELINE, device=DEVICE, frames=FRAMES, overlap=False)


def knob_values(device: str = DEVICE) -> dict[str, float]:
    d = load_device(device)
    return {CPU_KEYS[0]: d.host_cpu.search_step_overhead_s, CPU_KEYS[1]: d.host_cpu.per_candidate_s}


def cpu_scale_range(base: dict[str, float]) -> tuple[float, float]:
    """Scales that keep both CPU knobs inside their bounds."""
    low = max(BOUNDS[k].low / v for k, v in base.items())
    high = min(BOUNDS[k].high / v for k, v in base.items())
    return low, high


def fitted_overrides(step_s: float, scale: float, base: dict[str, float]) -> tuple[str, ...]:
    return ACCOUNTING + (f"{STEP_KEY}={step_s:.6g}",) + tuple(f"{k}={v * scale:.6g}" for k, v in base.items())


def physical_overrides(calibration: Calibration) -> tuple[str, ...]:
    """The calibrated chip with the link and launches at their physical lower bounds instead of the accounting's 0."""
    kept = tuple(o for o in calibration.overrides if o not in ACCOUNTING)
    return kept + (f"{LINK_KEY}={BOUNDS[LINK_KEY].low:.6g}", f"{DISPATCH_KEY}={BOUNDS[DISPATCH_KEY].low:.6g}")


def run_points(request: RunRequest, beams=BEAMS) -> pd.DataFrame:
    return run_sweep(expand(request, (BASELINE, QUANTIZED), (request.device,), beams, (request.frames,)),
                     workers=1, progress=False)


def component_speedups(wide: pd.DataFrame) -> pd.DataFrame:
    """Per beam: encoder, prediction network, joint group (joint + transfer + search) and total speed-ups."""
    return paper_speedups(wide, BASELINE, QUANTIZED)


def _loss(request: RunRequest, step_s: float, scale: float, base: dict[str, float]) -> float:
    wide = run_points(replace(request, device_overrides=fitted_overrides(step_s, scale, base)), FIT_BEAMS)
    totals = component_speedups(wide).total
    return float(np.sum(np.log(totals / PAPER["total"]) ** 2))


def _golden(f, lo: float, hi: float, iterations: int = 10) -> float:
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = f(a), f(b)
    for _ in range(iterations):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = f(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = f(b)
    return (lo + hi) / 2


def calibrate(request: RunRequest | None = None) -> Calibration:
    """5 x 5 grid over (step latency, log CPU scale) inside the bounds, then two rounds of golden-section search
    along each knob around the best grid point."""
    request = request or base_request()
    base = knob_values(request.device)
    s_lo, s_hi = cpu_scale_range(base)
    step_bound = BOUNDS[STEP_KEY]
    steps = np.linspace(step_bound.low, step_bound.high / 4, 5)
    log_scales = np.linspace(math.log10(s_lo), math.log10(s_hi), 5)
    rows = [{"step_latency_s": st, "cpu_scale": 10 ** ls, "loss": _loss(request, st, 10 ** ls, base)}
            for st in steps for ls in log_scales]
    grid = pd.DataFrame(rows)
    best = grid.loc[grid.loss.idxmin()]
    step, log_scale = float(best.step_latency_s), math.log10(float(best.cpu_scale))
    for _ in range(2):
        step = _golden(lambda x: _loss(request, x, 10 ** log_scale, base), step_bound.low, step_bound.high)
        log_scale = _golden(lambda x: _loss(request, step, 10 ** x, base), math.log10(s_lo), math.log10(s_hi))
    scale = 10 ** log_scale
    step = float(f"{step:.6g}")  # the precision the overrides and the written device file carry, so all three agree
    overrides = fitted_overrides(step, scale, base)
    fitted = component_speedups(run_points(replace(request, device_overrides=overrides), FIT_BEAMS))
    residuals = {int(b): float(t / PAPER["total"] - 1) for b, t in zip(fitted.beam, fitted.total)}
    at_bounds = tuple(name for name, value, (lo, hi) in (
        (STEP_KEY, step, (step_bound.low, step_bound.high)), ("cpu_scale", scale, (s_lo, s_hi)))
        if min(abs(value - lo), abs(value - hi)) <= 0.02 * (hi - lo))
    return Calibration(step, scale, overrides, base, residuals, at_bounds, grid)


def calibrated_device_document(calibration: Calibration, report: str = "reports/fig1a/README.md") -> dict:
    """DEVICE's YAML with the accounting and the fitted knobs written in, each with its provenance."""
    data = read_yaml(resolve_spec_path(DEVICE, DEVICES_DIR, "device"))
    data["name"] = CALIBRATED_DEVICE
    data["description"] = ("ibm_7nm_ai_chip under the 4-bit LSTM paper's Sec. 4.3 accounting (co-processor model time + "
                           "CPU time, no link or launch term), calibrated by `hwsim reproduce fig1a`: for reproducing "
                           "Fig. 1(a), not a physical system")
    accounting = ("excluded by the paper's Sec. 4.3 accounting (co-processor time from a performance model plus "
                  f"measured CPU time; no host-link or launch term): 0 is the accounting, not a physical latency ({report})")
    data["host_link"]["latency_s"] = {"value": 0.0, "assumption": accounting}
    data["modelling"]["dispatch_latency_s"] = {"value": 0.0, "assumption": accounting}
    fit = (f"calibrated by `hwsim reproduce fig1a` ({report}): fitted to the paper's 2.6x end-to-end at beams "
           f"{', '.join(map(str, FIT_BEAMS))}; beams {', '.join(map(str, HELD_OUT_BEAMS))} held out")
    data["modelling"]["step_latency_s"] = {"value": float(f"{calibration.step_latency_s:.6g}"),
                                           "source": f"{fit}; bound [{BOUNDS[STEP_KEY].low:g}, {BOUNDS[STEP_KEY].high:g}] s"}
    for key, value in calibration.base_values.items():
        section, name, _ = key.split(".")
        data[section][name] = {"value": float(f"{value * calibration.cpu_scale:.6g}"),
                               "source": f"{fit}; common scale {calibration.cpu_scale:.4g} on the file's {value:g} s; "
                                         f"bound [{BOUNDS[key].low:g}, {BOUNDS[key].high:g}] s"}
    return data


def write_calibrated_device(calibration: Calibration, path: Path) -> None:
    header = (f"# Written by `hwsim reproduce fig1a` (hwsim/repro/fig1a.py); do not edit by hand. The Fig. 1(a) "
              f"reading and\n# calibration are in reports/fig1a/README.md. Every other figure is {DEVICE}.yaml's.\n")
    text = yaml.safe_dump(calibrated_device_document(calibration), sort_keys=False, width=120, allow_unicode=True)
    atomic_write_text(path, modeline("device", path) + "\n" + header + text, "--device-out")


# ---- sensitivity: each assumption x0.5 and x1.5 around the calibrated point ----

DEVICE_ASSUMPTIONS = {
    "SFU width (vector_units[0].ops_per_cycle)": "vector_units.0.ops_per_cycle.value",
    "SFU ops per sigmoid/tanh (modelling.transcendental_ops_per_element)": "modelling.transcendental_ops_per_element.value",
    "scratchpad capacity (memory[0].capacity_bytes)": "memory.0.capacity_bytes.value",
    "scratchpad bandwidth (memory[0].bandwidth_gb_per_s)": "memory.0.bandwidth_gb_per_s.value",
    "DRAM bandwidth (memory[1].bandwidth_gb_per_s)": "memory.1.bandwidth_gb_per_s.value",
    "link bandwidth (host_link.bandwidth_gb_per_s)": "host_link.bandwidth_gb_per_s.value",
    "per-step latency (modelling.step_latency_s)": "modelling.step_latency_s.value",
    "search step overhead (host_cpu.search_step_overhead_s)": "host_cpu.search_step_overhead_s.value",
    "per-candidate host time (host_cpu.per_candidate_s)": "host_cpu.per_candidate_s.value",
    "host core FLOP/cycle (host_cpu.flops_per_cycle_per_core)": "host_cpu.flops_per_cycle_per_core.value",
}
RUN_ASSUMPTIONS = {"label rate (decoding.label_rate_per_frame)": "label_rate",
                   "top-symbol prob. (decoding.top_prob)": "top_prob"}


def _device_value(device: str, path: str, overrides: tuple[str, ...]) -> float:
    for text in reversed(overrides):
        key, value = text.split("=", 1)
        if key == path:
            return float(value)
    node: object = read_yaml(resolve_spec_path(device, DEVICES_DIR, "device"))
    for key in path.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]  # type: ignore[index]
    return float(node)  # type: ignore[arg-type]


def _summary(wide: pd.DataFrame) -> dict[str, float]:
    s = component_speedups(wide)
    return {"encoder": float(s.encoder.iloc[0]), "prediction_b16": float(s.prediction.iloc[-1]),
            "total_min": float(s.total.min()), "total_max": float(s.total.max())}


def sensitivity(calibrated: RunRequest) -> pd.DataFrame:
    rows = []
    spec, _ = load_workload_spec(calibrated.workload)
    decoding_defaults = {"label_rate": spec.decoding.label_rate_per_frame,
                         "top_prob": spec.decoding.top_prob}
    for name, path in DEVICE_ASSUMPTIONS.items():
        value = _device_value(calibrated.device, path, calibrated.device_overrides)
        for factor in (0.5, 1.5):
            others = tuple(o for o in calibrated.device_overrides if not o.startswith(path + "="))
            request = replace(calibrated, device_overrides=others + (f"{path}={value * factor:.6g}",))
            rows.append({"assumption": name, "factor": factor, "value": value * factor, **_summary(run_points(request))})
    for name, field_name in RUN_ASSUMPTIONS.items():
        value = decoding_defaults[field_name]
        for factor in (0.5, 1.5):
            varied = min(max(value * factor, 0.34), 0.95)  # top_prob lives in (1/3, 1)
            request = replace(calibrated, **{field_name: varied})
            rows.append({"assumption": name, "factor": factor, "value": varied,
                         **_summary(run_points(request))})
    return pd.DataFrame(rows)
