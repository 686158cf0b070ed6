"""The Python API: the CLI's jobs as functions that return DataFrames and result objects.

    import hwsim.api as hw
    hw.size("usm_rnnt_1b", "exp5", meta_dtype="int8").reduction_vs_f32
    hw.cost("ibm_rnnt_swb", "int4", device="ibm_7nm_ai_chip", frames=152, beam=8)      # DataFrame, one row per op
    hw.simulate("ibm_rnnt_swb", "int4", device="ibm_7nm_ai_chip", frames=152, beam=8).result.components_s
    hw.sweep("ibm_rnnt_swb", ["fp16", "int4"], device="ibm_7nm_ai_chip", beams=[1, 4, 16], frames=152)

Keyword arguments of `cost`, `simulate` and `sweep` are the fields of `hwsim.simulate.RunRequest` (algorithm,
host, chunk_frames, overlap, cache, seed, overrides, device_overrides, precision_overrides, options, ...).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

import pandas as pd

from hwsim.cost.table import cost_table
from hwsim.sim.decode import Algorithm
from hwsim.simulate import RunRequest, SimulationResult, make_schedule, prepare
from hwsim.simulate import simulate as _simulate
from hwsim.size.account import SizeReport, account_size
from hwsim.specs.resolve import load_workload, resolve_model
from hwsim.sweep import expand, run_sweep


def size(workload: str, precision: str, meta_dtype: str | None = None, overrides: list[str] | None = None) -> SizeReport:
    model = resolve_model(workload, precision, overrides, meta_dtype)
    return account_size(model.graph, model.plan)


def params(workload: str, overrides: list[str] | None = None) -> pd.DataFrame:
    graph = load_workload(workload, overrides)
    return pd.DataFrame([{"name": t.name, "shape": t.shape, "role": t.role.value, "component": t.component.value,
                          "params": t.params} for t in graph.tensors])


def _request(workload: str, precision: str, device: str, frames: int, beam: int, **kwargs: object) -> RunRequest:
    if isinstance(kwargs.get("algorithm"), str):
        kwargs["algorithm"] = Algorithm(kwargs["algorithm"])
    for key in ("overrides", "device_overrides", "precision_overrides"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])  # type: ignore[arg-type]
    return RunRequest(workload=workload, precision=precision, device=device, frames=frames, beam=beam, **kwargs)  # type: ignore[arg-type]


def cost(workload: str, precision: str, device: str, frames: int, beam: int = 1, **kwargs: object) -> pd.DataFrame:
    """Per-op cost table (one row per op; `total_time_s` = time x count in the run's decode schedule)."""
    request = _request(workload, precision, device, frames, beam, **kwargs)
    prepared = prepare(request)
    return cost_table(prepared.costs, request.frames, request.beam, make_schedule(prepared, request))


def simulate(workload: str, precision: str, device: str, frames: int, beam: int = 1, **kwargs: object) -> SimulationResult:
    return _simulate(_request(workload, precision, device, frames, beam, **kwargs))


def sweep(workload: str, precisions: Iterable[str], device: str | Iterable[str], beams: Iterable[int],
          frames: int | Iterable[int], workers: int = 1, **kwargs: object) -> pd.DataFrame:
    """One row per point (precision x device x frames x beam) with per-component busy times."""
    devices = [device] if isinstance(device, str) else list(device)
    lengths = [frames] if isinstance(frames, int) else list(frames)
    precisions = list(precisions)
    base = _request(workload, precisions[0], devices[0], lengths[0], 1, **kwargs)
    return run_sweep(expand(replace(base), precisions, devices, beams, lengths), workers=workers, progress=False)
