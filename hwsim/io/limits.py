"""Documented resource limits, checked before any work starts (docs/limits.md).

Each limit keeps one mistyped number (`num_layers: 10000000`, `--frames 100000000`) from turning into minutes
of work or tens of GB of memory; where a user could mean a value beyond it, `--allow-large` lifts the run-size
limits (the file-format limits stay: they guard the readers, not the run).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hwsim.errors import SpecError

MIB = 2**20

# Readers (hwsim/io/readers.py): what a user file may hold.
MAX_SPEC_FILE_BYTES = 16 * MIB        # a YAML spec; the shipped ones are < 20 KiB
MAX_JSON_FILE_BYTES = 512 * MIB       # a decode trace (--replay): ~100 bytes per step
MAX_NESTING_DEPTH = 100               # YAML/JSON nesting; specs nest < 8 deep
MAX_NODES = 2_000_000                 # values in one document, aliases expanded (stops "billion laughs")
MAX_ARRAY_BYTES = 16 * 2**30          # one .npy/.npz array as its header declares it (before reading)
MAX_LENGTHS_FILE_BYTES = 64 * MIB     # a `serve --lengths` file: ~10 bytes per row, so 64 MiB is millions of rows


@dataclass(frozen=True)
class RunLimits:
    """Run-size limits: the largest sensible values, far above every shipped workload and paper setting."""

    layers: int = 1_000               # encoder/predictor layers of one workload (USM: 32)
    width: int = 1_000_000            # any hidden/model/vocabulary dimension (USM vocab 16k, dims <= 1536)
    frames: int = 200_000             # input frames of one utterance (33 min at 10 ms; 20k frames simulate in ~15 s)
    frames_x_beam: int = 10_000_000   # simulated decode work grows with frames x beam
    audio_s: float = 36_000.0         # one utterance, seconds (10 h)
    beam: int = 1_024                 # beam width
    sweep_points: int = 10_000        # points of one sweep
    reference_frames: int = 100_000   # the numpy reference decoder runs for real
    reference_beam: int = 64
    repeats: int = 1_000              # measured decodes per point (reference, validate)
    # The per-frame label cap S: every published RNN-T search uses 1-10 (shipped workloads 3, NeMo's greedy 10).
    # A search's work and its cache of label histories grow with S (TSD: S + 1 joint calls per frame), so 20
    # frames at S = 10,000 took 3.9 GB and 83 s.
    max_symbols: int = 100
    # frames x beam x (S + 1): the joint rows a search may score; 4 x frames_x_beam keeps every run the frames x
    # beam limit allows at the shipped S = 3, and stops a large S from multiplying it.
    decode_rows: int = 40_000_000
    # frames^2 x beam x S: the search's prediction cache keeps every label history it predicted (beam x S new ones
    # per frame, each as long as the labels so far), so its memory grows with the square of the frames: measured
    # ~0.7-1 byte per unit (20k frames, beam 1, S 3: 0.87 GB; 5k frames, beam 4: 0.28 GB). 4e9 is ~4 GB, and
    # 74x the largest shipped decode (1,500 frames, beam 8, S 3); at beam 1, S 3 it allows 36,500 frames.
    decode_history: int = 4_000_000_000
    # `hwsim serve`: each simulated utterance keeps its decode schedule (~0.3 MB and ~70 ms per 10 s utterance
    # at beam 1, measured). The shipped capacity searches simulate < 10,000 utterances (1,818 streams x 6 s).
    utterances: int = 100_000         # utterances one serve run simulates (offline count, rate x duration, streams)
    serve_audio_s: float = 360_000.0  # seconds of audio one serve run simulates (100 h: ~12 GB at 0.3 MB per 10 s)
    streams: int = 100_000            # concurrent streams (shipped capacities: <= 2,000 per chip)
    chips: int = 10_000               # replica chips (a TPU v5p pod: 8,960; the shipped runs use 1-2)
    lengths_rows: int = 1_000_000     # rows of a --lengths file (each row is one utterance's duration)


LIMITS = RunLimits()
UNLIMITED = RunLimits(layers=10**12, width=10**12, frames=10**12, frames_x_beam=10**24, audio_s=1e15, beam=10**12,
                      sweep_points=10**12, reference_frames=10**12, reference_beam=10**12, repeats=10**12,
                      max_symbols=10**12, decode_rows=10**36, decode_history=10**48, utterances=10**12,
                      serve_audio_s=1e18, streams=10**12, chips=10**12, lengths_rows=10**12)
ALLOW_LARGE_FLAG = "--allow-large"


_allow_large = [False]


def set_allow_large(allow: bool) -> None:
    """The CLI's --allow-large for this process (library callers keep the limits unless they call this)."""
    _allow_large[0] = allow


def active_limits() -> RunLimits:
    return UNLIMITED if _allow_large[0] else LIMITS


def check_at_most(flag: str, value: float, limit: float, what: str = "") -> None:
    """The one-line error for a value over a run-size limit, naming the flag that lifts it."""
    if value > limit:
        noun = f" {what}" if what else ""
        raise SpecError(None, flag, f"expected at most {limit:,}{noun} (limit; {ALLOW_LARGE_FLAG} lifts it)", value)


def check_workload_limits(spec: Any, file: str) -> None:
    """Every layer count and dimension of a validated workload spec under the limits, before a graph is built."""
    limits = active_limits()
    stack: list[tuple[str, Any]] = [("", spec.model_dump(mode="json"))]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack += [(f"{path}.{k}" if path else str(k), v) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [(f"{path}[{i}]", v) for i, v in enumerate(node)]
        elif isinstance(node, int) and not isinstance(node, bool):
            limit, what = (limits.layers, "layers") if path.endswith("num_layers") else \
                (limits.max_symbols, "labels per frame") if path.endswith("max_symbols_per_frame") else (limits.width, "")
            if node > limit:
                raise SpecError(file, path, f"expected at most {limit:,}{' ' + what if what else ''} (limit; "
                                f"{ALLOW_LARGE_FLAG} lifts it)", node)


def check_run_limits(frames: int, beam: int, reference: bool = False, repeats: int = 1,
                     max_symbols: int | None = None) -> None:
    """--frames, --beam and --max-symbols under the limits (tighter for the numpy reference decoder, which really
    runs). `max_symbols` None: the workload's (at most its own limit, checked when it is known)."""
    limits = active_limits()
    check_at_most("--frames", frames, limits.reference_frames if reference else limits.frames)
    check_at_most("--beam", beam, limits.reference_beam if reference else limits.beam)
    check_at_most("--frames x --beam", frames * beam, limits.frames_x_beam)
    check_at_most("--repeats", repeats, limits.repeats)
    if max_symbols is not None:
        check_at_most("--max-symbols", max_symbols, limits.max_symbols, "labels per frame")
        check_at_most("--frames x --beam x (--max-symbols + 1)", frames * beam * (max_symbols + 1),
                      limits.decode_rows, "joint rows")


def check_decode_limits(file: str | None, frames: int, beam: int, max_symbols: int,
                        keys: tuple[str, str, str] = ("frames", "beam", "max_symbols")) -> None:
    """A decode to simulate (a trace's, or a workload's with flags) under the search limits, naming `keys`."""
    limits = active_limits()
    frames_key, beam_key, symbols_key = keys
    for key, value, limit, what in (
            (frames_key, frames, limits.frames, ""), (beam_key, beam, limits.beam, ""),
            (symbols_key, max_symbols, limits.max_symbols, " labels per frame"),
            (f"{frames_key} x {beam_key}", frames * beam, limits.frames_x_beam, ""),
            (f"{frames_key} x {beam_key} x ({symbols_key} + 1)", frames * beam * (max_symbols + 1), limits.decode_rows,
             " joint rows"),
            (f"{frames_key}^2 x {beam_key} x {symbols_key}", frames * frames * beam * max_symbols,
             limits.decode_history, " (~bytes of the search's label-history cache)")):
        if value > limit:
            raise SpecError(file, key, f"expected at most {limit:,}{what} (limit; {ALLOW_LARGE_FLAG} lifts it)", value)


def max_decode_frames(beam: int, max_symbols: int) -> int:
    """The most frames one decode at this beam and symbol cap may have under the search limits."""
    limits = active_limits()
    by_history = math.isqrt(limits.decode_history // max(1, beam * max_symbols))
    return max(0, min(limits.frames, limits.frames_x_beam // beam, limits.decode_rows // (beam * (max_symbols + 1)),
                      by_history))
