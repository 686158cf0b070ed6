"""A run's length in input frames from seconds of audio, for the CLI (--audio-s) and the Python API (audio_s).

Both sit above the pipeline, so the conversion lives here rather than in either of them (hwsim.api imported it
from hwsim.commands.run_args, an upward import). Loading the workload spec is deferred to the call, so importing
this module stays as light as the argument parsers that import it.
"""

from __future__ import annotations

from hwsim.errors import SpecError, note, rounding_note
from hwsim.io.limits import active_limits, check_at_most


def frames_for_audio(workload: str, overrides: list[str] | tuple[str, ...], audio_s: float) -> int:
    """Input frames of `audio_s` seconds of audio for this workload (at least 1)."""
    if not audio_s > 0 or audio_s == float("inf"):
        raise SpecError(None, "--audio-s", "expected a number > 0", audio_s)
    check_at_most("--audio-s", audio_s, active_limits().audio_s, "seconds")
    from hwsim.specs.resolve import load_workload_spec

    spec, _ = load_workload_spec(workload, list(overrides))
    step_s = spec.input_frame_step_s
    frames = round(audio_s / step_s)
    if frames < 1:  # it was rounded up to one frame without a word
        raise SpecError(None, "--audio-s", f"expected at least one input frame ({step_s:g} s for {workload})", audio_s)
    text = rounding_note("--audio-s", audio_s, frames, step_s)
    if text:
        note(text)
    return frames
