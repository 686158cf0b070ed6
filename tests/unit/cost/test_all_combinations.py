"""`hwsim cost` for every shipped workload x precision x device: it works, or refuses with one clear line."""

import itertools

import pytest

from hwsim.errors import SpecError
from hwsim.io.paths import DEVICES_DIR, MODELS_DIR, shipped_names
from hwsim.pipeline.point import RunRequest, prepare_point
from hwsim.specs.resolve import load_workload_spec, precision_search_dirs

DEVICES = shipped_names(DEVICES_DIR)


def combinations():
    for workload in shipped_names(MODELS_DIR):
        spec, _ = load_workload_spec(workload)
        precisions = sorted({n for d in precision_search_dirs(spec) for n in shipped_names(d)})
        for precision, device in itertools.product(precisions, DEVICES):
            yield workload, precision, device


@pytest.mark.parametrize("workload, precision, device", list(combinations()))
def test_cost_or_clear_refusal(workload, precision, device):
    request = RunRequest(workload=workload, precision=precision, device=device, frames=16, beam=2, host="xeon_host")
    try:
        prepared = prepare_point(request)
    except SpecError as error:
        text = str(error)
        assert "\n" not in text and ("devices/" in text or "host_cpu" in text), text
        return
    assert all(prepared.costs.op_cost(op, 2).time_s > 0 for op in prepared.model.graph.ops)


def test_int4_on_a_tpu_is_refused_and_on_the_ibm_chip_accepted():
    with pytest.raises(SpecError, match="tpu_v5e"):
        prepare_point(RunRequest(workload="ibm_rnnt_swb", precision="int4", device="tpu_v5e", frames=8,
                                 host="xeon_host"))
    prepare_point(RunRequest(workload="ibm_rnnt_swb", precision="int4", device="ibm_7nm_ai_chip", frames=8))
