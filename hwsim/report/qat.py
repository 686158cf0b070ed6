"""Tables and the SQNR plot of a `hwsim qat` run, from its per-tensor errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hwsim.quant.analyse import TensorError, component_summary

COMPONENT_COLOURS = {"encoder": "tab:blue", "predictor": "tab:orange", "joint": "tab:green", "other": "tab:gray"}


def tensor_frame(reports: list[TensorError]) -> pd.DataFrame:
    frame = pd.DataFrame([r.row() for r in reports])
    for column in ("rule", "block_size"):  # optional integers: keep them integers in the CSV
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame


def component_frame(reports: list[TensorError]) -> pd.DataFrame:
    return pd.DataFrame([{"component": name, **values} for name, values in component_summary(reports).items()])


def plot_sqnr(reports: list[TensorError], path: Path, title: str) -> None:
    """Per-tensor SQNR in graph order, one colour per component; casts hollow, exact casts at the top edge."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4))
    finite = [r.sums.sqnr_db for r in reports if r.sums.sqnr_db != float("inf")]
    ceiling = (max(finite) + 5) if finite else 100.0
    for component, colour in COMPONENT_COLOURS.items():
        for treatment, face in (("quantized", colour), ("cast", "none")):
            points = [(i, min(r.sums.sqnr_db, ceiling)) for i, r in enumerate(reports)
                      if r.component == component and r.treatment == treatment]
            if points:
                xs, ys = zip(*points)
                ax.scatter(xs, ys, s=14, facecolors=face, edgecolors=colour, label=f"{component} ({treatment})")
    if any(r.sums.sqnr_db == float("inf") for r in reports):
        ax.axhline(ceiling, linestyle=":", color="gray", label="exact (inf dB), drawn at this line")
    ax.set(title=title, xlabel="tensor (graph order)", ylabel="SQNR (dB)")
    if reports:
        ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
