"""Result objects of the Python API: a one-line repr for notebooks, `to_pandas()` and `plot()`.

Each wraps what the pipeline returns (SizeReport, SimulationResult, the sweep and cost DataFrames, claim results)
and forwards other attributes to it, so `size(...).reduction_vs_f32` or `simulate(...).result.components_s`
keep working. Plots return the matplotlib Axes; pass `path=` to also save a file (300 dpi PNG, or PDF/SVG
by suffix).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwsim.units import GIGA, MEGA

if TYPE_CHECKING:
    import pandas as pd

    from hwsim.pipeline.point import SimulationResult
    from hwsim.size.account import SizeReport
    from hwsim.size.claims import ClaimResult

MS_PER_S = 1e3


class _Forwarding:
    """Attributes not defined here come from the wrapped object (`_wrapped` names the field holding it)."""

    _wrapped = ""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_wrapped":
            raise AttributeError(name)
        return getattr(object.__getattribute__(self, self._wrapped), name)


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    from hwsim.report.style import new_figure

    return new_figure()[1]


def _styled(method: Any) -> Any:
    """Run a plot method under the shared hwsim style (hwsim.report.style)."""
    import functools

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from hwsim.report.style import styled

        return styled(method)(*args, **kwargs)

    return wrapper


def _save(ax: Any, path: str | Path | None) -> Any:
    if path is not None:
        from hwsim.report.style import save_figure

        save_figure(ax.figure, Path(path))
    return ax


@dataclass(frozen=True, repr=False)
class Size(_Forwarding):
    """Model size of a workload under a precision config (all SizeReport attributes, plus the helpers)."""

    report: "SizeReport"
    _wrapped = "report"

    def __repr__(self) -> str:
        r = self.report
        return (f"Size({r.workload} @ {r.precision}: {r.total_params / MEGA:,.1f} M params, "
                f"{r.total_bits / GIGA:.3f} Gbit incl. {r.metadata_bits / GIGA:.3f} Gbit metadata, "
                f"{r.reduction_vs_f32:.2f}x smaller than float32)")

    def to_pandas(self) -> "pd.DataFrame":
        """One row per tensor: name, component, role, shape, params, format, value/padding/metadata/total bits."""
        import pandas as pd

        rows = [{**asdict(t), "format": t.format.value, "total_bits": t.total_bits} for t in self.report.tensors]
        return pd.DataFrame(rows)

    @_styled
    def plot(self, ax: Any = None, path: str | Path | None = None) -> Any:
        """Stacked bars per component: value bits and metadata bits, in Gbit (1e9 bits)."""
        from hwsim.report.style import PALETTE

        frame = self.to_pandas().groupby("component")[["value_bits", "padding_bits", "metadata_bits"]].sum() / GIGA
        ax = _axes(ax)
        frame.plot.bar(stacked=True, ax=ax, rot=0, color=PALETTE[:3])
        ax.set_ylabel("Gbit (1e9 bits)")
        ax.set_title(f"{self.report.workload} @ {self.report.precision}")
        return _save(ax, path)


@dataclass(frozen=True, repr=False)
class Simulation(_Forwarding):
    """One simulated utterance (all SimulationResult attributes: request, result, schedule, footprint, ...)."""

    run: "SimulationResult"
    _wrapped = "run"

    def __repr__(self) -> str:
        q, r = self.run.request, self.run.result
        busy = ", ".join(f"{name} {seconds * MS_PER_S:.3g} ms" for name, seconds in r.components_s.items() if seconds)
        return (f"Simulation({q.workload} @ {q.precision} on {q.device}, {q.frames} frames ({r.audio_s:.2f} s audio), "
                f"beam {q.beam}, {q.algorithm.value}: total {r.total_s * MS_PER_S:.4g} ms, RTF {r.rtf:.3g}; {busy})")

    def to_pandas(self) -> "pd.DataFrame":
        """One row per component: busy time (work) and share of the critical path, in seconds."""
        import pandas as pd

        r = self.run.result
        return pd.DataFrame([{"component": name, "busy_s": seconds, "critical_path_s": r.critical_path_s.get(name, 0.0)}
                             for name, seconds in r.components_s.items()])

    def trace(self) -> "pd.DataFrame":
        """Every simulated segment: process, component, op, resource, start_s, end_s."""
        return self.run.result.trace_frame()

    @_styled
    def plot(self, ax: Any = None, path: str | Path | None = None) -> Any:
        """Busy time and critical-path time per component, in ms."""
        from hwsim.report.style import OKABE_ITO

        frame = self.to_pandas().set_index("component") * MS_PER_S
        frame = frame[(frame.busy_s > 0) | (frame.critical_path_s > 0)]
        frame.columns = ["busy (work)", "on the critical path"]
        ax = _axes(ax)
        frame.plot.barh(ax=ax, color=[OKABE_ITO["blue"], OKABE_ITO["vermillion"]])
        ax.set_xlabel("time (ms)")
        ax.set_title(repr(self).split(":")[0].removeprefix("Simulation("))
        return _save(ax, path)


@dataclass(frozen=True, repr=False)
class CostTable(_Forwarding):
    """Per-op cost table (DataFrame attributes forwarded: `.columns`, `len()`, `table["time_s"]`, ...)."""

    frame: "pd.DataFrame"
    title: str
    device: Any
    _wrapped = "frame"

    def __repr__(self) -> str:
        total = self.frame.total_time_s.sum()
        bounds = self.frame.groupby("bound").total_time_s.sum().sort_values(ascending=False)
        share = ", ".join(f"{bound} {seconds / total:.0%}" for bound, seconds in bounds.items()) if total else ""
        return f"CostTable({self.title}: {len(self.frame)} ops, serial total {total * MS_PER_S:.4g} ms; {share})"

    def __len__(self) -> int:
        return len(self.frame)

    def __getitem__(self, key: Any) -> Any:
        return self.frame[key]

    def to_pandas(self) -> "pd.DataFrame":
        return self.frame

    @_styled
    def plot(self, ax: Any = None, path: str | Path | None = None) -> Any:
        """Roofline of the ops (capped at the compute roof, points labelled)."""
        from hwsim.report.roofline import draw_roofline

        ax = _axes(ax)
        draw_roofline(ax, self.frame, self.device, self.title)
        return _save(ax, path)


@dataclass(frozen=True, repr=False)
class Sweep(_Forwarding):
    """Sweep points (precision x device x frames x beam) with per-component busy times."""

    points: "pd.DataFrame"
    baseline: str
    workload: str
    _wrapped = "points"

    def __repr__(self) -> str:
        p = self.points
        dims = " x ".join(_count(p[column].nunique(), word) for column, word in
                          (("precision", "precision"), ("device", "device"), ("frames", "length"), ("beam", "beam")))
        dims += f" = {_count(len(p), 'point')}"
        ratios = self.speedups()
        span = ""
        if len(ratios):
            ends = ratios.total
            span = f"; end-to-end speed-up vs {self.baseline} {ends.min():.2f}x-{ends.max():.2f}x"
        return f"Sweep({self.workload}: {dims}{span})"

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, key: Any) -> Any:
        return self.points[key]

    def to_pandas(self) -> "pd.DataFrame":
        return self.points

    def speedups(self) -> "pd.DataFrame":
        """Baseline time / precision time per component, for every precision other than the baseline."""
        from hwsim.pipeline.sweep import speedups

        return speedups(self.points, self.baseline)

    @_styled
    def plot(self, ax: Any = None, path: str | Path | None = None) -> Any:
        """Stacked busy time per component and the end-to-end speed-up line (first device and length)."""
        from hwsim.report.speedup_plot import draw_speedup

        first = self.points[(self.points.device == self.points.device.iloc[0])
                            & (self.points.frames == self.points.frames.iloc[0])]
        ax = _axes(ax)
        draw_speedup(ax, first, self.baseline, f"{self.workload} on {first.device.iloc[0]}, "
                     f"{first.frames.iloc[0]} frames")
        return _save(ax, path)


@dataclass(frozen=True, repr=False)
class ClaimCheck:
    """Published claims recomputed: paper value, hwsim value, delta and verdict per claim."""

    results: tuple["ClaimResult", ...]

    def __repr__(self) -> str:
        failed = [r.claim.id for r in self.results if not r.reproduced]
        tail = f", {len(failed)} do not ({', '.join(failed)})" if failed else ""
        return f"ClaimCheck({len(self.results)} claims: {len(self.results) - len(failed)} reproduce{tail})"

    def __len__(self) -> int:
        return len(self.results)

    @property
    def all_reproduced(self) -> bool:
        return all(r.reproduced for r in self.results)

    def to_pandas(self) -> "pd.DataFrame":
        from hwsim.report.size_claims import results_frame

        return results_frame(list(self.results))

    @_styled
    def plot(self, ax: Any = None, path: str | Path | None = None) -> Any:
        """hwsim vs paper, as the relative difference per claim (percent); colour and hatch by verdict."""
        from matplotlib.patches import Patch

        from hwsim.report.style import OKABE_ITO

        frame = self.to_pandas()
        delta_pct = 100 * (frame.hwsim - frame.paper) / frame.paper
        ok = [r.reproduced for r in self.results]
        ax = _axes(ax)
        bars = ax.barh(frame["id"], delta_pct, color=[OKABE_ITO["blue"] if o else OKABE_ITO["vermillion"] for o in ok])
        for bar, good in zip(bars, ok):
            bar.set_hatch("" if good else "//")
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel("hwsim vs paper (%)")
        ax.legend(handles=[Patch(color=OKABE_ITO["blue"], label="reproduces"),
                           Patch(facecolor=OKABE_ITO["vermillion"], hatch="//", label="does not reproduce")])
        return _save(ax, path)
