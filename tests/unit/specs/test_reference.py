"""The spec reference (docs/specs.md), the shipped JSON Schemas and the YAML schema lines are generated from
the pydantic models; these tests fail when a model or shipped file changed without regenerating them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from tools.spec_docs import generated_files, render_type, shipped_files, unit_of
from hwsim.specs.schema import MODELINE_PREFIX, SPEC_MODELS, schema_file, spec_json_schema

REPO = Path(__file__).parents[3]
DOCS_DIR = REPO / "docs"
DOCS = DOCS_DIR / "specs.md"
REGENERATE = "out of date: run `python tools/gen_spec_docs.py`"


# Generated once for the module: rendering every document takes ~1.5 s, and each case compares one file.
GENERATED = generated_files(DOCS_DIR)


@pytest.mark.parametrize("relative", sorted(str(p.relative_to(REPO)) for p in GENERATED))
def test_generated_file_is_current(relative):
    path = REPO / relative
    expected = GENERATED[path]
    assert path.is_file() and path.read_text() == expected, f"{path}: {REGENERATE}"


def _keys(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    keys: set[str] = set()
    if model in seen:
        return keys
    seen.add(model)
    for name, field in model.model_fields.items():
        keys.add(name)
        stack = [field.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                keys |= _keys(annotation, seen)
            stack += list(getattr(annotation, "__args__", ()) or ())
    return keys


@pytest.mark.parametrize("kind", SPEC_MODELS)
def test_every_key_of_every_model_has_a_row(kind):
    text = DOCS.read_text()
    section = text.split(f"\n## {kind}\n", 1)[1].split("\n## ", 1)[0]
    missing = [key for key in _keys(SPEC_MODELS[kind], set()) if f"| `{key}` |" not in section]
    assert not missing


def test_units_come_from_the_key_suffix():
    assert unit_of("latency_s").startswith("seconds")
    assert unit_of("bandwidth_gb_per_s").startswith("GB/s = 1e9 bytes")
    assert unit_of("link_gbit_per_s").startswith("Gbit/s = 1e9 bits")
    assert unit_of("capacity_bytes") == "bytes"
    assert unit_of("clock_hz").startswith("Hz")
    assert unit_of("hidden_dim").startswith("elements")
    assert unit_of("name") == ""


def test_a_figure_row_shows_its_unit_and_a_shipped_value():
    rows = [line for line in DOCS.read_text().splitlines() if line.startswith("| `clock_hz` |")]
    assert rows and all("Hz" in row for row in rows)
    assert any("(tpu_v" in row or "(ibm_7nm_ai_chip)" in row for row in rows)


def test_type_rendering():
    assert render_type({"type": "number", "exclusiveMinimum": 0}) == "number > 0"
    assert render_type({"anyOf": [{"$ref": "#/$defs/JointSpec"}, {"type": "null"}]}) == "[JointSpec](#jointspec) or null"
    assert render_type({"type": "array", "items": {"type": "integer"}}) == "list of integer"


@pytest.mark.parametrize("kind", SPEC_MODELS)
def test_shipped_files_name_their_schema_in_the_first_line(kind):
    for path in shipped_files(kind):
        first = path.read_text().splitlines()[0]
        assert first.startswith(MODELINE_PREFIX), path
        target = (path.parent / first[len(MODELINE_PREFIX):]).resolve()
        assert target == schema_file(kind).resolve(), path


@pytest.mark.parametrize("kind", SPEC_MODELS)
def test_schema_command_prints_the_model_schema(run_cli, kind):
    result = run_cli("schema", kind)
    assert result.code == 0
    printed = json.loads(result.out)
    assert printed == spec_json_schema(kind)
    assert printed["properties"].keys() == SPEC_MODELS[kind].model_json_schema()["properties"].keys()
    assert printed["additionalProperties"] is False


def test_schema_command_rejects_an_unknown_kind(run_cli):
    result = run_cli("schema", "devise")
    assert result.code == 2 and "unknown 'devise' (did you mean 'device'?)" in result.err
