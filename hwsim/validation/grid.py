"""The held-out validation points. None of them is used to fit anything: the device comes from micro-benchmarks
and the emission model's statistics from FIT_UTTERANCES separate fit utterances (FIT_FRAMES frames, beam FIT_BEAM:
one utterance's beam-search counts scatter too much to fit on, see hwsim.calibrate.decoding)."""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.decode.registry import Algorithm

FIT_FRAMES, FIT_BEAM, FIT_UTTERANCES = 100, 4, 4


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


_OTHERS = (Algorithm.BEAM, Algorithm.ALSD, Algorithm.MODIFIED_BEAM)
FULL_GRID = (_points("ibm_rnnt_swb", (50, 100, 152), (1, 4, 8))
             + _points("lstm_rnnt_small", (100, 200, 300), (1, 4, 8))
             + [Point("ibm_rnnt_swb", 100, 4, a) for a in _OTHERS]
             + [Point("lstm_rnnt_small", 200, 4, a) for a in _OTHERS])
# Quick: one point per kind of work, each large enough (>= ~50 ms measured) that its error means something.
# One model (building a reference costs a blank-bias fit), three decoders with different call structure.
QUICK_GRID = [Point("lstm_rnnt_small", 150, 1, Algorithm.GREEDY), Point("lstm_rnnt_small", 150, 4, Algorithm.TSD),
              Point("lstm_rnnt_small", 150, 4, Algorithm.MODIFIED_BEAM)]
