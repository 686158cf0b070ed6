"""Measured (hwsim calibrate --backend torch) beside the datasheet device's predictions, one row per benchmark."""

from __future__ import annotations

import pandas as pd

from hwsim.calibrate.microbench import Measurement
from hwsim.cost.hardware import Device
from hwsim.formats import NumberFormat
from hwsim.cost.gemm import gemm_cost

TORCH_FORMATS = {"bfloat16": NumberFormat.BF16, "float16": NumberFormat.FP16, "float32": NumberFormat.FLOAT32}


def predicted_s(device: Device, row: Measurement) -> float | None:
    """The datasheet device's time for the same work (None where the model has no such figure)."""
    if row.benchmark == "gemm":
        fmt = TORCH_FORMATS[row.dtype]
        m, k, n = row.shape
        return gemm_cost(device, m, k, n, fmt, fmt).time_s
    level = device.memory_bandwidth_bytes_per_s()
    link, gpu = device.host_link, device.gpu
    predictions = {
        "copy": row.work / level,
        "h2d": link and link.transfer_time_s(row.work) - link.latency_s,
        "d2h": link and link.transfer_time_s(row.work) - link.latency_s,
        "small_copy": link and link.transfer_time_s(4),
        "launch": gpu and gpu.kernel_launch_s,
        "graph_kernel": gpu and gpu.graph_kernel_s and gpu.graph_kernel_s * row.work,
        "graph_launch": gpu and gpu.graph_launch_s,
    }
    return predictions.get(row.benchmark)


def comparison_frame(device: Device, rows: list[Measurement]) -> pd.DataFrame:
    """benchmark, dtype, shape, measured_s, predicted_s, error_pct (predicted vs measured), measured rate."""
    records = []
    for row in rows:
        predicted = predicted_s(device, row)
        records.append({
            "benchmark": row.benchmark, "dtype": row.dtype, "shape": "x".join(map(str, row.shape)),
            "measured_s": row.median_s, "predicted_s": predicted,
            "error_pct": None if not predicted else 100.0 * (predicted - row.median_s) / row.median_s,
            "measured_rate": row.rate_per_s, "unit": f"{row.work_unit}/s",
        })
    return pd.DataFrame.from_records(records)


def headline(frame: pd.DataFrame, large: tuple[int, int, int]) -> list[str]:
    """The three figures the issue asks for: a large bf16 GEMM's TFLOP/s, copy bandwidth, launch latency."""
    lines = []
    shape = "x".join(map(str, large))
    for _, r in frame.iterrows():
        if r.benchmark == "gemm" and r.dtype == "bfloat16" and r["shape"] == shape:
            lines.append(f"large bf16 GEMM {shape}: measured {r.measured_rate / 1e12:.1f} TFLOP/s, datasheet device "
                         f"predicts {2 * large[0] * large[1] * large[2] / r.predicted_s / 1e12:.1f} TFLOP/s")
        if r.benchmark == "copy":
            lines.append(f"device copy: measured {r.measured_rate / 1e9:.0f} GB/s, datasheet "
                         f"{r.measured_rate * r.measured_s / r.predicted_s / 1e9:.0f} GB/s")
        if r.benchmark == "launch":
            lines.append(f"eager kernel launch: measured {r.measured_s * 1e6:.2f} us, assumed "
                         f"{(r.predicted_s or 0) * 1e6:.2f} us")
    return lines
