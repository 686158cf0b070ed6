"""RunOptions: where the decoder's pieces run and what crosses the host link (the run's mapping choices)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hwsim.errors import SpecError


class Placement(str, enum.Enum):
    ACCELERATOR = "accelerator"
    HOST = "host"


@dataclass(frozen=True)
class RunOptions:
    """Mapping choices of one run.

    Attributes:
        joint_placement: where the joint network's GEMMs run.
        softmax_placement: where log-softmax over the vocabulary runs.
        topk_placement: where the per-hypothesis top-k runs; on the accelerator only the top-k (value, index)
            pairs cross the host link, otherwise the full log-probabilities (or logits) do.
        topk: candidates kept per hypothesis.
        residency: keep weights resident in the device's on-chip memory when they fit.
    """

    joint_placement: Placement = Placement.ACCELERATOR
    softmax_placement: Placement = Placement.HOST
    topk_placement: Placement = Placement.HOST
    topk: int = 4
    residency: bool = True

    def __post_init__(self) -> None:
        if self.topk_placement is Placement.ACCELERATOR and self.softmax_placement is Placement.HOST:
            raise SpecError(None, "--topk-on", "expected --softmax-on accelerator when top-k runs on the accelerator "
                            "(scores need the log-normaliser of the full vocabulary)", "accelerator")
        if self.softmax_placement is Placement.ACCELERATOR and self.joint_placement is Placement.HOST:
            raise SpecError(None, "--softmax-on", "expected --joint-on accelerator for an accelerator log-softmax",
                            "accelerator")
        if self.topk < 1:
            raise SpecError(None, "--topk", "expected an integer >= 1", self.topk)

    @property
    def transfers_topk(self) -> bool:
        return self.topk_placement is Placement.ACCELERATOR
