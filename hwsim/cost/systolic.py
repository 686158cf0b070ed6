"""Cycles of one GEMM (M x K) @ (K x N) on R x C systolic arrays, with every assumption visible.

The fold model is SCALE-Sim's (scalesim-project/scale-sim-v2, `scalesim/compute/systolic_compute_{ws,os,is}.py`,
checked against pip `scalesim` 3.0.0 in benchmarks/validate_scalesim.py). Each dataflow keeps one operand tile
stationary in the R x C array and streams a third dimension T through it:

    dataflow | stationary rows Sr | stationary cols Sc | streamed T | preload tile?
    ws       | K                  | N                  | M          | yes (weights)
    os       | M                  | N                  | K          | no  (outputs accumulate in place)
    is       | K                  | M                  | N          | yes (inputs)

    folds = ceil(Sr / R) * ceil(Sc / C)
    SCALE-Sim per fold: preload R (ws, is) + T streamed + R + C - 2 skew fill/drain
      ws, is: 2R + C + T - 2        os: R + C + T - 2
    SCALE-Sim reports the 0-based index of the last cycle, i.e. this count minus 1.

Two device knobs relax SCALE-Sim's serial model:
    weight_load = overlapped: a fold's tile loads while the previous fold streams; only the first load and the
        part of later loads longer than the previous fold's work (R - T when T < R) stall the array.
    fill_drain = once: folds stream back to back, so the R + C - 2 skew is paid once per GEMM.

Sub-word parallelism (a PE doing p MACs/cycle at low precision, e.g. int8 = 2x bf16 on TPU v5e) packs the
reduction dimension: K becomes ceil(K / p). Several arrays share the folds; when there are fewer folds than
arrays, the streamed dimension T is split across the idle arrays (a mapping choice, stated in `notes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hwsim.cost.compute_model import ArrayTime
from hwsim.cost.hardware import Dataflow, FillDrain, WeightLoad
from hwsim.errors import SpecError


@dataclass(frozen=True)
class SystolicCycles:
    """Breakdown of one GEMM on the arrays; cycles are at the array clock and per array (the makespan)."""

    dataflow: Dataflow
    weight_load: WeightLoad
    fill_drain: FillDrain
    m: int
    k: int
    n: int
    rows: int
    cols: int
    arrays: int
    macs_per_pe: float
    folds: int  # stationary tiles of the whole GEMM
    folds_per_array: int
    streamed_per_fold: int  # T per fold on one array (after splitting across arrays)
    ideal_cycles: float  # MACs / (R * C * arrays * p): the roofline compute time
    spatial_underuse_cycles: float  # streaming cycles lost to partly filled tiles and uneven fold spread
    fill_drain_cycles: int
    weight_load_cycles: int  # array idle while stationary tiles load
    notes: tuple[str, ...]

    @property
    def stream_cycles(self) -> float:
        """Cycles the array spends streaming operands: ideal + spatial under-use."""
        return self.ideal_cycles + self.spatial_underuse_cycles

    @property
    def pipeline_cycles(self) -> int:
        return self.fill_drain_cycles + self.weight_load_cycles

    @property
    def total_cycles(self) -> float:
        return self.stream_cycles + self.pipeline_cycles

    @property
    def utilization(self) -> float:
        return self.ideal_cycles / self.total_cycles


def _mapping(dataflow: Dataflow, m: int, k: int, n: int) -> tuple[int, int, int, bool]:
    """(stationary rows, stationary cols, streamed, preloads a tile) per the table in the module docstring."""
    return {
        Dataflow.WS: (k, n, m, True),
        Dataflow.OS: (m, n, k, False),
        Dataflow.IS: (k, m, n, True),
    }[dataflow]


def check_dims(**dims: int) -> None:
    """GEMM sizes must be whole numbers > 0; named like the CLI flags so the message points at the input."""
    for name, value in dims.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise SpecError(None, name, "expected a whole number > 0", value)


def gemm_cycles(m: int, k: int, n: int, *, rows: int, cols: int, dataflow: Dataflow,
                weight_load: WeightLoad, fill_drain: FillDrain, arrays: int = 1,
                macs_per_pe: float = 1.0) -> SystolicCycles:
    """Fold-level cycle count of (M x K) @ (K x N); see the module docstring for the formulas."""
    check_dims(m=m, k=k, n=n)
    check_dims(rows=rows, cols=cols, arrays=arrays)
    k_packed = math.ceil(k / macs_per_pe)
    sr, sc, streamed, preloads = _mapping(dataflow, m, k_packed, n)
    folds = math.ceil(sr / rows) * math.ceil(sc / cols)
    folds_per_array, streamed_per_fold = _spread(folds, streamed, arrays)
    ideal = m * k * n / (rows * cols * arrays * macs_per_pe)
    skew = rows + cols - 2
    fill = skew * (folds_per_array if fill_drain is FillDrain.PER_FOLD else 1)
    hidden = streamed_per_fold + (skew if fill_drain is FillDrain.PER_FOLD else 0)
    load = _weight_load_cycles(preloads, weight_load, rows, folds_per_array, hidden)
    notes = _notes(dataflow, preloads, weight_load, rows, streamed_per_fold, folds, arrays, streamed)
    return SystolicCycles(dataflow, weight_load, fill_drain, m, k, n, rows, cols, arrays, macs_per_pe, folds,
                          folds_per_array, streamed_per_fold, ideal, folds_per_array * streamed_per_fold - ideal,
                          fill, load, notes)


def _spread(folds: int, streamed: int, arrays: int) -> tuple[int, int]:
    """Folds per array and streamed length per fold, when `folds` tiles are shared by `arrays` arrays."""
    if folds >= arrays:
        return math.ceil(folds / arrays), streamed
    split = arrays // folds  # replicate each tile on `split` arrays, each streams a share of T
    return 1, math.ceil(streamed / split)


def _weight_load_cycles(preloads: bool, weight_load: WeightLoad, rows: int, folds: int, hidden: int) -> int:
    # preloads, knob:        cycles the array waits for stationary tiles
    # False,   any         -> 0                          (os: nothing to preload)
    # True,    stall       -> folds * R                  (SCALE-Sim: R cycles before every fold)
    # True,    overlapped  -> R + (folds-1)*max(0, R-hidden)   (first load, then only the unhidden part)
    if not preloads:
        return 0
    if weight_load is WeightLoad.STALL:
        return folds * rows
    return rows + (folds - 1) * max(0, rows - hidden)


def _notes(dataflow: Dataflow, preloads: bool, weight_load: WeightLoad, rows: int, streamed_per_fold: int,
           folds: int, arrays: int, streamed: int) -> tuple[str, ...]:
    notes = []
    if preloads and streamed_per_fold < rows:
        notes.append(
            f"small streamed dimension: each {dataflow.value} fold streams {streamed_per_fold} rows but loading its "
            f"tile takes {rows} cycles; with weight_load={weight_load.value} this is "
            + ("paid on every fold (SCALE-Sim)" if weight_load is WeightLoad.STALL else
               "only partly hidden (double-buffered)")
            + "; roofline tools ignore it, so peers disagree by up to ~9x on small-M GEMMs")
    if folds < arrays:
        notes.append(f"{folds} fold(s) on {arrays} arrays: the streamed dimension ({streamed}) is split across "
                     f"arrays holding copies of the same tile (mapping assumption)")
    return tuple(notes)


class SystolicModel:
    """ComputeModel of systolic arrays (TPU MXU, RaPiD MPE arrays, AMX tiles): SCALE-Sim folds + device knobs."""

    kind = "systolic"

    def matmul(self, engine, modelling, m: int, k: int, n: int, *, macs_per_pe: float,
               dataflow: Dataflow) -> ArrayTime:
        c = gemm_cycles(m, k, n, rows=engine.rows, cols=engine.cols, dataflow=dataflow,
                        weight_load=modelling.weight_load, fill_drain=modelling.fill_drain, arrays=engine.arrays,
                        macs_per_pe=macs_per_pe)
        details = {
            "dataflow": c.dataflow.value, "weight_load": c.weight_load.value, "fill_drain": c.fill_drain.value,
            "rows": c.rows, "cols": c.cols, "arrays": c.arrays, "macs_per_pe_per_cycle": c.macs_per_pe,
            "folds": c.folds, "folds_per_array": c.folds_per_array, "streamed_per_fold": c.streamed_per_fold,
            "ideal_cycles": c.ideal_cycles, "spatial_underuse_cycles": c.spatial_underuse_cycles,
            "fill_drain_cycles": c.fill_drain_cycles, "weight_load_cycles": c.weight_load_cycles,
        }
        return ArrayTime(c.total_cycles, c.ideal_cycles, c.stream_cycles, engine.clock_hz, details, c.notes)
