"""DeviceSpec schema rules that are not about shipped files: provenance, limits, cross-field checks."""

import copy
from pathlib import Path

import pytest
import yaml

from hwsim.errors import SpecError
from hwsim.specs.device import validate_device_spec

MINIMAL = Path(__file__).parents[2] / "bad_input" / "devices" / "minimal.yaml"


def minimal() -> dict:
    return copy.deepcopy(yaml.safe_load(MINIMAL.read_text()))


def test_minimal_fixture_is_valid():
    spec = validate_device_spec(minimal(), "minimal.yaml")
    assert spec.matrix_engines[0].rows.value == 4


def test_source_or_assumption_is_kept():
    data = minimal()
    data["matrix_engines"][0]["rows"] = {"value": 4, "source": "datasheet p. 3"}
    spec = validate_device_spec(data, "x.yaml")
    assert spec.matrix_engines[0].rows.source == "datasheet p. 3"
    assert spec.matrix_engines[0].rows.assumption is None


@pytest.mark.parametrize("entry, message", [
    ({"support": "native"}, "exactly ops_per_cycle"),
    ({"support": "emulated", "via": "int8xint8"}, "exactly slowdown, via"),
    ({"support": "rejected"}, "exactly reason"),
    ({"support": "emulated", "via": "int4xint4", "slowdown": {"value": 2, "assumption": "t"}}, "native pair"),
])
def test_precision_entry_fields_must_match_support(entry, message):
    data = minimal()
    data["matrix_engines"][0]["precisions"]["int2xint2"] = entry
    with pytest.raises(SpecError, match=message):
        validate_device_spec(data, "x.yaml")


def test_zero_overhead_is_allowed_but_negative_is_not():
    data = minimal()
    data["modelling"]["overhead_s"] = {"value": -1e-6, "assumption": "t"}
    with pytest.raises(SpecError, match=r"modelling.overhead_s.value: expected a number >= 0, got -1e-06"):
        validate_device_spec(data, "x.yaml")


def test_operand_memory_needs_a_bandwidth():
    data = minimal()
    del data["memory"][0]["bandwidth_gb_per_s"]
    with pytest.raises(SpecError, match=r"memory\[0\].bandwidth_gb_per_s: expected a bandwidth"):
        validate_device_spec(data, "x.yaml")


def test_vector_unit_format_must_be_known():
    data = minimal()
    data["vector_units"][0]["formats"] = ["int9"]
    with pytest.raises(SpecError, match=r"vector_units\[0\].formats: expected a format .* got 'int9'"):
        validate_device_spec(data, "x.yaml")


def test_measured_is_a_third_provenance():
    data = minimal()
    data["matrix_engines"][0]["rows"] = {"value": 4, "measured": "gemm float32 256x1280x2560, 7 repeats, median"}
    spec = validate_device_spec(data, "x.yaml")
    assert spec.matrix_engines[0].rows.measured.startswith("gemm")
    assert spec.matrix_engines[0].rows.source is None


@pytest.mark.parametrize("provenance, found", [
    ({"measured": "bench", "source": "paper"}, "got two"),
    ({"measured": "bench", "assumption": "why"}, "got two"),
    ({"measured": "bench", "source": "paper", "assumption": "why"}, "got all three"),
    ({"measured": "  "}, "got an empty one"),
])
def test_measured_keeps_exactly_one_provenance(provenance, found):
    data = minimal()
    data["matrix_engines"][0]["rows"] = {"value": 4, **provenance}
    with pytest.raises(SpecError, match=found):
        validate_device_spec(data, "x.yaml")


def test_calibration_table_is_optional_and_validated():
    data = minimal()
    row = {"benchmark": "gemm", "dtype": "float32", "shape": [1, 640, 2560], "repeats": 5, "median_s": 1e-4,
           "work": 3.2768e6, "work_unit": "flop", "rate_per_s": 3.2768e10}
    data["calibration"] = {"machine": {"cpu_model": "x", "cores": 2}, "measurements": [row]}
    spec = validate_device_spec(data, "x.yaml")
    assert spec.calibration.measurements[0].shape == [1, 640, 2560]
    data["calibration"]["measurements"][0]["work_unit"] = "flops"
    with pytest.raises(SpecError, match="work_unit"):
        validate_device_spec(data, "x.yaml")
