"""The Fig. 1(a)-style plot: stacked component bars per beam width and precision, end-to-end speed-up line."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# The paper's three bar colours: encoder (blue), decoding = prediction network (red), joint incl. CPU work (gray).
GROUPS = {"encoder": ("encoder_s",), "prediction network": ("prediction_s",),
          "joint + CPU search + transfer": ("joint_s", "search_s", "transfer_s"), "HMM search": ("hmm_search_s",)}
COLORS = {"encoder": "#4C72B0", "prediction network": "#C44E52", "joint + CPU search + transfer": "#9E9E9E",
          "HMM search": "#55A868"}


def plot_speedup(wide: pd.DataFrame, path: Path, baseline: str, title: str, time_unit: float = 1e-3,
                 unit_label: str = "ms") -> None:
    """`wide` holds one row per point (one device, one frames value); bars are busy time per component group."""
    precisions = list(dict.fromkeys(wide.precision))
    precisions.sort(key=lambda p: p != baseline)
    beams = sorted(wide.beam.unique())
    width = 0.8 / len(precisions)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    hatches = ["", "//", "..", "xx"]
    for index, precision in enumerate(precisions):
        sub = wide[wide.precision == precision].set_index("beam").reindex(beams)
        xs = np.arange(len(beams)) + (index - (len(precisions) - 1) / 2) * width
        bottom = np.zeros(len(beams))
        for group, columns in GROUPS.items():
            values = sum(sub[c].to_numpy() for c in columns if c in sub) / time_unit
            if not np.any(values):
                continue
            ax.bar(xs, values, width * 0.95, bottom=bottom, color=COLORS[group], hatch=hatches[index % 4],
                   edgecolor="white", label=group if index == 0 else None)
            bottom += values
        for x, total in zip(xs, bottom):
            ax.text(x, total, precision, ha="center", va="bottom", fontsize=7, rotation=90)
    ax.set_xticks(np.arange(len(beams)), [str(b) for b in beams])
    ax.set_xlabel("beam width")
    ax.set_ylabel(f"busy time per utterance [{unit_label}]")
    ax.set_title(title, fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    twin = ax.twinx()
    base = wide[wide.precision == baseline].set_index("beam").reindex(beams)
    for precision in precisions:
        if precision == baseline:
            continue
        sub = wide[wide.precision == precision].set_index("beam").reindex(beams)
        speedup = base.total_s / sub.total_s
        twin.plot(np.arange(len(beams)), speedup, "k-o", ms=4, label=f"end-to-end speed-up {baseline}/{precision}")
        for x, s in enumerate(speedup):
            twin.annotate(f"{s:.2f}x", (x, s), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    twin.set_ylabel("end-to-end speed-up")
    top = max((line.get_ydata().max() for line in twin.get_lines()), default=1.0)
    twin.set_ylim(0, top * 1.3)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.12)
    handles, labels = ax.get_legend_handles_labels()
    handles2, labels2 = twin.get_legend_handles_labels()
    ax.legend(handles + handles2, labels + labels2, fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
