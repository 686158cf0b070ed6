"""Serving outputs: the latency-vs-load plot, the per-point load table and the one-run human summary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hwsim.report.style import MARKERS, OKABE_ITO, PALETTE, new_figure, save_figure, styled


def load_table(points: list[tuple[float, dict]]) -> pd.DataFrame:
    """One row per simulated load: latency percentiles, throughput, batch and cost."""
    rows = []
    for load, s in sorted(points, key=lambda p: p[0]):
        rows.append({"load": load, "utterances": s["utterances"], "throughput_utt_per_s": s["throughput_utt_per_s"],
                     "rtfx": s["rtfx"], **{f"latency_{k}_s": v for k, v in s["latency_s"].items()},
                     "batch_mean": s["batch"]["mean"], "cost_per_1000h_usd": s["cost_per_1000h_usd"]})
    return pd.DataFrame(rows)


@styled
def plot_latency_vs_load(table: pd.DataFrame, path: Path, xlabel: str, title: str,
                         slo_p99_s: float | None = None) -> None:
    """p50/p90/p99 latency at each simulated load (one point per row of loads.csv), in the hwsim style."""
    fig, ax = new_figure(6.5, 3.6, pyplot=False)
    for index, (column, line) in enumerate((("latency_p50_s", "-"), ("latency_p90_s", "--"),
                                            ("latency_p99_s", "-"))):
        ax.plot(table["load"], table[column], line, color=PALETTE[index], marker=MARKERS[index],
                label=column.split("_")[1])
    if slo_p99_s is not None:
        ax.axhline(slo_p99_s, color=OKABE_ITO["grey"], linestyle=":", label=f"p99 target {slo_p99_s:g} s")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("latency [s]")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend()
    save_figure(fig, path)


def bytes_text(count: float) -> str:
    """Decimal bytes in the largest unit that leaves a number >= 1 (1 GB = 1e9 bytes), four significant digits."""
    for scale, unit in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if abs(count) >= scale:
            return f"{count / scale:.4g} {unit}"
    return f"{count:.4g} B"


def memory_cap_line(mem: dict) -> str | None:
    """One line when memory, not --max-batch, set the batch: the capacity, the weights and what each batch member
    holds (its state and its share of the activations), so the cap can be checked by hand; None otherwise."""
    if mem.get("batch_limited_by") != "memory":
        return None
    cap = mem["batch_cap"]
    per_item = mem["per_stream_bytes"] + mem["activations_per_item_bytes"]
    return (f"  batch {mem['requested_batch']} capped by memory at {cap} ({mem['capacity_level']} "
            f"{bytes_text(mem['capacity_bytes'])}: weights {bytes_text(mem['weights_bytes'])} + {cap} x "
            f"{bytes_text(per_item)} per utterance, of which {bytes_text(mem['per_stream_bytes'])} state and "
            f"{bytes_text(mem['activations_per_item_bytes'])} activations)")


def human_summary(s: dict) -> list[str]:
    lat = s["latency_s"]
    mem = s["memory"]
    lines = [
        f"{s['workload']} @ {s['precision']} on {s['chips']} x {s['device']}: {s['scenario']}, {s['batching']} "
        f"batching, beam {s['beam']} {s['algorithm']}: {s['utterances']} utterances, {s['audio_s']:.1f} s audio",
        f"  throughput {s['throughput_utt_per_s']:.3f} utt/s   RTFx {s['rtfx']:.1f}   "
        f"latency p50 {lat['p50']:.4f} s  p90 {lat['p90']:.4f} s  p99 {lat['p99']:.4f} s  max {lat['max']:.4f} s",
        f"  batch mean {s['batch']['mean']:.2f} max {s['batch']['max']} (decoder steps); encoder mean "
        f"{s['batch']['encoder_mean']:.2f}",
        "  utilisation:  " + "  ".join(f"{k} {v:.1%}" for k, v in s["utilization"].items() if v),
        f"  memory per chip: weights {bytes_text(mem['weights_bytes'])} incl. metadata, "
        f"{bytes_text(mem['per_stream_bytes'])} per utterance or stream, batch cap {mem['batch_cap']}, "
        f"max concurrent streams {mem['max_concurrent_streams']} ({mem['capacity_level']} "
        f"{bytes_text(mem['capacity_bytes'])})",
    ]
    capped = memory_cap_line(mem)
    if capped:
        lines.append(capped)
    if "chunk_latency_s" in s:
        c = s["chunk_latency_s"]
        lines.append(f"  per-chunk compute latency p50 {c['p50']:.4f} s  p99 {c['p99']:.4f} s  max {c['max']:.4f} s")
    cost = s["cost_per_1000h_usd"]
    lines.append(f"  cost per 1000 h of audio: {'$%.3f' % cost if cost is not None else 'n/a (no price in the device file)'}"
                 + (f"   energy per hour of audio {s['energy_per_hour_audio_j']:.0f} J"
                    if "energy_per_hour_audio_j" in s else ""))
    if "max_rate_utt_per_s" in s:
        lines.append(f"  max rate meeting p99 <= {s['slo_p99_s']:g} s: {s['max_rate_utt_per_s']:.3f} utt/s "
                     f"({s['max_rate_utt_per_s'] / s['chips']:.3f} per chip)")
    if "loads" in s:
        lines.append("  load curve (the summary above is the last row):")
        lines.extend(f"    {row['load']:>10,g}  throughput {row['throughput_utt_per_s']:.3f} utt/s  latency p50 "
                     f"{row['latency_p50_s']:.4f} s  p99 {row['latency_p99_s']:.4f} s  batch mean "
                     f"{row['batch_mean']:.2f}" for row in s["loads"])
    if "trace" in s:
        t = s["trace"]
        lines.append(f"  trace files: the first {t['utterances']:,} utterances to finish (until {t['until_s']:.3f} s): "
                     f"{t['batches']:,} batches, {t['segments']:,} segments"
                     + (" (the segment cap ended it)" if t["segments_capped"] else ""))
    if "max_streams" in s:
        lines.append(f"  max streams meeting p99 <= {s['slo_p99_s']:g} s: {s['max_streams']} "
                     f"({s['max_streams'] / s['chips']:.1f} per chip)")
    return lines
