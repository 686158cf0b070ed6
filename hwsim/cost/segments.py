"""What the engine needs to know about costs: ordered segments of work on named resources.

The cost model (hwsim.cost) implements `CallCosts` from per-op costs before a run; the engine only looks
segments up, never computes a cost per event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence


@dataclass(frozen=True)
class OpInfo:
    """What one op in a segment did, for traces: time, work, traffic, what bounds it, the precision pair computed."""

    name: str
    time_s: float
    flops: float = 0.0
    bytes: float = 0.0
    bound: str = ""
    precision: str = ""   # e.g. 'int4xint4', or 'bf16xbf16' when int4 weights are computed in bf16


@dataclass(frozen=True)
class Segment:
    """Work that occupies one resource for a duration.

    Attributes:
        resource: unit it runs on, e.g. 'matrix', 'vector', 'cpu', 'link'.
        component: what it counts toward: 'encoder', 'prediction', 'joint', 'search', 'transfer', 'hmm_search'.
        label: op or op-group name for the trace.
        ops: optional detail of the ops the segment runs, in order (one step's ops when `repeat` > 1); their
            times add up to duration_s / repeat. Only traces read it.
        repeat: how many back-to-back steps of `ops` the segment stands for (merged recurrent steps).
    """

    resource: str
    component: str
    duration_s: float
    label: str
    ops: tuple[OpInfo, ...] = ()
    repeat: int = 1


class CallCosts(Protocol):
    """Segments of each kind of call, as a function of its size."""

    def encoder(self, frames: int, exclusive: bool = False) -> Sequence[Segment]:
        """Encoding `frames` input frames (a whole utterance or one streaming chunk).

        `exclusive`: nothing else runs meanwhile, so per-frame recurrent steps may be returned as one segment
        per resource (same busy times and total, far fewer events, less trace detail).
        """

    def prediction(self, rows: int) -> Sequence[Segment]:
        """One prediction-network call on `rows` label histories."""

    def joint(self, rows: int) -> Sequence[Segment]:
        """One joint-network call scoring `rows` hypotheses, incl. log-softmax/top-k where placed."""

    def transfer(self, rows: int) -> Sequence[Segment]:
        """Moving one joint call's results to the host (full logits or top-k)."""

    def search(self, hyps: int) -> Sequence[Segment]:
        """The host's beam-search work after one joint call (sort, top-k, prune, merge)."""

    def hmm_search(self, frames: int) -> Sequence[Segment]:
        """Hybrid models: the host's HMM/WFST search over `frames` encoder frames."""
