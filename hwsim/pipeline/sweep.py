"""Sweeps: many simulated points (beam widths x precisions x devices x frames), serially or on worker processes.

Points that share (workload, precision, device, options) share one `PreparedPoint` cost model, so a sweep costs each
op once per call size, not once per point.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import replace
from typing import Iterable

import pandas as pd

from hwsim.pipeline.executors import Executor, LocalExecutor
from hwsim.pipeline.point import RunRequest, SimulationResult, prepare_point, simulate_point

COMPONENTS = ("encoder", "prediction", "joint", "search", "transfer", "hmm_search")


def expand(base: RunRequest, precisions: Iterable[str], devices: Iterable[str], beams: Iterable[int],
           frames: Iterable[int]) -> list[RunRequest]:
    return [replace(base, precision=p, device=d, beam=b, frames=f)
            for p, d, f, b in itertools.product(precisions, devices, frames, beams)]


def _group_key(request: RunRequest) -> tuple[str, str]:
    return request.precision, request.device


def _run_group(requests: list[RunRequest]) -> list[dict[str, object]]:
    prepared = prepare_point(requests[0])
    return [point_record(simulate_point(r, prepared)) for r in requests]


POINT_EXCLUDED_CHOICES = ("computed_as", "call_latency_s", "kernel_launch_s")  # nested, or a device constant


def point_record(sim: SimulationResult) -> dict[str, object]:
    r, req = sim.result, sim.request
    record: dict[str, object] = {"workload": req.workload, "precision": req.precision, "device": req.device,
                                 "frames": req.frames, "beam": req.beam, "algorithm": req.algorithm.value,
                                 "total_s": r.total_s, "rtf": r.rtf, "audio_s": r.audio_s, "events": r.events,
                                 "prediction_calls": r.calls.get("prediction", 0), "joint_calls": r.calls.get("joint", 0),
                                 "peak_memory_bytes": sim.footprint.total_bytes, "fits_memory": sim.footprint.fits,
                                 **{k: v for k, v in sim.choices.items() if k not in POINT_EXCLUDED_CHOICES},
                                 "computed_as": json.dumps(sim.choices.get("computed_as", {}), sort_keys=True)}
    for component in COMPONENTS:
        record[f"{component}_s"] = r.components_s.get(component, 0.0)
        record[f"critical_{component}_s"] = r.critical_path_s.get(component, 0.0)
    return record


def run_sweep(requests: list[RunRequest], workers: int = 1, progress: bool = True,
              executor: Executor | None = None) -> pd.DataFrame:
    """Simulate every point; one row per point (wide). Groups go to `workers` processes when > 1, or to
    `executor` (hwsim.pipeline.executors: local processes or Dask) when given; results are the same either way."""
    groups: dict[tuple[str, str], list[RunRequest]] = {}
    for request in requests:
        groups.setdefault(_group_key(request), []).append(request)
    records: list[dict[str, object]] = []
    from hwsim.progress import progress as progress_bar  # stderr; off under --quiet or without a terminal

    bar = progress_bar(total=len(requests), desc="sweep", unit="pt", enabled=progress)
    if executor is not None:
        for group_records in executor.map(_run_group, list(groups.values())):
            records += group_records
        bar.update(len(requests))
    elif workers <= 1 or len(groups) == 1:
        for group in groups.values():
            prepared = prepare_point(group[0])
            for request in group:
                records.append(point_record(simulate_point(request, prepared)))
                bar.update(1)
    else:  # local processes; a dead worker's points are retried once, then reported (hwsim.pipeline.executors)
        for group_records in LocalExecutor(workers, describe=_describe_group).map(_run_group, list(groups.values())):
            records += group_records
        bar.update(len(requests))
    bar.close()
    frame = pd.DataFrame(records)
    return frame.sort_values(["device", "precision", "frames", "beam"], kind="stable").reset_index(drop=True)


def _describe_group(group: list[RunRequest]) -> list[str]:
    return [f"{r.precision}/{r.device}/T={r.frames}/B={r.beam}" for r in group]


def long_format(wide: pd.DataFrame) -> pd.DataFrame:
    """One row per point and component (the `results.csv` layout)."""
    keys = ["workload", "precision", "device", "frames", "beam", "algorithm", "total_s", "rtf"]
    rows = []
    for record in wide.to_dict(orient="records"):
        for component in COMPONENTS:
            rows.append({**{k: record[k] for k in keys}, "component": component,
                         "busy_s": record[f"{component}_s"], "critical_path_s": record[f"critical_{component}_s"]})
    return pd.DataFrame(rows)


def default_workers(points: int) -> int:
    """Worker processes pay ~0.5 s start-up each; below ~20 points one process is faster."""
    return 1 if points < 20 else max(1, min(os.cpu_count() or 1, 8))


def speedups(wide: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Per point: baseline precision's time / this precision's time, per component and end to end."""
    base = wide[wide.precision == baseline].set_index(["device", "frames", "beam"])
    rows = []
    for record in wide[wide.precision != baseline].to_dict(orient="records"):
        ref = base.loc[(record["device"], record["frames"], record["beam"])]
        row = {"device": record["device"], "frames": record["frames"], "beam": record["beam"],
               "precision": record["precision"], "baseline": baseline, "total": ref["total_s"] / record["total_s"]}
        for component in COMPONENTS:
            if record[f"{component}_s"] > 0:
                row[component] = ref[f"{component}_s"] / record[f"{component}_s"]
        rows.append(row)
    return pd.DataFrame(rows)
