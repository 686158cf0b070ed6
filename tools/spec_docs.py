"""docs/specs.md: the spec-file reference, generated from the pydantic models' JSON Schema and the shipped files.

Every object of every spec kind gets a table with one row per key: type and limits (from the schema), whether
it is required or its default, the unit (from the key's suffix, the project's naming convention), the field
description and an example value taken from a shipped file. tools/gen_spec_docs.py writes the page and the
JSON Schema files; tests/unit/specs/test_reference.py fails when either is out of date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import yaml

from hwsim.io.paths import CLAIMS_DIR, DEVICES_DIR, MODELS_DIR, PRECISIONS_DIR, SPEEDUP_CLAIMS_DIR, display_path
from hwsim.specs.device import SOURCE_HELP
from hwsim.specs.schema import MODELINE_PREFIX, SPEC_MODELS, modeline, schema_file, spec_json_schema
from tools.spec_sources import render_sources

# Key-name suffix -> unit, most specific first (README "Conventions"; decimal unless the name says gib/mib).
UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_gbit_per_s", "Gbit/s = 1e9 bits per second"),
    ("_gb_per_s", "GB/s = 1e9 bytes per second"),
    ("price_per_hour_usd", "US dollars per hour"),
    ("_tflops", "TFLOP/s = 1e12 floating-point ops per second (a MAC is 2 ops)"),
    ("_tops", "TOP/s = 1e12 integer ops per second (a MAC is 2 ops)"),
    ("flops_per_cycle_per_core", "FLOP per clock cycle per core (a MAC is 2)"),
    ("ops_per_cycle", "ops per clock cycle (a MAC is 2 ops)"),
    ("ops_per_element", "vector-unit ops per element"),
    ("ops_per_token", "ops per active search token"),
    ("_per_frame", "per encoder frame"),
    ("_per_hyp", "per hypothesis"),
    ("_per_s", "per second"),
    ("_bytes", "bytes"),
    ("_bits", "bits"),
    ("_hz", "Hz (clock cycles per second)"),
    ("_pct", "percent"),
    ("_prob", "probability, 0 to 1"),
    ("_s", "seconds"),
    ("_w", "watts"),
    ("_dim", "elements (vector width)"),
    ("block_size", "weights per scale (along block_axis)"),
)

EXAMPLE_WIDTH = 60


def unit_of(key: str) -> str:
    """The unit a key's name promises, or '' for a unitless key."""
    return next((unit for suffix, unit in UNIT_SUFFIXES if key.endswith(suffix)), "")


KIND_DIRS = {"device": DEVICES_DIR, "workload": MODELS_DIR, "precision": PRECISIONS_DIR, "claims": CLAIMS_DIR,
             "speedup_claims": SPEEDUP_CLAIMS_DIR}
KIND_GLOBS = {"precision": "**/*.yaml"}  # the others: files directly in their folder
# the complete example printed for each kind: short, and showing the kind's main features
EXAMPLE_FILES = {"device": "systolic_128.yaml", "workload": "lstm_rnnt_small.yaml", "precision": "ibm_rnnt_swb/int4.yaml",
                 "claims": "ibm_shares.yaml", "speedup_claims": "fasoli_fig1a.yaml"}


def shipped_files(kind: str) -> list[Path]:
    """The shipped YAML files of one spec kind (package data)."""
    return sorted(KIND_DIRS[kind].glob(KIND_GLOBS.get(kind, "*.yaml")))


def _short_name(kind: str, path: Path) -> str:
    return path.relative_to(KIND_DIRS[kind]).with_suffix("").as_posix()


# ---- type rendering ----


def _def_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _anchor(name: str) -> str:
    return name.lower()


def _limits(node: dict[str, Any]) -> str:
    parts = []
    for key, sign in (("exclusiveMinimum", ">"), ("minimum", ">="), ("exclusiveMaximum", "<"), ("maximum", "<=")):
        if key in node:
            parts.append(f"{sign} {node[key]:g}")
    if node.get("minLength") == 1:
        parts.append("non-empty")
    if node.get("minItems"):
        parts.append(f"at least {node['minItems']}")
    return ", ".join(parts)


def render_type(node: dict[str, Any]) -> str:
    """A schema node as short Markdown: `number > 0`, `list of [MatrixEngineSpec](#matrixenginespec)`, ..."""
    if "$ref" in node:
        name = _def_name(node["$ref"])
        return f"[{name}](#{_anchor(name)})"
    for key in ("anyOf", "oneOf"):
        if key in node:
            branches = [b for b in node[key] if b.get("type") != "null"]
            text = " or ".join(render_type(b) for b in branches)
            tag = node.get("discriminator", {}).get("propertyName")
            text += f" (chosen by `{tag}`)" if tag else ""
            return text + (" or null" if len(branches) < len(node[key]) else "")
    if "allOf" in node:
        return " and ".join(render_type(b) for b in node["allOf"])
    if "const" in node:
        return f"`{node['const']}`"
    if "enum" in node:
        return "one of " + ", ".join(f"`{v}`" for v in node["enum"])
    kind = node.get("type", "any")
    limits = _limits(node)
    if kind == "array":
        if "prefixItems" in node:
            return "[" + ", ".join(render_type(item) for item in node["prefixItems"]) + "]"
        text = f"list of {render_type(node.get('items', {}))}"
        return f"{text} ({limits})" if limits else text
    if kind == "object":
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            return f"map of name to {render_type(extra)}"
        return "mapping"
    return f"{limits} {kind}" if limits == "non-empty" else f"{kind} {limits}".strip()


# ---- examples from shipped files ----


def _matches(branch: dict[str, Any], defs: dict[str, Any], value: Any) -> bool:
    """Whether a union branch is the one a YAML value was written for (by its keys and `kind`)."""
    if "$ref" not in branch:
        return branch.get("type") != "null" and not isinstance(value, dict)
    target = defs[_def_name(branch["$ref"])]
    properties = target.get("properties", {})
    if not isinstance(value, dict) or not set(value) <= set(properties):
        return False
    tag = properties.get("kind", {}).get("const")
    return tag is None or value.get("kind") == tag


def _visit(node: dict[str, Any], defs: dict[str, Any], value: Any, origin: str,
           found: dict[tuple[str, str], tuple[Any, str]], section: str | None = None) -> None:
    """Walk a YAML value along its schema, keeping the first value seen for each (object, key)."""
    if "$ref" in node or section is not None:
        name = section or _def_name(node["$ref"])
        properties = (defs.get(name) or {}).get("properties", {}) if section is None else node.get("properties", {})
        if isinstance(value, dict):
            for key, item in value.items():
                if key in properties:
                    found.setdefault((name, key), (item, origin))
                    _visit(properties[key], defs, item, origin, found)
        return
    for key in ("anyOf", "oneOf"):
        for branch in node.get(key, ()):
            if _matches(branch, defs, value):
                _visit(branch, defs, value, origin, found)
                return
    if node.get("type") == "array" and isinstance(value, list):
        items = node.get("prefixItems")
        for index, item in enumerate(value):
            _visit(items[index] if items and index < len(items) else node.get("items", {}), defs, item, origin, found)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and isinstance(value, dict):
        for item in value.values():
            _visit(extra, defs, item, origin, found)


def _examples(kind: str, schema: dict[str, Any]) -> dict[tuple[str, str], tuple[Any, str]]:
    found: dict[tuple[str, str], tuple[Any, str]] = {}
    for path in shipped_files(kind):
        data = yaml.safe_load(path.read_text())
        _visit(schema, schema.get("$defs", {}), data, _short_name(kind, path), found, section=ROOT)
    return found


def _example(value: Any) -> Any:
    """What an example cell shows: a figure's value, scalars as they are; nested objects have their own tables."""
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
        return None
    return value


def _show(value: Any) -> str:
    text = value if isinstance(value, str) and value and "\n" not in value else json.dumps(value, default=str)
    text = " ".join(str(text).split())
    if len(text) > EXAMPLE_WIDTH:
        text = text[: EXAMPLE_WIDTH - 3] + "..."
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


# ---- sections ----

ROOT = "(top level)"


def _sections(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], list[str]]]:
    """(name, object schema, key paths where it is used) for the root and every object it reaches, in file order."""
    defs = schema.get("$defs", {})
    order: list[str] = []
    used_at: dict[str, list[str]] = {}

    def refs(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                name = _def_name(node["$ref"])
                used_at.setdefault(name, [])
                if path not in used_at[name]:
                    used_at[name].append(path)
                if name not in order:
                    order.append(name)
                    for key, sub in defs[name].get("properties", {}).items():
                        refs(sub, f"{path}.{key}")
                return
            for key, sub in node.items():
                suffix = {"items": "[]", "additionalProperties": ".<name>"}.get(key, "")
                refs(sub, path + suffix)
        elif isinstance(node, list):
            for sub in node:
                refs(sub, path)

    for key, sub in schema.get("properties", {}).items():
        refs(sub, key)
    yield ROOT, schema, []
    for name in order:
        if defs[name].get("type") == "object" or "properties" in defs[name]:
            yield name, defs[name], used_at[name]


def _default(node: dict[str, Any], required: bool) -> str:
    if required:
        return "required"
    if "default" not in node:
        return "optional"
    return f"default {_show(node['default'])}"


def _rows(name: str, obj: dict[str, Any], examples: dict[tuple[str, str], tuple[Any, str]]) -> list[str]:
    required = set(obj.get("required", ()))
    lines = ["| key | type | required / default | unit | description | example (shipped file) |",
             "|---|---|---|---|---|---|"]
    for key, node in obj.get("properties", {}).items():
        example = examples.get((name, key))
        shown_value = _example(example[0]) if example else None
        shown = f"{_show(shown_value)} ({example[1]})" if shown_value is not None else ""
        description = " ".join(node.get("description", "").split()).replace("|", "\\|")
        lines.append(f"| `{key}` | {render_type(node)} | {_default(node, key in required)} | {unit_of(key)} "
                     f"| {description} | {shown} |")
    return lines


def _enum_sections(schema: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for name, node in schema.get("$defs", {}).items():
        if "enum" in node:
            description = " ".join(node.get("description", "").split())
            lines += [f"#### {name}", ""] + ([description, ""] if description else []) + [render_type(node), ""]
    return lines


KIND_INTRO = {
    "device": "One accelerator or host per file, under `devices/` (a shipped name is the file stem). "
              "Every figure is a mapping `{value: ..., source: \"...\"}` (a citation; source IDs resolve in "
              "[sources.md](sources.md)), `{value: ..., assumption: \"why\"}` or, in files written by "
              "`hwsim calibrate`, `{value: ..., measured: \"...\"}`; the unit column gives the unit of `value`.",
    "workload": "A model's architecture hyper-parameters, under `workloads/models/`. Values the paper "
                "leaves unstated are listed under `inferred:` with how they were derived.",
    "precision": "Which tensor gets which number format, under `workloads/precisions/` (generic) or "
                 "`precisions/<workload>/`. Rules apply in order; a later matching rule replaces an earlier one's "
                 "`weights` (or `activations`); a rule that matches nothing is an error.",
    "claims": "Published figures that `hwsim check` recomputes, under `workloads/claims/`.",
    "speedup_claims": "Published speed-ups, under `workloads/claims/speedups/`: `hwsim sweep` draws them "
                      "on its speed-up plot when the run covers the claim's workload, both precisions and (if given) "
                      "its device.",
}


def render_kind(kind: str) -> list[str]:
    schema = spec_json_schema(kind)
    examples = _examples(kind, schema)
    example_file = KIND_DIRS[kind] / EXAMPLE_FILES[kind]
    lines = [f"## {kind}", "", KIND_INTRO[kind], "",
             f"JSON Schema: `hwsim schema {kind}` (also shipped as `{display_path(schema_file(kind))}`). "
             f"A complete example ends this section.", ""]
    for name, obj, used_at in _sections(schema):
        lines += [f"### {kind} file, top level" if name == ROOT else f"### {name}", ""]
        if used_at:
            lines += ["At " + ", ".join(f"`{path}`" for path in used_at) + ".", ""]
        description = obj.get("description", "") if name != ROOT else ""
        if not description and {"value", "source", "assumption", "measured"} <= set(obj.get("properties", {})):
            description = f"A figure: `value` plus {SOURCE_HELP}. The unit is the one of the key holding it."
        if description:
            lines += [" ".join(description.split()), ""]
        lines += _rows(name, obj, examples) + [""]
    enums = _enum_sections(schema)
    if enums:
        lines += ["### Value sets", ""] + enums
    lines += [f"### Example: `{display_path(example_file)}`", "", "```yaml",
              example_file.read_text().rstrip("\n"), "```", ""]
    return lines


HEADER = """# Spec file reference

<!-- Generated by tools/gen_spec_docs.py from the pydantic models in hwsim/specs/ and the shipped files;
     do not edit by hand (tests/unit/specs/test_reference.py checks it is current). -->

hwsim reads five kinds of YAML file: **device**, **workload**, **precision**, **claims** and **speedup_claims**. Each starts with
`schema_version: 1`; unknown keys are errors (with a did-you-mean hint). `hwsim schema KIND` prints the JSON
Schema of a kind; the shipped files name theirs in a first line

    # yaml-language-server: $schema=../schemas/device.json

which YAML editors (VS Code's YAML extension, any yaml-language-server client) use for completion and checks.

Units are in key names: `_s` seconds, `_bytes` bytes, `_bits` bits, `_hz` Hz, `_gb_per_s` 1e9 bytes/s,
`_gbit_per_s` 1e9 bits/s, `_w` watts, `_pct` percent; quantities are decimal (1e9) unless the name says
`gib`/`mib` (2^30). A MAC is 2 ops. The unit column below is derived from these suffixes.

Contents: [device](#device), [workload](#workload), [precision](#precision), [claims](#claims),
[speedup_claims](#speedup_claims).
"""


def render_spec_reference() -> str:
    lines = [HEADER]
    for kind in SPEC_MODELS:
        lines += render_kind(kind)
    return "\n".join(lines).rstrip("\n") + "\n"


def render_schema_files() -> dict[Path, str]:
    return {schema_file(kind): json.dumps(spec_json_schema(kind), indent=2) + "\n" for kind in SPEC_MODELS}


def generated_files(docs_dir: Path) -> dict[Path, str]:
    """Every generated file and its current text: docs/specs.md, docs/sources.md (from docs/hardware.md), the
    schemas and the shipped YAML files with their schema first line."""
    sources = render_sources((docs_dir / "hardware.md").read_text())
    files = {docs_dir / "specs.md": render_spec_reference(), docs_dir / "sources.md": sources, **render_schema_files()}
    for kind in SPEC_MODELS:
        for path in shipped_files(kind):
            files[path] = with_modeline(kind, path, path.read_text())
    return files


def with_modeline(kind: str, path: Path, text: str) -> str:
    """The file's text with the schema modeline as its first line (replacing an older one)."""
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith(MODELINE_PREFIX):
        lines = lines[1:]
    return modeline(kind, path) + "\n" + "".join(lines)
