"""What a run records: trace segments, waits, finished utterances and chunks, and batched calls.

The engine appends these as it runs; results (hwsim.sim.results, hwsim.serving.serve) and traces
(hwsim.report.trace) are built from the lists, never from the engine's live state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hwsim.cost.segments import Segment


@dataclass(frozen=True)
class TraceRecord:
    process: str
    component: str
    op: str
    resource: str
    start_s: float
    end_s: float
    segment: Segment | None = field(default=None, repr=False, compare=False)  # the work done (ops detail), for traces


@dataclass(frozen=True)
class WaitRecord:
    """Time a process spent not working: waiting for encoded frames ('frames') or a busy resource."""

    process: str
    reason: str       # 'frames' or 'resource:<name>'
    start_s: float
    end_s: float


@dataclass(frozen=True)
class UtteranceRecord:
    uid: int
    stream: int
    chip: int
    arrival_s: float
    ready_s: float           # its first audio reached the server (queued from here)
    end_of_speech_s: float
    admitted_s: float
    done_s: float
    audio_s: float
    steps: int

    @property
    def latency_s(self) -> float:
        """End of speech to final result (for an offline or server request: submission to result)."""
        return self.done_s - self.end_of_speech_s

    @property
    def queue_s(self) -> float:
        """Waiting for admission: first audio at the server to admitted into a chip's live set."""
        return self.admitted_s - self.ready_s

    @property
    def service_s(self) -> float:
        """Admitted to final result (encoding, decoding and waits for shared units and for audio)."""
        return self.done_s - self.admitted_s


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk's compute latency: audio available -> encoded and every decoder step on its frames done."""

    uid: int
    chunk: int
    arrival_s: float
    done_s: float


@dataclass(frozen=True)
class BatchRecord:
    """One batched call sequence: an encoder call over `size` chunks, or one decoder step over `size` utterances.

    Attributes:
        rows: work charged. Encoder: input frames computed (padded: size x the longest; packed: the members' sum).
            Decoder: joint rows, padding rows included.
        padding_rows: the part of `rows` that is padding (0 when packed).
    """

    chip: int
    kind: str          # 'encoder', 'decoder' or 'hmm_search'
    size: int
    rows: int
    start_s: float
    end_s: float
    padding_rows: int = 0
