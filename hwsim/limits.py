"""Documented resource limits, checked before any work starts (README, "Errors and limits").

Each limit keeps one mistyped number (`num_layers: 10000000`, `--frames 100000000`) from turning into minutes
of work or tens of GB of memory; where a user could mean a value beyond it, `--allow-large` lifts the run-size
limits (the file-format limits stay: they guard the readers, not the run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hwsim.errors import SpecError

MIB = 2**20

# Readers (hwsim/readers.py): what a user file may hold.
MAX_SPEC_FILE_BYTES = 16 * MIB        # a YAML spec; the shipped ones are < 20 KiB
MAX_JSON_FILE_BYTES = 512 * MIB       # a decode trace (--replay): ~100 bytes per step
MAX_NESTING_DEPTH = 100               # YAML/JSON nesting; specs nest < 8 deep
MAX_NODES = 2_000_000                 # values in one document, aliases expanded (stops "billion laughs")
MAX_ARRAY_BYTES = 16 * 2**30          # one .npy/.npz array as its header declares it (before reading)


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


LIMITS = RunLimits()
UNLIMITED = RunLimits(layers=10**12, width=10**12, frames=10**12, frames_x_beam=10**24, audio_s=1e15, beam=10**12,
                      sweep_points=10**12, reference_frames=10**12, reference_beam=10**12, repeats=10**12)
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
            limit, what = (limits.layers, "layers") if path.endswith("num_layers") else (limits.width, "")
            if node > limit:
                raise SpecError(file, path, f"expected at most {limit:,}{' ' + what if what else ''} (limit; "
                                f"{ALLOW_LARGE_FLAG} lifts it)", node)


def check_run_limits(frames: int, beam: int, reference: bool = False, repeats: int = 1) -> None:
    """--frames and --beam under the limits (tighter for the numpy reference decoder, which really runs)."""
    limits = active_limits()
    check_at_most("--frames", frames, limits.reference_frames if reference else limits.frames)
    check_at_most("--beam", beam, limits.reference_beam if reference else limits.beam)
    check_at_most("--frames x --beam", frames * beam, limits.frames_x_beam)
    check_at_most("--repeats", repeats, limits.repeats)
