"""Roofline plot: one point per op (operational intensity vs achieved throughput) under the device's roofs.

Each memory level's bandwidth line rises until it meets the highest compute roof and stops there; each compute
roof (one per precision pair the ops use) starts where the fastest bandwidth line meets it. The points with the
largest share of run time are labelled with their ops' full names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from hwsim.report.style import PALETTE, component_color, new_figure, save_figure, styled
from hwsim.units import GIGA, TERA

LABELLED_OPS = 8


def roofline_points(frame: pd.DataFrame) -> pd.DataFrame:
    """Ops that run on the accelerator with work and traffic: intensity (ops/byte) and achieved ops/s."""
    data = frame[(frame.flops > 0) & (frame.bytes > 0) & (frame.time_s > 0) & (frame.engine != "cpu")].copy()
    data["intensity"] = data.flops / data.bytes
    data["achieved_ops_per_s"] = data.flops / data.time_s
    return data


def _roofs(data: pd.DataFrame, device: Any) -> tuple[dict[str, float], dict[str, float]]:
    peaks = {}
    for pair in sorted(set(data.compute_pair.dropna())):
        weight, act = pair.split("x")
        peaks[pair] = device.peak_ops_per_s(weight, act)
    bandwidths = {level.name: level.bandwidth_bytes_per_s for level in device.memory if level.bandwidth_bytes_per_s}
    return peaks, bandwidths


@styled
def draw_roofline(ax: Any, frame: pd.DataFrame, device: Any, title: str, labelled: int = LABELLED_OPS) -> Any:
    data = roofline_points(frame)
    peaks, bandwidths = _roofs(data, device)
    lo = max(data.intensity.min() / 4, 1e-3) if len(data) else 1e-2
    top_peak = max(peaks.values(), default=data.achieved_ops_per_s.max() if len(data) else 1.0)
    fastest = max(bandwidths.values(), default=None)
    hi = max(data.intensity.max() * 4 if len(data) else 1.0, (top_peak / fastest) * 4 if fastest else 1.0)
    for index, (name, bandwidth) in enumerate(sorted(bandwidths.items(), key=lambda kv: -kv[1])):
        ridge = top_peak / bandwidth
        xs = np.array([lo, min(ridge, hi)])
        ax.plot(xs, xs * bandwidth, ls=":", lw=1, color="#333333")
        ax.annotate(f"{name} {bandwidth / GIGA:,.0f} GB/s", (xs[0] * 1.3, xs[0] * 1.3 * bandwidth), fontsize=6,
                    rotation=0, va="bottom", color="#333333")
    for index, (pair, peak) in enumerate(sorted(peaks.items(), key=lambda kv: -kv[1])):
        start = peak / fastest if fastest else lo
        ax.plot([start, hi], [peak, peak], ls="--", lw=1, color=PALETTE[(index + 3) % len(PALETTE)])
        ax.annotate(f"{pair} peak {peak / TERA:,.2f} Tops/s", (hi, peak), ha="right", va="bottom", fontsize=6,
                    color=PALETTE[(index + 3) % len(PALETTE)])
    for index, (component, group) in enumerate(data.groupby("component")):
        ax.scatter(group.intensity, group.achieved_ops_per_s, s=12, alpha=0.85, color=component_color(component, index),
                   label=component, zorder=3)
    _label_ops(ax, data, labelled)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_xlabel("operational intensity (ops per byte moved; a MAC is 2 ops)")
    ax.set_ylabel("achieved throughput (ops/s)")
    ax.set_title(title + ("; labels: the points with most time" if len(data) else ""))
    ax.legend(loc="lower right")
    return ax


def _label_ops(ax: Any, data: pd.DataFrame, count: int) -> None:
    """Label the `count` points with most run time; ops drawn on the same spot share one label."""
    weight = data.total_time_s if "total_time_s" in data else data.time_s
    spot = (np.log10(data.intensity).round(3).astype(str) + "," + np.log10(data.achieved_ops_per_s).round(3).astype(str))
    groups = data.assign(weight=weight, spot=spot).groupby("spot", sort=False).agg(
        name=("name", "first"), ops=("name", "size"), weight=("weight", "sum"), x=("intensity", "first"),
        y=("achieved_ops_per_s", "first")).nlargest(count, "weight")
    for rank, row in enumerate(groups.itertuples()):
        text = row.name + (f" (+{row.ops - 1} identical ops)" if row.ops > 1 else "")
        ax.annotate(text, (row.x, row.y), fontsize=5.5, xytext=(8, -12 + 8 * (rank % 3)), textcoords="offset points",
                    arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "#555555"})


def plot_roofline(frame: pd.DataFrame, device: Any, path: Path, title: str,
                  extra_formats: Iterable[str] = ()) -> list[Path]:
    fig, ax = new_figure(7.0, 4.6, pyplot=False)
    draw_roofline(ax, frame, device, title)
    return save_figure(fig, path, extra_formats)
