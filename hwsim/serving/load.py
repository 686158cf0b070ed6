"""Seeded load: utterance lengths (lognormal or a CSV of durations), arrival times (offline, Poisson, real-time
streams) and the chunks in which each utterance's audio reaches the server.

Random streams are independent per purpose (lengths, arrivals, stream offsets) and drawn in index order, so
utterance i has the same length at every rate and a higher rate only compresses the same arrival pattern
(common random numbers: capacity searches see a load curve, not seed noise).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from hwsim.errors import SpecError
from hwsim.io.limits import ALLOW_LARGE_FLAG, MAX_LENGTHS_FILE_BYTES, active_limits
from hwsim.io.readers import read_bytes
from hwsim.sim.entities import Chunk, RunShape, Utterance
from hwsim.decode.schedule import DecodeSchedule

LENGTHS_STREAM, ARRIVALS_STREAM, OFFSETS_STREAM = 1, 2, 3
DRAW_BLOCK = 1024


@dataclass(frozen=True)
class Lengths:
    """Utterance durations: lognormal(mean_s, cv) seeded, or the rows of a file used in order (cycled)."""

    mean_s: float = 10.0
    cv: float = 0.5
    table_s: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not (self.mean_s > 0 and math.isfinite(self.mean_s)):
            raise SpecError(None, "--utterance-s", "expected a number > 0", self.mean_s)
        if not (self.cv >= 0 and math.isfinite(self.cv)):
            raise SpecError(None, "--utterance-cv", "expected a number >= 0", self.cv)

    @property
    def mean_table_s(self) -> float | None:
        """The mean of the rows, which a long run cycles through (None: lognormal lengths)."""
        return math.fsum(self.table_s) / len(self.table_s) if self.table_s else None

    def iterate(self, seed: int) -> Iterator[float]:
        """Durations in utterance order, without end."""
        if self.table_s:
            yield from itertools.cycle(self.table_s)
        if self.cv == 0:
            yield from itertools.repeat(self.mean_s)
        sigma = math.sqrt(math.log1p(self.cv ** 2))  # lognormal with this mean and coefficient of variation
        mu = math.log(self.mean_s) - sigma ** 2 / 2
        rng = np.random.default_rng([seed, LENGTHS_STREAM])
        limit_s = active_limits().audio_s
        while True:
            for seconds in rng.lognormal(mu, sigma, DRAW_BLOCK).tolist():
                if seconds > limit_s:  # a long tail (a large --utterance-cv): refused, not cut short
                    raise SpecError(None, "--utterance-cv", f"lengths of at most {limit_s:,g} seconds (the utterance "
                                    f"limit, as --audio-s's; {ALLOW_LARGE_FLAG} lifts it): lognormal({self.mean_s:g} "
                                    f"s, cv {self.cv:g}) drew one of {seconds:,.4g} s")
                yield seconds

    def draw(self, count: int, seed: int) -> list[float]:
        return list(itertools.islice(self.iterate(seed), count))


# A duration as people write it: digits, an optional fraction and exponent. float() also takes `1_000`, `nan`,
# `inf` and non-ASCII digits; a lengths file holding those is a mistake, not a number.
DURATION = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def read_lengths(path: Path) -> tuple[float, ...]:
    """One duration in seconds per row (blank rows and '#' comments skipped; a header is not allowed).

    Strict, and bounded before work: at most MAX_LENGTHS_FILE_BYTES (a device such as /dev/zero included) and
    the limits' lengths_rows rows, each a plain decimal number > 0 and at most the utterance limit (--audio-s's).
    Errors name the row: `FILE: row 3: expected ..., got ...`.
    """
    limits = active_limits()
    data = read_bytes(path, MAX_LENGTHS_FILE_BYTES, "lengths file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data.count(b"\n", 0, error.start) + 1
        raise SpecError(path, f"row {row}", "expected a duration in seconds (UTF-8 text), got byte "
                        f"0x{data[error.start]:02x} (a binary file?)") from None
    del data
    values = []
    for number, line in enumerate(_lines(text), start=1):
        row = line.split("#", 1)[0].strip().rstrip(",").strip()
        if not row:
            continue
        if len(values) >= limits.lengths_rows:
            raise SpecError(path, f"row {number}", f"expected at most {limits.lengths_rows:,} rows (limit; "
                            f"{ALLOW_LARGE_FLAG} lifts it)")
        values.append(_duration(path, number, row, limits.audio_s))
    if not values:
        raise SpecError(path, "", "expected at least one duration in seconds (one per line), got no rows")
    return tuple(values)


def _lines(text: str) -> Iterator[str]:
    """The rows of `text` one at a time (splitlines would hold 10^7 strings at once before the row limit)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end + 1


def _duration(path: Path, number: int, row: str, limit_s: float) -> float:
    where = f"row {number}"
    if not DURATION.fullmatch(row):
        raise SpecError(path, where, "expected a duration in seconds > 0 (a decimal number such as 2.5 or 1e3)",
                        row)
    value = float(row)
    if not math.isfinite(value) or not value > 0:
        raise SpecError(path, where, "expected a duration in seconds > 0", value)
    if value > limit_s:
        raise SpecError(path, where, f"expected a duration of at most {limit_s:,g} seconds (the utterance limit, as "
                        f"--audio-s's; {ALLOW_LARGE_FLAG} lifts it)", value)
    return value


def poisson_arrivals(rate_per_s: float, duration_s: float, seed: int) -> np.ndarray:
    """Arrival times in [0, duration_s) of a Poisson process: unit exponential gaps scaled by 1/rate."""
    rng = np.random.default_rng([seed, ARRIVALS_STREAM])
    times, last = [], 0.0
    while True:
        block = last + np.cumsum(rng.standard_exponential(DRAW_BLOCK)) / rate_per_s
        inside = block[block < duration_s]
        times.append(inside)
        if len(inside) < DRAW_BLOCK:
            return np.concatenate(times)
        last = float(block[-1])


@dataclass(frozen=True)
class Framing:
    """How seconds become frames and chunks for this workload."""

    input_frame_step_s: float
    frame_divisor: int
    chunk_frames: int | None = None   # None: the encoder sees the whole utterance
    max_frames: int | None = None     # the search limits' longest utterance (None: the frames limit)

    def frames(self, seconds: float) -> int:
        """Input frames of an utterance (at least one), under the limits: a drawn or listed length is refused
        before its decode is searched, not cut short."""
        frames = max(1, round(seconds / self.input_frame_step_s))
        limit = active_limits().frames if self.max_frames is None else self.max_frames
        if frames > limit:
            raise SpecError(None, "utterance length (--utterance-s, --utterance-cv, --lengths)",
                            f"expected at most {limit:,} input frames ({limit * self.input_frame_step_s:,g} s at "
                            f"{self.input_frame_step_s:g} s per frame, the search limits at this beam; "
                            f"{ALLOW_LARGE_FLAG} lifts them)", f"{seconds:,.6g} s")
        return frames

    def shape(self, frames: int) -> RunShape:
        return RunShape(frames, self.frame_divisor, self.chunk_frames)


ScheduleFor = Callable[[int, int], DecodeSchedule]  # (input frames, uid) -> decode schedule


def _utterance(uid: int, arrival_s: float, frames: int, framing: Framing, schedule_for: ScheduleFor,
               realtime: bool, stream: int = -1) -> Utterance:
    """Chunks arrive all at `arrival_s` (offline/server), or each when its last frame is spoken (streams)."""
    spoken, chunks = 0, []
    for chunk_frames, available in framing.shape(frames).chunks():
        spoken += chunk_frames
        at = arrival_s + spoken * framing.input_frame_step_s if realtime else arrival_s
        chunks.append(Chunk(at, chunk_frames, available))
    return Utterance(uid, arrival_s, frames * framing.input_frame_step_s, tuple(chunks), schedule_for(frames, uid),
                     stream, whole=framing.chunk_frames is None)


def offline_load(count: int, lengths: Lengths, framing: Framing, schedule_for: ScheduleFor,
                 seed: int) -> list[Utterance]:
    durations = lengths.draw(count, seed)
    return [_utterance(i, 0.0, framing.frames(d), framing, schedule_for, False) for i, d in enumerate(durations)]


def server_load(rate_per_s: float, duration_s: float, lengths: Lengths, framing: Framing,
                schedule_for: ScheduleFor, seed: int) -> list[Utterance]:
    arrivals = poisson_arrivals(rate_per_s, duration_s, seed)
    durations = lengths.draw(len(arrivals), seed)
    return [_utterance(i, float(t), framing.frames(d), framing, schedule_for, False)
            for i, (t, d) in enumerate(zip(arrivals, durations))]


def streaming_load(streams: int, duration_s: float, lengths: Lengths, framing: Framing,
                   schedule_for: ScheduleFor, seed: int) -> list[Utterance]:
    """`streams` speakers, each talking utterance after utterance from a random offset within the first chunk
    until `duration_s`; an utterance that starts before `duration_s` is spoken to its end."""
    chunk_s = (framing.chunk_frames or 1) * framing.input_frame_step_s
    offsets = np.random.default_rng([seed, OFFSETS_STREAM]).uniform(0.0, chunk_s, streams)
    utterances, clocks, uid = [], [float(o) for o in offsets], 0
    active = list(range(streams))
    draws = lengths.iterate(seed)
    while active:
        still = []
        for stream in active:
            frames = framing.frames(next(draws))
            utterances.append(_utterance(uid, clocks[stream], frames, framing, schedule_for, True, stream))
            uid += 1
            clocks[stream] += frames * framing.input_frame_step_s
            if clocks[stream] < duration_s:
                still.append(stream)
        active = still
    return utterances

