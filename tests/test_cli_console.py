"""Console output conventions (issue 29, items 6 and 7): labels that say what they count, tables with one format
per column and units in the headers, --json/--csv on every table verb, --quiet, examples in every verb's help."""

from __future__ import annotations

import json

SIM_GPU = ("simulate", "ibm_rnnt_swb", "fp16", "--device", "a100_pcie_80gb", "--frames", "100")


def test_eager_gpu_simulate_says_kernel_launches_are_per_kernel(run_cli):
    result = run_cli(*SIM_GPU)
    assert result.code == 0
    assert "launches 0.0000" not in result.out
    assert "kernel launches: eager, 5 us per kernel (inside each op's time)" in result.out
    assert "per-call dispatch 0.0000" in result.out
    data = json.loads(run_cli(*SIM_GPU, "--json").out)
    assert data["kernel_launch_s"] == 5e-06 and data["cuda_graphs"] is False
    assert data["call_latency_s"] == {"launch_s": 0.0, "step_latency_s": 0.0}  # per call: none when eager
