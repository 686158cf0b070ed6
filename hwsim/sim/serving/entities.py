"""What a serving run is made of: utterances (with their audio chunks and decode schedule) and what it records."""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.sim.schedule import DecodeSchedule


@dataclass(frozen=True)
class Chunk:
    """A piece of audio that becomes available at `arrival_s` and is encoded as one unit.

    Attributes:
        input_frames: input (feature) frames in the chunk.
        encoder_frames: encoder frames of the utterance available once this chunk is encoded (cumulative).
    """

    arrival_s: float
    input_frames: int
    encoder_frames: int


@dataclass(frozen=True)
class Utterance:
    """One request: an offline/server utterance (one chunk, or chunks all there at arrival) or a real-time stream's
    utterance (chunks arriving as they are spoken).

    Attributes:
        stream: the real-time stream it belongs to (-1 outside the streaming scenario).
        end_of_speech_s: when its last audio arrives; user-perceived latency is measured from here.
        whole: the encoder sees the whole utterance in one call (no streaming chunks).
    """

    uid: int
    arrival_s: float
    audio_s: float
    chunks: tuple[Chunk, ...]
    schedule: DecodeSchedule
    stream: int = -1
    whole: bool = True

    @property
    def end_of_speech_s(self) -> float:
        return self.chunks[-1].arrival_s


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
        return self.admitted_s - self.ready_s


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk's compute latency: audio available -> encoded and every decoder step on its frames done."""

    uid: int
    chunk: int
    arrival_s: float
    done_s: float


@dataclass(frozen=True)
class BatchRecord:
    """One batched call sequence: an encoder call over `size` chunks, or one decoder step over `size` utterances."""

    chip: int
    kind: str          # 'encoder' or 'decoder'
    size: int
    rows: int          # encoder: padded input frames x size; decoder: joint rows
    start_s: float
    end_s: float
