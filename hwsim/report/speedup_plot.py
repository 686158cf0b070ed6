"""The Fig. 1(a)-style plot: stacked component bars per beam width and precision, speed-up lines, paper values.

Bars: busy time per component group (colour) for each precision (hatch; the legend says which hatch is which).
Lines (right axis): end-to-end speed-up of each precision over the baseline (a colour and marker per precision)
and, where a published claim matches the run, the paper's value as a dashed line with hwsim's matching ratio.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from hwsim.report.style import COMPONENT_COLORS, HATCHES, new_figure, precision_style, save_figure, styled
from hwsim.specs.claims import SpeedupClaimSpec

# The paper's three bar colours: encoder, decoding = prediction network, joint incl. CPU work.
GROUPS = {"encoder": ("encoder_s",), "prediction network": ("prediction_s",),
          "joint + CPU search + transfer": ("joint_s", "search_s", "transfer_s"), "HMM search": ("hmm_search_s",)}
COLORS = {"encoder": COMPONENT_COLORS["encoder"], "prediction network": COMPONENT_COLORS["prediction"],
          "joint + CPU search + transfer": COMPONENT_COLORS["joint"], "HMM search": COMPONENT_COLORS["hmm_search"]}
CLAIM_COLUMNS = {"encoder": "encoder_s", "prediction": "prediction_s", "joint": "joint_s", "total": "total_s"}
CLAIM_COLORS = {"encoder": COMPONENT_COLORS["encoder"], "prediction": COMPONENT_COLORS["prediction"],
                "joint": COMPONENT_COLORS["joint"], "total": "#000000"}


def _ordered(wide: pd.DataFrame, baseline: str) -> list[str]:
    precisions = list(dict.fromkeys(wide.precision))
    precisions.sort(key=lambda p: p != baseline)
    return precisions


def _bars(ax: Any, wide: pd.DataFrame, precisions: list[str], beams: list[int], time_unit: float) -> list[Any]:
    """Stacked bars; returns legend handles: one per component group, then one per precision's hatch."""
    from matplotlib.patches import Patch

    width = 0.8 / len(precisions)
    drawn: dict[str, Any] = {}
    for index, precision in enumerate(precisions):
        sub = wide[wide.precision == precision].set_index("beam").reindex(beams)
        xs = np.arange(len(beams)) + (index - (len(precisions) - 1) / 2) * width
        bottom = np.zeros(len(beams))
        for group, columns in GROUPS.items():
            values = sum(sub[c].to_numpy() for c in columns if c in sub) / time_unit
            if not np.any(values):
                continue
            ax.bar(xs, values, width * 0.92, bottom=bottom, color=COLORS[group], hatch=HATCHES[index % len(HATCHES)],
                   edgecolor="white", linewidth=0.4)
            drawn[group] = Patch(facecolor=COLORS[group], label=group)
            bottom += values
    hatches = [Patch(facecolor="white", edgecolor="#444444", hatch=HATCHES[i % len(HATCHES)] * 2,
                     label=f"{p} bars" + (" (baseline)" if i == 0 else "")) for i, p in enumerate(precisions)]
    return list(drawn.values()) + hatches


def _speedup_lines(twin: Any, wide: pd.DataFrame, precisions: list[str], beams: list[int], baseline: str) -> None:
    base = wide[wide.precision == baseline].set_index("beam").reindex(beams)
    xs = np.arange(len(beams))
    for precision in precisions[1:]:
        sub = wide[wide.precision == precision].set_index("beam").reindex(beams)
        speedup = (base.total_s / sub.total_s).to_numpy()
        colour, marker = precision_style(precision, precisions)
        twin.plot(xs, speedup, color=colour, marker=marker, label=f"hwsim end-to-end {baseline}/{precision}")
        for x, value in zip(xs, speedup):
            twin.annotate(f"{value:.2f}x", (x, value), textcoords="offset points", xytext=(0, 6), ha="center",
                          fontsize=6, color=colour, bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 0.5})


def _paper_lines(twin: Any, wide: pd.DataFrame, beams: list[int], claims: Iterable[SpeedupClaimSpec]) -> None:
    """The paper's value (dashed) and hwsim's ratio of the same component (dotted), per matching claim."""
    xs = np.arange(len(beams))
    for claim in claims:
        shown = [i for i, b in enumerate(beams) if claim.beams is None or b in claim.beams]
        if not shown:
            continue
        colour = CLAIM_COLORS[claim.component]
        span = (xs[shown[0]] - 0.4, xs[shown[-1]] + 0.4)
        twin.plot(span, (claim.paper_value,) * 2, ls="-." if claim.component == "total" else "--", lw=1.2, color=colour,
                  label=f"paper {claim.component} {claim.paper_value:g}x ({claim.id})")
        if claim.component != "total":
            column = CLAIM_COLUMNS[claim.component]
            base = wide[wide.precision == claim.baseline].set_index("beam").reindex(beams)[column]
            sub = wide[wide.precision == claim.precision].set_index("beam").reindex(beams)[column]
            twin.plot(xs, (base / sub).to_numpy(), ls=":", lw=1.0, marker=".", color=colour,
                      label=f"hwsim {claim.component} {claim.baseline}/{claim.precision}")


@styled
def draw_speedup(ax: Any, wide: pd.DataFrame, baseline: str, title: str, claims: Iterable[SpeedupClaimSpec] = (),
                 time_unit: float = 1e-3, unit_label: str = "ms") -> Any:
    """Draw on `ax` (one device, one length in `wide`); returns the speed-up (right) axis."""
    precisions = _ordered(wide, baseline)
    beams = sorted(int(b) for b in wide.beam.unique())
    handles = _bars(ax, wide, precisions, beams, time_unit)
    ax.set_xticks(np.arange(len(beams)), [str(b) for b in beams])
    ax.set_xlabel("beam width")
    ax.set_ylabel(f"busy time per utterance ({unit_label})")
    ax.set_title(title)
    ax.grid(axis="x", visible=False)
    twin = ax.twinx()
    twin.grid(False)
    _speedup_lines(twin, wide, precisions, beams, baseline)
    _paper_lines(twin, wide, beams, claims)
    twin.set_ylabel(f"speed-up over {baseline}")
    top = max((np.nanmax(line.get_ydata()) for line in twin.get_lines()), default=1.0)
    twin.set_ylim(0, top * 1.25)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.05)
    lines, labels = twin.get_legend_handles_labels()
    ax.legend(handles + lines, [h.get_label() for h in handles] + labels, loc="upper left",
              bbox_to_anchor=(1.12, 1.0), borderaxespad=0)
    return twin


def plot_speedup(wide: pd.DataFrame, path: Path, baseline: str, title: str, time_unit: float = 1e-3,
                 unit_label: str = "ms", claims: Iterable[SpeedupClaimSpec] = (),
                 extra_formats: Iterable[str] = ()) -> list[Path]:
    """Write the plot of one device and length to `path` (300 dpi PNG) and any extra formats beside it."""
    fig, ax = new_figure(7.5, 3.8, pyplot=False)
    draw_speedup(ax, wide, baseline, title, claims, time_unit, unit_label)
    return save_figure(fig, path, extra_formats)
