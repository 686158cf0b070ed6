"""The validation report: parity plot, per-point table, error summary, machine facts, emission-model counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hwsim.report.style import component_color, new_figure, save_figure, styled
from hwsim.validation.run import PointResult, within_tolerance

MARKERS = {"end_to_end": "o", "encoder": "s", "prediction": "^", "joint": "v", "search": "x"}


@styled
def plot_parity(frame: pd.DataFrame, path: Path, title: str) -> None:
    fig, ax = new_figure(6, 5.5, pyplot=False)  # shared style: hwsim.report.style
    for index, (component, group) in enumerate(frame.groupby("component", sort=False)):
        colour = "#000000" if component == "end_to_end" else component_color(component, index)
        ax.scatter(group.measured_s * 1e3, group.predicted_s * 1e3, marker=MARKERS.get(component, "o"), s=24,
                   alpha=0.8, label=component, color=colour)
    values = np.concatenate([frame.measured_s, frame.predicted_s]) * 1e3
    values = values[values > 0]
    lo, hi = values.min() / 1.5, values.max() * 1.5
    ax.plot([lo, hi], [lo, hi], "k-", lw=1, label="y = x")
    ax.fill_between([lo, hi], [lo / 1.15, hi / 1.15], [lo * 1.15, hi * 1.15], color="gray", alpha=0.15, label="+-15 %")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("measured [ms] (numpy reference)")
    ax.set_ylabel("predicted [ms] (hwsim on the calibrated device)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.2, which="both")
    save_figure(fig, path)


def points_table(frame: pd.DataFrame) -> str:
    wide = frame.pivot_table(index=["workload", "frames", "beam", "algorithm"], columns="component",
                             values=["predicted_s", "measured_s", "error_pct"], sort=False)
    lines = ["| point | end-to-end measured / predicted [ms] (err) | encoder err | prediction err | joint err | search err |",
             "|---|---|---:|---:|---:|---:|"]
    for index, row in wide.iterrows():
        workload, frames, beam, algorithm = index
        lines.append(f"| {workload} T={frames} B={beam} {algorithm} | {row[('measured_s', 'end_to_end')] * 1e3:.1f} / "
                     f"{row[('predicted_s', 'end_to_end')] * 1e3:.1f} ({row[('error_pct', 'end_to_end')]:+.1f} %) | "
                     + " | ".join(f"{row[('error_pct', c)]:+.0f} %" for c in ("encoder", "prediction", "joint", "search"))
                     + " |")
    return "\n".join(lines)


def emission_table(results: list[PointResult]) -> str:
    names = ("steps", "joint_rows", "prediction_rows", "cache_hits", "labels")
    lines = ["| point | steps | joint rows | prediction rows | cache hits | labels | structure | all |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for r in results:
        cells = []
        for name in names:
            entry = r.emission_counts[name]
            pct = entry["diff_pct"]
            cells.append(f"{entry['real']} -> {entry['simulated']}" + (f" ({pct:+.0f} %)" if pct is not None else ""))
        every = all(within_tolerance(r.emission_counts[n]) for n in names)
        lines.append(f"| {r.point.label} | " + " | ".join(cells) + f" | {'ok' if r.emission_ok else 'FAIL'} | "
                     f"{'ok' if every else '-'} |")
    return "\n".join(lines)


def facts_lines(facts: dict[str, object]) -> list[str]:
    keys = ("cpu_model", "physical_cores", "logical_cpus", "blas", "blas_threads", "array_pages", "numpy_version", "python_version", "date")
    return [f"- {key}: {facts[key]}" for key in keys if key in facts]
