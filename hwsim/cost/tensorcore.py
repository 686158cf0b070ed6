"""Cycles of one GEMM (M x K) @ (K x N) on GPU tensor cores: thread-block tiles, waves, achievable peak.

A GEMM kernel splits the M x N output into thread-block tiles; each block runs on one SM, `tiles_per_sm` blocks
are resident per SM, and blocks run in waves of SMs x tiles_per_sm (NVIDIA, "Matrix Multiplication Background
User's Guide", tile and wave quantization [N9]):

    tile_m  = min(tiling.tile_m, ceil(M / min_tile_m) * min_tile_m)     small M picks a narrower tile
    tiles   = ceil(M / tile_m) * ceil(N / tile_n)
    split_k = max(1, slots // tiles) when tiles < slots (slots = SMs * tiles_per_sm), else 1
    waves   = ceil(tiles * split_k / slots)
    cycles  = waves * tiles_per_sm * tile_m * tile_n * ceil(K / split_k) / (SM MACs/cycle * peak_fraction)
    ideal   = M * K * N / (SMs * SM MACs/cycle)                        the datasheet-peak roofline

SM MACs/cycle = tensor cores per SM (`arrays_per_core`) x MACs per tensor core per cycle (the precision's
ops_per_cycle / 2). Every block of a wave takes the same time whether or not the wave is full, so a GEMM one
tile larger than a wave takes two waves. `peak_fraction` is what the main loop of a large GEMM achieves (the
rest is instruction issue, shared-memory and epilogue overhead). There is no systolic fill/drain and no weight
preload: operands stream through shared memory, and `hwsim.cost.gemm` adds the memory roofline (weights and
activations from HBM), so a small-M GEMM is memory bound there. A GEMM with fewer output tiles than block slots
is split along K over the idle slots (split-K, as cuBLAS does for small M x N; the partial-sum reduction is not
charged): without it a decoder-step GEMM would use a few SMs and look compute bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hwsim.cost.compute_model import ArrayTime
from hwsim.cost.hardware import Dataflow, Tiling
from hwsim.cost.systolic import check_dims


@dataclass(frozen=True)
class TensorCoreCycles:
    """Breakdown of one GEMM on a GPU; cycles at the tensor-core clock."""

    m: int
    k: int
    n: int
    sms: int
    sm_macs_per_cycle: float
    tile_m: int
    tile_n: int
    tiles: int
    slots: int  # blocks resident at once over the GPU
    split_k: int
    waves: int
    peak_fraction: float
    cycles: float
    ideal_cycles: float

    @property
    def wave_efficiency(self) -> float:
        """Fraction of block slots the waves fill (1 = no wave quantization)."""
        return self.tiles * self.split_k / (self.waves * self.slots)

    @property
    def tile_efficiency(self) -> float:
        """Fraction of the tiles' outputs that are real outputs (1 = no tile quantization)."""
        return self.m * self.n / (self.tiles * self.tile_m * self.tile_n)


def tensorcore_cycles(m: int, k: int, n: int, *, sms: int, tensor_cores_per_sm: int, macs_per_tensor_core: float,
                      tiling: Tiling) -> TensorCoreCycles:
    """Wave-quantized cycle count of (M x K) @ (K x N); see the module docstring for the formulas."""
    check_dims(m=m, k=k, n=n)
    tile_m = min(tiling.tile_m, math.ceil(m / tiling.min_tile_m) * tiling.min_tile_m)
    tiles = math.ceil(m / tile_m) * math.ceil(n / tiling.tile_n)
    slots = sms * tiling.tiles_per_sm
    split_k = max(1, slots // tiles) if tiles < slots else 1
    waves = math.ceil(tiles * split_k / slots)
    sm_macs = tensor_cores_per_sm * macs_per_tensor_core
    k_per_block = math.ceil(k / split_k)
    cycles = waves * tiling.tiles_per_sm * tile_m * tiling.tile_n * k_per_block / (sm_macs * tiling.peak_fraction)
    ideal = m * k * n / (sms * sm_macs)
    return TensorCoreCycles(m, k, n, sms, sm_macs, tile_m, tiling.tile_n, tiles, slots, split_k, waves,
                            tiling.peak_fraction, cycles, ideal)


def _notes(c: TensorCoreCycles) -> tuple[str, ...]:
    notes = []
    if c.split_k > 1:
        notes.append(f"{c.tiles} output tile(s) on {c.slots} block slots: K split {c.split_k} ways (split-K; the "
                     "partial-sum reduction is not charged)")
    if c.wave_efficiency < 1:
        notes.append(f"wave quantization: {c.tiles} tiles in {c.waves} waves of {c.slots} blocks "
                     f"({c.wave_efficiency:.0%} of block slots used)")
    return tuple(notes)


class TensorCoreModel:
    """ComputeModel of GPU tensor cores: `cores` are SMs, `arrays_per_core` tensor cores per SM."""

    kind = "tensor_core"

    def matmul(self, engine, modelling, m: int, k: int, n: int, *, macs_per_pe: float,
               dataflow: Dataflow) -> ArrayTime:
        c = tensorcore_cycles(m, k, n, sms=engine.cores, tensor_cores_per_sm=engine.arrays_per_core,
                              macs_per_tensor_core=macs_per_pe * engine.rows * engine.cols, tiling=engine.tiling)
        details = {
            "sms": c.sms, "sm_macs_per_cycle": c.sm_macs_per_cycle, "tile_m": c.tile_m, "tile_n": c.tile_n,
            "tiles": c.tiles, "block_slots": c.slots, "split_k": c.split_k, "waves": c.waves, "wave_efficiency": c.wave_efficiency,
            "tile_efficiency": c.tile_efficiency, "peak_fraction": c.peak_fraction, "ideal_cycles": c.ideal_cycles,
        }
        return ArrayTime(c.cycles, c.ideal_cycles, c.cycles, engine.clock_hz, details, _notes(c))
