"""Roofline plot: one dot per op (operational intensity vs achieved throughput) under the device's ceilings."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hwsim.cost.device import Device  # noqa: E402
from hwsim.units import TERA  # noqa: E402

COLORS = {"encoder": "#4C72B0", "prediction": "#C44E52", "joint": "#8C8C8C", "search": "#55A868", "transfer": "#DD8452"}


def plot_roofline(frame: pd.DataFrame, device: Device, path: Path, title: str) -> None:
    data = frame[(frame.flops > 0) & (frame.bytes > 0) & (frame.time_s > 0) & (frame.engine != "cpu")]
    intensity = data.flops / data.bytes
    data.flops / data.time_s
    fig, ax = plt.subplots(figsize=(7.5, 5))
    xs = np.logspace(np.log10(max(intensity.min() / 3, 1e-2)), np.log10(intensity.max() * 3 + 1), 200)
    pairs = sorted({p for p in data.compute_pair.dropna()})
    bandwidths = {level.name: level.bandwidth_bytes_per_s for level in device.memory if level.bandwidth_bytes_per_s}
    for pair in pairs:
        weight, act = pair.split("x")
        peak = device.peak_ops_per_s(weight, act)
        ax.axhline(peak, ls="--", lw=1, color="black", alpha=0.6)
        ax.text(xs[0], peak * 1.08, f"{pair} peak {peak / TERA:.1f} T/s", fontsize=7)
    for name, bandwidth in bandwidths.items():
        ax.plot(xs, xs * bandwidth, ls=":", lw=1, color="black", alpha=0.6)
        ax.text(xs[-1] / 8, xs[-1] / 8 * bandwidth, f"{name} {bandwidth / 1e9:.0f} GB/s", fontsize=7, rotation=25)
    for component, group in data.groupby("component"):
        ax.scatter(group.flops / group.bytes, group.flops / group.time_s, s=14, alpha=0.8,
                   color=COLORS.get(component, "#333333"), label=component)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("operational intensity [FLOP (or op) per byte]")
    ax.set_ylabel("achieved throughput [ops/s]")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.2, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
