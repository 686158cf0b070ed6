"""The validation report: parity plot, per-point table, error summary, machine facts, emission-model counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hwsim.report.style import component_color, new_figure, save_figure, styled
from hwsim.decode.registry import Algorithm
from hwsim.validation.counts import (CHECKED_COUNTS, COUNT_FLOOR, COUNT_TOLERANCE_PCT, SPREAD_UTTERANCES,
                                     UNASSERTED_REASON, asserted_counts, spread_summary, within_tolerance)
from hwsim.validation.runner import PointResult
from hwsim.validation.counts import CountSpread
from hwsim.validation.trained_counts import (TRAINED_ASSERTED, TRAINED_FIT_BEAMS, TRAINED_FIT_UTTERANCES, TRAINED_FRAMES,
                                             TRAINED_NOTE, TRAINED_UTTERANCES, TRAINED_WORKLOAD, TrainedPointCounts)

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
    """Counts real -> simulated per point; a count `validate` does not assert for the point's algorithm is in
    parentheses, one off the tolerance is marked '!'."""
    lines = ["| point | steps | joint rows | prediction rows | cache hits | labels | asserted | all |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for r in results:
        asserted = asserted_counts(r.point.algorithm)
        cells = []
        for name in CHECKED_COUNTS:
            entry = r.emission_counts[name]
            pct = entry["diff_pct"]
            cell = f"{entry['real']} -> {entry['simulated']}" + (f" ({pct:+.0f} %)" if pct is not None else "")
            cell += "" if within_tolerance(entry) else " !"
            cells.append(cell if name in asserted else f"({cell})")
        every = all(within_tolerance(r.emission_counts[n]) for n in CHECKED_COUNTS)
        lines.append(f"| {r.point.label} | " + " | ".join(cells) + f" | {'ok' if r.emission_ok else 'FAIL'} | "
                     f"{'ok' if every else '-'} |")
    return "\n".join(lines)


SPREAD_HEADER = ("| point | count | real: min / median / max | simulated: min / median / max | simulated / real, summed "
                 "| utterances within tolerance |")


def spread_row(label: str, spread: CountSpread, reported_only: bool = False) -> str:
    """One count's row; a count reported, not asserted, is in parentheses."""
    ratio = f"{spread.sum_ratio:.2f}" if spread.sum_ratio is not None else "-"
    count = spread.count.replace("_", " ")
    return (f"| {label} | {f'({count})' if reported_only else count} | {spread_summary(spread.real)} | "
            f"{spread_summary(spread.simulated)} | {ratio} | {spread.within} of {len(spread.real)} |")


def spread_table(results: list[PointResult]) -> str:
    """Per point with unasserted counts: each such count over the further utterances, real and simulated."""
    lines = [SPREAD_HEADER, "|---|---|---|---|---:|---:|"]
    lines += [spread_row(r.point.label, spread) for r in results for spread in (r.count_spreads or {}).values()]
    return "\n".join(lines)


def trained_section(checks: list[TrainedPointCounts]) -> list[str]:
    """The README section on the trained reference: what is asserted, the verdict, every count's table."""
    if not checks:
        return []
    failed = [c.point.label for c in checks if not c.ok]
    lines = [SPREAD_HEADER[:-1] + "| mean within tolerance |", "|---|---|---|---|---:|---:|---|"]
    for check in checks:
        for name, spread in check.spreads.items():
            verdict = "ok" if check.mean_ok(name) else ("FAIL" if name in check.asserted else "off")
            lines.append(spread_row(check.point.label, spread, name not in check.asserted) + f" {verdict} |")
    within = sum(s.within for c in checks for s in c.spreads.values())
    total = sum(len(s.real) for c in checks for s in c.spreads.values())
    return [
        "### On a trained transducer", "",
        f"The real decoder here is `{TRAINED_WORKLOAD}`, trained with the RNN-T loss on synthetic speech",
        "(hwsim.reference.trained; reports/trained_reference), decoding held-out utterances of "
        f"{TRAINED_FRAMES} frames ({TRAINED_UTTERANCES} per point).",
        f"The emission model's statistics are fitted per algorithm on {TRAINED_FIT_UTTERANCES} separate utterances at beams "
        f"{' and '.join(map(str, TRAINED_FIT_BEAMS))}, and each utterance is simulated",
        "with its own best-path label rate. The emission model stands for an utterance's expected counts, so each",
        "count's mean over the utterances is compared, with one utterance's tolerance",
        f"({COUNT_TOLERANCE_PCT:.0f} % or {COUNT_FLOOR} counts). `validate` asserts:", "",
        *[f"- {a.value}: " + ", ".join(n.replace("_", " ") for n in TRAINED_ASSERTED[a]) for a in Algorithm], "",
        f"Asserted counts: **{'passed' if not failed else 'FAILED at ' + ', '.join(failed)}** "
        f"({len(checks) - len(failed)} of {len(checks)} points). Single utterances within the tolerance: {within} of "
        f"{total} (point, count, utterance) triples. Counts in parentheses are reported, not asserted ('off': outside "
        "the tolerance).", "", *lines, "", f"Note: {TRAINED_NOTE}.", ""]


def spread_lines(results: list[PointResult]) -> list[str]:
    """The spread section: what it measures, a verdict computed from it, and the table (nothing without spreads)."""
    spreads = [s for r in results for s in (r.count_spreads or {}).values()]
    if not spreads:
        return []
    within, total = sum(s.within for s in spreads), sum(len(s.real) for s in spreads)
    return [
        f"The counts reported, not asserted, over {SPREAD_UTTERANCES} further utterances of each such point's length",
        "(untimed numpy decodes; seeds that neither a point nor a fit uses), each simulated with its own best-path",
        f"label rate: one utterance's count is within the tolerance at {within} of {total} (point, count, utterance)",
        "triples.", "", spread_table(results), ""]


def asserted_lines() -> list[str]:
    """Which counts `validate` asserts for which algorithm, from the table run.py enforces."""
    return [f"- {a.value}: " + ", ".join(n.replace("_", " ") for n in asserted_counts(a)) for a in Algorithm]


def emission_section(results: list[PointResult], stats: dict) -> list[str]:
    """The README section on the simulator's own schedule vs the real decoder: what is asserted, the verdict,
    the per-point table and why some counts are reported only."""
    points, failed = stats["points"], stats["emission_points_failed"]
    return [
        "Counts real -> simulated. The simulated schedule is the same registry search on the synthetic scorer",
        "(hwsim.decode.synthetic) with `top_prob` and `competitor_repeat_prob` fitted (`hwsim fit-decoding`) on",
        "separate utterances per workload and algorithm (hwsim.validation.grid: FIT_UTTERANCES), and the point's",
        f"own best-path label rate. Tolerance: {COUNT_TOLERANCE_PCT:.0f} % of the real count or {COUNT_FLOOR} counts.",
        "`validate` asserts (exits non-zero when one is off):", "", *asserted_lines(), "",
        f"Asserted counts: **{'passed' if stats['emission_counts_ok'] else 'FAILED'}** at {points - failed}/{points}"
        f" points. Every count, asserted or not, is within the tolerance at "
        f"{stats['emission_all_counts_within_tolerance']}/{points} points (column 'all'). Counts in parentheses are",
        "reported, not asserted, for that point's algorithm; '!' marks a count off the tolerance.", "",
        emission_table(results), "", *spread_lines(results),
        f"Why some counts are not asserted at these points: {UNASSERTED_REASON}. Replay a recorded trace (`--replay`) where those",
        "counts matter.", ""]


def facts_lines(facts: dict[str, object]) -> list[str]:
    keys = ("cpu_model", "physical_cores", "logical_cpus", "blas", "blas_threads", "array_pages", "numpy_version", "python_version", "date")
    return [f"- {key}: {facts[key]}" for key in keys if key in facts]
