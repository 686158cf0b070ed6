"""`--set key.path=value` overrides applied to a spec's raw mapping before validation."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from hwsim.errors import SpecError, did_you_mean


def parse_override(text: str, flag: str = "--set") -> tuple[list[str], Any]:
    """'predictor.embed_dim=256' -> (['predictor', 'embed_dim'], 256); the value is parsed as YAML."""
    if "=" not in text:
        raise SpecError(None, flag, "expected KEY.PATH=VALUE", text)
    key, raw = text.split("=", 1)
    if not key.strip():
        raise SpecError(None, flag, "expected KEY.PATH=VALUE", text)
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = raw
    return key.strip().split("."), value


def apply_overrides(data: dict[str, Any], overrides: list[str], file: str, flag: str = "--set") -> dict[str, Any]:
    """A copy of `data` with each override set; the key path must already exist (typos are errors)."""
    result = copy.deepcopy(data)
    for text in overrides:
        keys, value = parse_override(text, flag)
        node = result
        for depth, key in enumerate(keys):
            if not isinstance(node, dict) or key not in node:
                known = list(node) if isinstance(node, dict) else []
                path = ".".join(keys[: depth + 1])
                raise SpecError(file, path, f"{flag} of an existing key{did_you_mean(key, known)}")
            if depth == len(keys) - 1:
                node[key] = value
            else:
                node = node[key]
    return result
