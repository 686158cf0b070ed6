"""Hypothesis fuzz of every spec loader, the readers and the override parser: any input ends in a value or in
one HwsimError whose lines are single lines; never another exception. Deterministic (derandomize) and bounded
(a fixed number of examples per loader, a few seconds each)."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from hwsim.cost.hardware import build_device  # noqa: E402
from hwsim.errors import HwsimError  # noqa: E402
from hwsim.graph.architecture import build_graph  # noqa: E402
from hwsim.io.limits import check_workload_limits  # noqa: E402
from hwsim.io.paths import CLAIMS_DIR, DEVICES_DIR, MODELS_DIR, PRECISIONS_DIR  # noqa: E402
from hwsim.precision.plan import plan_precision  # noqa: E402
from hwsim.io.readers import decode_text, parse_yaml_text  # noqa: E402
from hwsim.decode.schedule_io import schedule_from_dict_or_error  # noqa: E402
from hwsim.size.claims import check_claims  # noqa: E402
from hwsim.specs.claims import ClaimsSpec  # noqa: E402
from hwsim.specs.device import validate_device_spec  # noqa: E402
from hwsim.specs.load import validate_spec  # noqa: E402
from hwsim.specs.overrides import apply_overrides  # noqa: E402
from hwsim.specs.precision import PrecisionSpec  # noqa: E402
from hwsim.specs.workload import WorkloadSpec  # noqa: E402

FUZZ = settings(max_examples=120, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0, 1, -1, 1e-320, 1e308, 2**63, 0.5]),
    st.text(max_size=12), st.sampled_from(["", "int4", "conformer", "blstm", "\x1b[2J", "a\nb", "sawb", "max"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


def paths_of(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths_of(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths_of(value, path + (index,))
    return found


def mutate(base: dict, path: tuple, action: str, value: Any) -> dict:
    data = copy.deepcopy(base)
    if not path:
        return value if action == "replace" else data
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if action == "replace":
        parent[path[-1]] = value
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[f"{path[-1]}_extra"] = value
    return data


def check_outcome(load: Callable[[Any], Any], data: Any) -> None:
    try:
        load(data)
    except HwsimError as error:
        for line in error.lines():
            assert "\n" not in line and "\x1b" not in line, line
            assert line.strip(), "empty message"


def mutation_test(source: Path, load: Callable[[Any], Any]) -> Callable[..., None]:
    base = yaml.safe_load(source.read_text())
    paths = paths_of(base)

    @FUZZ
    @given(path=st.sampled_from(paths), action=st.sampled_from(["replace", "delete", "add"]), value=values)
    def run(path, action, value):
        check_outcome(load, mutate(base, path, action, value))
    return run


def load_workload_data(data: Any) -> None:
    spec = validate_spec(WorkloadSpec, data if isinstance(data, dict) else {}, "fuzz.yaml")
    check_workload_limits(spec, "fuzz.yaml")
    build_graph(spec)


IBM_GRAPH = None


def load_precision_data(data: Any) -> None:
    global IBM_GRAPH
    if IBM_GRAPH is None:
        IBM_GRAPH = build_graph(validate_spec(WorkloadSpec, yaml.safe_load(
            (MODELS_DIR / "ibm_rnnt_swb.yaml").read_text()), "ibm"))
    spec = validate_spec(PrecisionSpec, data if isinstance(data, dict) else {}, "fuzz.yaml")
    plan_precision(spec, IBM_GRAPH, "fuzz.yaml")


def load_device_data(data: Any) -> None:
    build_device(validate_device_spec(data if isinstance(data, dict) else {}, "fuzz.yaml"), "fuzz.yaml")


def load_claims_data(data: Any) -> None:
    check_claims(validate_spec(ClaimsSpec, data if isinstance(data, dict) else {}, "fuzz.yaml"), Path("fuzz.yaml"))


LOADERS = {
    "workload_blstm": (MODELS_DIR / "ibm_rnnt_swb.yaml", load_workload_data),
    "workload_conformer": (MODELS_DIR / "usm_rnnt_1b.yaml", load_workload_data),
    "workload_hybrid": (MODELS_DIR / "dblstm_hmm_300.yaml", load_workload_data),
    "precision": (PRECISIONS_DIR / "ibm_rnnt_swb" / "int4.yaml", load_precision_data),
    "device": (DEVICES_DIR / "ibm_7nm_ai_chip.yaml", load_device_data),
    "device_tpu": (DEVICES_DIR / "tpu_v4.yaml", load_device_data),
    "claims": (CLAIMS_DIR / "ibm_shares.yaml", load_claims_data),
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_spec_loader_fuzz(name):
    source, load = LOADERS[name]
    mutation_test(source, load)()


@FUZZ
@given(st.binary(max_size=300))
def test_yaml_reader_fuzz(raw):
    check_outcome(lambda data: parse_yaml_text(decode_text(data, "fuzz.yaml"), "fuzz.yaml"), raw)


@FUZZ
@given(st.text(max_size=60))
def test_yaml_reader_text_fuzz(text):
    check_outcome(lambda data: parse_yaml_text(data, "fuzz.yaml"), text)


OVERRIDE_BASE = yaml.safe_load((MODELS_DIR / "ibm_rnnt_swb.yaml").read_text())
override_text = st.one_of(
    st.text(max_size=40),
    st.builds(lambda plus, key, index, value: f"{plus}{key}{index}={value}",
              st.sampled_from(["", "+", " +"]),
              st.sampled_from(["encoder.hidden_dim", "encoder", "decoding.x", "a.b.c", "", ".", "encoder..x",
                               "inferred", "encoder.num_layers.x", "source"]),
              st.sampled_from(["", "[0]", "[99]", ".0", "[x]", "]["]), st.text(max_size=20)),
)


@FUZZ
@given(st.lists(override_text, max_size=3))
def test_override_parser_fuzz(overrides):
    def load(items):
        data = apply_overrides(OVERRIDE_BASE, items, "fuzz.yaml")
        load_workload_data(data)
    check_outcome(load, overrides)


@FUZZ
@given(values)
def test_decode_trace_fuzz(data):
    check_outcome(lambda d: schedule_from_dict_or_error(d if isinstance(d, dict) else {"x": d}, "t.json"), data)


def test_fuzz_is_deterministic_and_can_fail():
    """The harness reports a non-HwsimError (it is not a test that cannot fail)."""
    with pytest.raises(ZeroDivisionError):
        check_outcome(lambda data: 1 / data, 0)
    assert math.isfinite(FUZZ.max_examples)
