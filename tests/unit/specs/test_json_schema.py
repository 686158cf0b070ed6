"""The shipped JSON Schemas accept every shipped file as a YAML editor reads it (YAML 1.2 numbers, so `1.5e9`
is a float) and reject what the loader rejects: editors show no false errors and catch real ones."""

from __future__ import annotations

import re

import pytest
import yaml

from tools.spec_docs import shipped_files
from hwsim.specs.schema import SPEC_MODELS, spec_json_schema

jsonschema = pytest.importorskip("jsonschema")


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML is YAML 1.1, where `1.5e9` is a string; yaml-language-server reads YAML 1.2, where it is a float."""


Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$"),
    list("-+0123456789."))


def _errors(kind: str, data: object) -> list[str]:
    validator = jsonschema.Draft202012Validator(spec_json_schema(kind))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]


@pytest.mark.parametrize("kind", SPEC_MODELS)
def test_every_shipped_file_validates_against_its_schema(kind):
    files = shipped_files(kind)
    assert files
    for path in files:
        assert _errors(kind, yaml.load(path.read_text(), Loader=Yaml12Loader)) == [], path


def test_the_schema_rejects_a_misspelt_key_and_a_bad_value():
    data = yaml.load(shipped_files("workload")[0].read_text(), Loader=Yaml12Loader)
    assert _errors("workload", {**data, "encoderr": {}})
    assert _errors("workload", {**data, "input_frame_step_s": -1})
    device = yaml.load(shipped_files("device")[0].read_text(), Loader=Yaml12Loader)
    device["memory"][0]["capacity_bytes"] = 80  # a bare number where a sourced figure is required
    assert _errors("device", device)


def test_workload_schema_offers_the_published_joint_activations():
    """A ReLU joint (torchaudio's Emformer RNN-T, NeMo) is writable and checked by editors (issue 29)."""
    import json

    from hwsim.specs.schema import schema_file

    shipped = json.loads(schema_file("workload").read_text())
    joint = shipped["$defs"]["JointSpec"]["properties"]["activation"]
    assert {"tanh", "relu", "sigmoid", "none"} <= set(joint["enum"])
