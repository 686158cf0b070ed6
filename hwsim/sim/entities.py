"""What a run is made of: utterances, the chunks their audio arrives in, and how an utterance is cut into chunks."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hwsim.decode.schedule import DecodeSchedule


@dataclass(frozen=True)
class RunShape:
    """How one utterance is processed.

    Attributes:
        frames: input frames of the utterance.
        frame_divisor: input frames per encoder frame (sub-sampling).
        chunk_frames: input frames per encoder chunk (streaming); None = whole utterance at once.
        lookahead_frames: input frames of right context a chunk is encoded with (chunked attention with
            look-ahead): each chunk encodes its own frames plus up to this many following ones, which the
            next chunk encodes again. Ignored for the whole utterance.
    """

    frames: int
    frame_divisor: int
    chunk_frames: int | None = None
    lookahead_frames: int = 0

    @property
    def encoder_frames(self) -> int:
        return math.ceil(self.frames / self.frame_divisor)

    def chunks(self) -> list[tuple[int, int]]:
        """[(input frames the chunk encodes, incl. look-ahead; encoder frames available after it)]."""
        size = self.chunk_frames or self.frames
        lookahead = self.lookahead_frames if self.chunk_frames is not None else 0
        out, done = [], 0
        while done < self.frames:
            take = min(size, self.frames - done)
            done += take
            out.append((take + min(lookahead, self.frames - done),
                        min(math.ceil(done / self.frame_divisor), self.encoder_frames)))
        return out


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
        schedule: the RNN-T decoder's steps; None for a hybrid model, whose host HMM search runs per chunk.
        stream: the real-time stream it belongs to (-1 outside the streaming scenario).
        whole: the encoder sees the whole utterance in one call (no streaming chunks).
    """

    uid: int
    arrival_s: float
    audio_s: float
    chunks: tuple[Chunk, ...]
    schedule: DecodeSchedule | None
    stream: int = -1
    whole: bool = True

    @property
    def end_of_speech_s(self) -> float:
        """When its last audio arrives; user-perceived latency is measured from here."""
        return self.chunks[-1].arrival_s
