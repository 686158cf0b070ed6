"""JSON Schema of each spec file kind, generated from the pydantic models (the one source of truth).

`hwsim schema KIND` prints it; tools/gen_spec_docs.py writes it to schemas/KIND.json (beside devices/ and
workloads/), which the shipped YAML files name in their `# yaml-language-server: $schema=...` first line so
editors complete and check keys.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hwsim.io.paths import SCHEMAS_DIR
from hwsim.specs.claims import ClaimsSpec, SpeedupClaimsSpec
from hwsim.specs.device import DeviceSpec
from hwsim.specs.precision import PrecisionSpec
from hwsim.specs.workload import WorkloadSpec

SPEC_MODELS: dict[str, type[BaseModel]] = {
    "device": DeviceSpec,
    "workload": WorkloadSpec,
    "precision": PrecisionSpec,
    "claims": ClaimsSpec,
    "speedup_claims": SpeedupClaimsSpec,
}
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
MODELINE_PREFIX = "# yaml-language-server: $schema="


def spec_json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one spec kind, with its title and dialect."""
    schema = SPEC_MODELS[kind].model_json_schema()
    return {"$schema": JSON_SCHEMA_DIALECT, "title": f"hwsim {kind} spec (schema_version 1)", **
            {key: value for key, value in schema.items() if key != "title"}}


def schema_file(kind: str) -> Path:
    """Where the generated JSON Schema of a kind ships (schemas/, carried by the wheel)."""
    return SCHEMAS_DIR / f"{kind}.json"


def modeline(kind: str, yaml_file: str | Path) -> str:
    """The `# yaml-language-server: $schema=...` first line for a YAML file: the schema's path relative to it."""
    relative = os.path.relpath(schema_file(kind), Path(yaml_file).resolve().parent)
    return f"{MODELINE_PREFIX}{Path(relative).as_posix()}"
