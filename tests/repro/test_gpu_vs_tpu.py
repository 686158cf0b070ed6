"""gpu-vs-tpu report points: the TPU's fp16 swap, and deployed GPUs beating eager ones (launch-bound batch 1)."""

from hwsim.repro.gpu_vs_tpu import IBM, TARGETS, TPU_HALF, _request
from hwsim.pipeline.point import prepare_point, simulate_point


def total_s(target, precision: str) -> float:
    request = _request(IBM[0], 1.0, precision, IBM[3], target)
    return simulate_point(request, prepare_point(request)).result.total_s


def test_tpu_runs_ibm_fp16_as_bf16():
    tpu = next(t for t in TARGETS if t.device == "tpu_v5e")
    assert _request(IBM[0], 1.0, "fp16", (), tpu).precision_overrides == TPU_HALF["fp16"]
    assert total_s(tpu, "fp16") > 0


def test_graphs_and_fusion_beat_eager_launches_on_the_h100():
    eager, deployed = (t for t in TARGETS if t.device == "h100_sxm")
    assert total_s(deployed, "int4") < total_s(eager, "int4")
