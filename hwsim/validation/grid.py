"""The held-out validation points. None of them is used to fit anything: the device comes from micro-benchmarks."""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.sim.decode import Algorithm


@dataclass(frozen=True)
class Point:
    workload: str
    frames: int
    beam: int
    algorithm: Algorithm

    @property
    def label(self) -> str:
        return f"{self.workload} T={self.frames} B={self.beam} {self.algorithm.value}"


def _points(workload: str, frames: tuple[int, ...], beams: tuple[int, ...]) -> list[Point]:
    return [Point(workload, t, b, Algorithm.GREEDY if b == 1 else Algorithm.TSD) for t in frames for b in beams]


FULL_GRID = (_points("ibm_rnnt_swb", (50, 100, 152), (1, 4, 8))
             + _points("lstm_rnnt_small", (100, 200, 300), (1, 4, 8))
             + [Point("ibm_rnnt_swb", 100, 4, Algorithm.ALSD), Point("lstm_rnnt_small", 200, 4, Algorithm.ALSD)])
QUICK_GRID = [Point("lstm_rnnt_small", 30, 1, Algorithm.GREEDY), Point("lstm_rnnt_small", 30, 4, Algorithm.TSD),
              Point("ibm_rnnt_swb", 12, 2, Algorithm.TSD)]
