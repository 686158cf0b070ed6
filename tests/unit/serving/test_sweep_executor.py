"""`hwsim sweep` runs on the same executors as serving probes, with identical results."""

from __future__ import annotations

import pandas as pd
import pytest

from hwsim.pipeline.executors import LocalExecutor
from hwsim.pipeline.point import RunRequest
from hwsim.pipeline.sweep import expand, run_sweep

BASE = RunRequest("ibm_rnnt_swb", "fp16", "ibm_7nm_ai_chip", 40)
REQUESTS = expand(BASE, ["fp16", "int4"], ["ibm_7nm_ai_chip"], [1, 2], [40])


def test_local_processes_match_in_process():
    serial = run_sweep(REQUESTS, 1, progress=False)
    pooled = run_sweep(REQUESTS, 2, progress=False, executor=LocalExecutor(2))
    pd.testing.assert_frame_equal(serial, pooled)


def test_dask_matches_local():
    pytest.importorskip("distributed", reason="dask.distributed is an optional extra ([distributed])")
    from hwsim.pipeline.executors import DaskExecutor
    executor = DaskExecutor(None, workers=2)
    try:
        on_dask = run_sweep(REQUESTS, 2, progress=False, executor=executor)
    finally:
        executor.close()
    pd.testing.assert_frame_equal(run_sweep(REQUESTS, 1, progress=False), on_dask)
