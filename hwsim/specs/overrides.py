"""`--set key.path=value` overrides applied to a spec's raw mapping before validation.

    --set encoder.num_layers=12        replace an existing key (a typo is an error, with a suggestion)
    --set rules[0].weights.bits=4      list items by index: `rules[0]` or `rules.0`
    --set +decoding.top_prob=0.8        `+` adds a key that is not in the file (the spec still validates it)
"""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from hwsim.errors import SpecError, did_you_mean
from hwsim.io.readers import YamlLoader, check_shape_of_tree

ADD_MARKER = "+"
MAX_OVERRIDE_CHARS = 100_000
_SEGMENT = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")


def parse_key_path(key: str, text: str, flag: str) -> list[str]:
    """'rules[0].weights.bits' -> ['rules', '0', 'weights', 'bits'] (indices stay text; lists check them)."""
    keys: list[str] = []
    for segment in key.split("."):
        match = _SEGMENT.fullmatch(segment)
        if not match:
            raise SpecError(None, flag, "expected KEY.PATH=VALUE with non-empty keys (list items as a[0] or a.0)",
                            text)
        keys.append(match.group(1))
        keys += re.findall(r"\[(\d+)\]", match.group(2))
    return keys


def parse_value(raw: str) -> Any:
    """The value as YAML (so 640, 1e-6, true, [1, 2] keep their types); text that is not YAML stays text."""
    try:
        value = yaml.load(raw, Loader=YamlLoader)  # noqa: S506 -- a safe loader
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError):
        return raw
    check_shape_of_tree(value, "--set value")
    return value


def parse_override(text: str, flag: str = "--set") -> tuple[list[str], Any, bool]:
    """'+predictor.embed_dim=256' -> (['predictor', 'embed_dim'], 256, True); the bool says 'may add the key'."""
    if len(text) > MAX_OVERRIDE_CHARS:
        raise SpecError(None, flag, f"expected KEY.PATH=VALUE of at most {MAX_OVERRIDE_CHARS:,} characters",
                        f"{len(text):,} characters")
    if "=" not in text:
        raise SpecError(None, flag, "expected KEY.PATH=VALUE", text)
    key, raw = text.split("=", 1)
    key = key.strip()
    adds = key.startswith(ADD_MARKER)
    key = key.removeprefix(ADD_MARKER).strip()
    if not key:
        raise SpecError(None, flag, "expected KEY.PATH=VALUE", text)
    return parse_key_path(key, text, flag), parse_value(raw), adds


def apply_overrides(data: dict[str, Any], overrides: list[str], file: str, flag: str = "--set") -> dict[str, Any]:
    """A copy of `data` with each override set; the key path must exist unless the override starts with '+'."""
    result = copy.deepcopy(data)
    for text in overrides:
        keys, value, adds = parse_override(text, flag)
        set_path(result, keys, value, adds, file, flag)
    return result


def shown_path(keys: list[str]) -> str:
    """['rules', '0', 'weights'] -> 'rules[0].weights' (the spelling of validation errors)."""
    text = ""
    for key in keys:
        text += f"[{key}]" if key.isdigit() and text else (f".{key}" if text else key)
    return text


def set_path(root: dict[str, Any], keys: list[str], value: Any, adds: bool, file: str, flag: str) -> None:
    node: Any = root
    for depth, key in enumerate(keys):
        path = shown_path(keys[: depth + 1])
        last = depth == len(keys) - 1
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise SpecError(file, path, f"expected a list index below {len(node)} for {flag}", key)
            index: Any = int(key)
        elif isinstance(node, dict) and key in node:
            index = key
        elif isinstance(node, dict) and adds:
            index = key
            if not last:
                node[key] = {}  # '+a.b.c=1' creates the missing mappings on the way
        else:
            known = [str(k) for k in node] if isinstance(node, dict) else []
            what = "an existing key" if isinstance(node, dict) else "a key inside a mapping or list"
            hint = did_you_mean(key, known) if isinstance(node, dict) else ""
            extra = f"; '{flag} +{'.'.join(keys)}=...' adds a new key" if isinstance(node, dict) else ""
            extra = extra.replace("+" + ".".join(keys), "+" + shown_path(keys))
            raise SpecError(file, path, f"expected {what} for {flag}{hint}{extra}")
        if last:
            node[index] = value
        else:
            node = node[index]
