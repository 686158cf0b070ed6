"""The Python API: the CLI's jobs as functions that return result objects for notebooks (see docs/api.md).

    import hwsim.api as hw
    hw.size("usm_rnnt_1b", "exp5", meta_dtype="int8")                       # Size(...): .to_pandas(), .plot()
    hw.cost("ibm_rnnt_swb", "int4", device="ibm_7nm_ai_chip", frames=152, beam=8)     # CostTable, one row per op
    hw.simulate("ibm_rnnt_swb", "int4", device="ibm_7nm_ai_chip", audio_s=3, beam=8)  # Simulation
    hw.sweep("ibm_rnnt_swb", ["fp16", "int4"], device="ibm_7nm_ai_chip", beams=[1, 4, 16], frames=152)   # Sweep
    hw.check()                                                                # ClaimCheck of every shipped claim
    run = hw.prepare("ibm_rnnt_swb", "int4", device="ibm_7nm_ai_chip")        # costs once, many utterances
    run.simulate(audio_s=2.0, beam=4, seed=1)

Keyword arguments of `cost`, `simulate`, `sweep` and `prepare` are the fields of `hwsim.pipeline.point.RunRequest`
(algorithm, host, chunk_frames, overlap, cache, seed, max_symbols, label_rate, top_prob, repeat_prob, overrides,
device_overrides, precision_overrides, meta_dtype, options). A misspelt keyword raises `ApiError` (a TypeError
and a HwsimError) with one line and the nearest known keyword.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Iterable

from hwsim.api.results import ClaimCheck, CostTable, Simulation, Size, Sweep
from hwsim.errors import HwsimError, SpecError, did_you_mean

POSITIONAL = ("workload", "precision", "device", "frames", "beam")  # RunRequest fields every function names itself

__all__ = ["ApiError", "Prepared", "audio_frames", "check", "cost", "params", "prepare", "simulate", "size", "sweep"]


class ApiError(HwsimError, TypeError):
    """A wrong keyword argument: one line naming the function, the keyword and the nearest known one."""


def _check_keywords(function: str, given: Iterable[str], known: Iterable[str]) -> None:
    """Reject a keyword outside `known`, suggesting the nearest of `known` and the function's own parameters."""
    known = sorted(known)
    own = [p for p in inspect.signature(globals()[function]).parameters if p != "kwargs"]
    for name in given:
        if name not in known:
            raise ApiError(f"hwsim.api.{function}: unknown keyword argument {name!r}"
                           f"{did_you_mean(name, known + own)}; known: {', '.join(own + known)}")


def audio_frames(workload: str, audio_s: float, overrides: Iterable[str] = ()) -> int:
    """Input frames of `audio_s` seconds of audio for a workload (round(audio_s / input_frame_step_s), >= 1)."""
    from hwsim.pipeline.frames import frames_for_audio

    return frames_for_audio(workload, tuple(overrides), audio_s)


def _frames(workload: str, frames: int | None, audio_s: float | None, overrides: Iterable[str]) -> int:
    if (frames is None) == (audio_s is None):
        raise SpecError(None, "frames/audio_s", "expected exactly one of frames and audio_s", None)
    return frames if frames is not None else audio_frames(workload, audio_s, overrides)  # type: ignore[arg-type]


def _request(function: str, workload: str, precision: str, device: str, frames: int, beam: int,
             kwargs: dict[str, Any]) -> Any:
    from hwsim.decode.simulated import Algorithm
    from hwsim.pipeline.point import RunRequest

    _check_keywords(function, kwargs, [f.name for f in fields(RunRequest) if f.name not in POSITIONAL])
    if isinstance(kwargs.get("algorithm"), str):
        kwargs["algorithm"] = Algorithm(kwargs["algorithm"])
    for key in ("overrides", "device_overrides", "precision_overrides"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    return RunRequest(workload=workload, precision=precision, device=device, frames=frames, beam=beam, **kwargs)


def size(workload: str, precision: str, meta_dtype: str | None = None, overrides: list[str] | None = None) -> Size:
    """Model size incl. quantization metadata (the `hwsim size` job)."""
    from hwsim.size.account import account_size
    from hwsim.precision.resolved import resolve_model

    model = resolve_model(workload, precision, overrides, meta_dtype)
    return Size(account_size(model.graph, model.plan))


def params(workload: str, overrides: list[str] | None = None) -> Any:
    """Every tensor of a workload: name, shape, role, component, params (a DataFrame)."""
    import pandas as pd

    from hwsim.precision.resolved import load_workload

    graph = load_workload(workload, overrides)
    return pd.DataFrame([{"name": t.name, "shape": t.shape, "role": t.role.value, "component": t.component.value,
                          "params": t.params} for t in graph.tensors])


def cost(workload: str, precision: str, device: str, frames: int | None = None, beam: int = 1, *,
         audio_s: float | None = None, **kwargs: Any) -> CostTable:
    """Per-op cost table (one row per op; `total_time_s` = time x count in the run's decode schedule)."""
    from hwsim.cost.table import cost_table
    from hwsim.pipeline.point import make_schedule
    from hwsim.pipeline.point import prepare_point

    length = _frames(workload, frames, audio_s, kwargs.get("overrides", ()))
    request = _request("cost", workload, precision, device, length, beam, kwargs)
    prepared = prepare_point(request)
    frame = cost_table(prepared.costs, request.frames, request.beam, make_schedule(prepared, request))
    title = f"{workload} @ {precision} on {prepared.device.name}, T={request.frames}, B={request.beam}"
    return CostTable(frame, title, prepared.device)


def simulate(workload: str, precision: str, device: str, frames: int | None = None, beam: int = 1, *,
             audio_s: float | None = None, **kwargs: Any) -> Simulation:
    """One utterance through the discrete-event simulator (the `hwsim simulate` job)."""
    from hwsim.pipeline.point import simulate_point

    length = _frames(workload, frames, audio_s, kwargs.get("overrides", ()))
    return Simulation(simulate_point(_request("simulate", workload, precision, device, length, beam, kwargs)))


def sweep(workload: str, precisions: Iterable[str], device: str | Iterable[str], beams: Iterable[int],
          frames: int | Iterable[int] | None = None, workers: int = 1, *,
          audio_s: float | Iterable[float] | None = None, **kwargs: Any) -> Sweep:
    """Every precision x device x length x beam point; the first precision is the speed-up baseline."""
    from hwsim.pipeline.sweep import expand, run_sweep

    devices = [device] if isinstance(device, str) else list(device)
    if (frames is None) == (audio_s is None):
        raise SpecError(None, "frames/audio_s", "expected exactly one of frames and audio_s", None)
    if frames is not None:
        lengths = [frames] if isinstance(frames, int) else list(frames)
    else:
        seconds = [audio_s] if isinstance(audio_s, (int, float)) else list(audio_s)  # type: ignore[arg-type]
        lengths = [audio_frames(workload, s, kwargs.get("overrides", ())) for s in seconds]
    precisions = list(precisions)
    base = _request("sweep", workload, precisions[0], devices[0], lengths[0], 1, kwargs)
    points = run_sweep(expand(replace(base), precisions, devices, beams, lengths), workers=workers, progress=False)
    return Sweep(points, precisions[0], workload)


def check(claims: Iterable[str | Path] | None = None) -> ClaimCheck:
    """Recompute published size claims (every shipped claims file by default; or the given files)."""
    from hwsim.io.paths import CLAIMS_DIR
    from hwsim.size.claims import check_claims
    from hwsim.specs.claims import ClaimsSpec
    from hwsim.specs.load import load_spec

    files = [Path(p) for p in claims] if claims is not None else sorted(CLAIMS_DIR.glob("*.yaml"))
    return ClaimCheck(tuple(r for path in files for r in check_claims(load_spec(ClaimsSpec, path), path)))


@dataclass
class Prepared:
    """A workload x precision x device whose costs are computed once: simulate many utterances cheaply (e.g. a
    serving study drawing utterance lengths). Only the length, beam and seed may change between utterances."""

    request: Any
    costs: Any

    def simulate(self, frames: int | None = None, beam: int | None = None, *, audio_s: float | None = None,
                 seed: int | None = None) -> Simulation:
        from hwsim.pipeline.point import simulate_point

        length = _frames(self.request.workload, frames, audio_s, self.request.overrides)
        request = replace(self.request, frames=length, beam=beam or self.request.beam,
                          seed=self.request.seed if seed is None else seed)
        return Simulation(simulate_point(request, self.costs))

    def __repr__(self) -> str:
        q = self.request
        return f"Prepared({q.workload} @ {q.precision} on {q.device}, {q.algorithm.value}; .simulate(frames|audio_s, beam, seed))"


def prepare(workload: str, precision: str, device: str, beam: int = 1, **kwargs: Any) -> Prepared:
    """Resolve specs and per-op costs once (the expensive part); see `Prepared.simulate`."""
    from hwsim.pipeline.point import prepare_point

    request = _request("prepare", workload, precision, device, 1, beam, kwargs)
    return Prepared(request, prepare_point(request))

