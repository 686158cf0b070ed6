"""The compute-model seam: an engine kind plugs in through the registry; the GEMM cost wraps whatever it returns."""

from dataclasses import replace

import pytest

from hwsim.cost import engine_select
from hwsim.cost.compute_model import ArrayTime
from hwsim.cost.hardware import load_device
from hwsim.cost.engine_select import register_compute_model
from hwsim.formats import NumberFormat as F
from hwsim.cost.gemm import gemm_cost


class FixedRate:
    """A stand-in engine model (e.g. a tensor core): M*K*N / 1000 cycles, no pipeline."""

    def matmul(self, engine, modelling, m, k, n, *, macs_per_pe, dataflow):
        cycles = m * k * n / 1000
        return ArrayTime(cycles, cycles, cycles, engine.clock_hz, {"model": "fixed"})


@pytest.fixture
def fixed_kind():
    register_compute_model("fixed_rate_test", FixedRate())
    yield "fixed_rate_test"
    del engine_select.COMPUTE_MODELS["fixed_rate_test"]


def test_a_registered_kind_prices_the_array_term(fixed_kind):
    device = load_device("tpu_v5e")
    engine = replace(device.matrix_engines[0], kind=fixed_kind)
    device = replace(device, matrix_engines=(engine,))
    cost = gemm_cost(device, 256, 512, 1024, F.BF16, F.BF16)
    assert cost.array_s == pytest.approx(256 * 512 * 1024 / 1000 / 1.5e9)
    assert cost.as_dict()["model"] == "fixed" and cost.as_dict()["compute_model"] == fixed_kind


def test_registering_a_kind_twice_is_an_error():
    with pytest.raises(ValueError, match="registered twice"):
        register_compute_model("systolic", FixedRate())
