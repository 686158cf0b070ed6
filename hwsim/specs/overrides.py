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
        node: Any = result
        for depth, key in enumerate(keys):
            path = ".".join(keys[: depth + 1])
            if isinstance(node, list):
                if not key.isdigit() or int(key) >= len(node):
                    raise SpecError(file, path, f"{flag} with a list index below {len(node)}", key)
                index: Any = int(key)
            elif isinstance(node, dict) and key in node:
                index = key
            else:
                known = list(node) if isinstance(node, dict) else []
                raise SpecError(file, path, f"{flag} of an existing key{did_you_mean(key, known)}")
            if depth == len(keys) - 1:
                node[index] = value
            else:
                node = node[index]
    return result
