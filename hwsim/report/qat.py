"""Tables and the SQNR plot of a `hwsim qat` run, from its per-tensor errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from hwsim.quant.analyse import TensorError, component_summary
from hwsim.report.style import COMPONENT_COLORS, MARKERS, OKABE_ITO, new_figure, save_figure, styled

COMPONENT_COLOURS = {"encoder": COMPONENT_COLORS["encoder"], "predictor": COMPONENT_COLORS["prediction"],
                     "joint": OKABE_ITO["green"], "other": OKABE_ITO["grey"]}


def tensor_frame(reports: list[TensorError]) -> pd.DataFrame:
    frame = pd.DataFrame([r.row() for r in reports])
    for column in ("rule", "block_size"):  # optional integers: keep them integers in the CSV
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame


def component_frame(reports: list[TensorError]) -> pd.DataFrame:
    return pd.DataFrame([{"component": name, **values} for name, values in component_summary(reports).items()])


def plot_sqnr(reports: list[TensorError], path: Path, title: str, extra_formats: Iterable[str] = ()) -> list[Path]:
    """Per-tensor SQNR in graph order, one colour and marker per component; casts hollow, exact casts at the top
    edge. Tensors are named: every tick when there are few, else the WORST_NAMED lowest-SQNR tensors."""
    fig, ax = new_figure(10.0, 4.2, pyplot=False)
    draw_sqnr(ax, reports, title)
    return save_figure(fig, path, extra_formats)


WORST_NAMED = 10
NAME_EVERY_TICK_UP_TO = 60


@styled
def draw_sqnr(ax: Any, reports: list[TensorError], title: str) -> Any:
    finite = [r.sums.sqnr_db for r in reports if r.sums.sqnr_db != float("inf")]
    ceiling = (max(finite) + 5) if finite else 100.0
    for index, component in enumerate(COMPONENT_COLOURS):
        colour, marker = COMPONENT_COLOURS[component], MARKERS[index % len(MARKERS)]
        for treatment, face in (("quantized", colour), ("cast", "none")):
            points = [(i, min(r.sums.sqnr_db, ceiling)) for i, r in enumerate(reports)
                      if r.component == component and r.treatment == treatment]
            if points:
                xs, ys = zip(*points)
                ax.scatter(xs, ys, s=14, marker=marker, facecolors=face, edgecolors=colour,
                           label=f"{component} ({treatment})")
    if any(r.sums.sqnr_db == float("inf") for r in reports):
        ax.axhline(ceiling, linestyle=":", color="gray", label="exact (inf dB), drawn at this line")
    _name_tensors(ax, reports, ceiling)
    ax.set(title=title, ylabel="SQNR (dB)")
    if reports:
        ax.legend(loc="best")
    return ax


def _name_tensors(ax: Any, reports: list[TensorError], ceiling: float) -> None:
    if len(reports) <= NAME_EVERY_TICK_UP_TO:
        ax.set_xticks(range(len(reports)), [r.name for r in reports], rotation=90, fontsize=4.5)
        ax.set_xlabel("tensor")
        return
    ax.set_xlabel(f"tensor (graph order; the {WORST_NAMED} lowest-SQNR tensors named)")
    worst = sorted(range(len(reports)), key=lambda i: reports[i].sums.sqnr_db)[:WORST_NAMED]
    for rank, i in enumerate(sorted(worst)):
        ax.annotate(reports[i].name, (i, min(reports[i].sums.sqnr_db, ceiling)), fontsize=5, rotation=30,
                    xytext=(4, -14 - 6 * (rank % 2)), textcoords="offset points",
                    arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "#555555"})
