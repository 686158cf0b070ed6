"""Item 1 of issue 10: `hwsim gemm` and the same-shape op of `hwsim cost --json` are one cost (exact agreement)."""

import json

import pytest

from hwsim.cli import main


@pytest.mark.parametrize("device", ["local_cpu", "tpu_v5e", "xeon_host"])
def test_gemm_command_equals_the_cost_table_op(capsys, device):
    assert main(["cost", "ibm_rnnt_swb", "fp32", "--device", device, "--frames", "4", "--json"]) == 0
    ops = json.loads(capsys.readouterr().out)["ops"]
    op = next(o for o in ops if o["name"] == "encoder.layers.1.fwd.input_proj")  # (m x 1280) @ (1280 x 2560)
    assert op["weight_location"] == "stream"
    assert main(["gemm", "--device", device, "--m", str(op["rows"]), "--k", "1280", "--n", "2560",
                 "--precision", "float32", "--json"]) == 0
    gemm = json.loads(capsys.readouterr().out)
    assert gemm["time_s"] == op["time_s"]
    assert gemm["bytes_moved"] == op["bytes"]
