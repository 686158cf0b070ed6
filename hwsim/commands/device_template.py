"""`hwsim devices --template NAME`: a device file to start your own from, with a header that says what to change.

The body is the named file's own text (its comments are the sources' explanations), so the template carries every
figure with its provenance; only the modeline (an absolute schema path, valid wherever the copy is saved) and
`name:` (so the copy cannot be mistaken for the original) change.
"""

from __future__ import annotations

import re
from typing import Any

from hwsim.errors import SpecError
from hwsim.io.paths import DEVICES_DIR, is_plain_name, resolve_spec_path, user_path
from hwsim.specs.load import read_yaml
from hwsim.specs.schema import MODELINE_PREFIX, schema_file

PROVENANCE = ("source", "assumption", "measured")
# Sections that describe the hardware (change these) vs the modelling knobs (keep unless you know better).
HARDWARE = ("matrix_engines", "vector_units", "memory", "host_link", "host_cpu", "gpu", "power_w",
            "price_per_hour_usd", "default_host")
NAME_LINE = re.compile(r"^name:.*$", re.M)


def figure_paths(node: Any, prefix: str = "") -> list[str]:
    """Key paths of every figure ({value, source|assumption|measured}) under `node`, in file order."""
    if isinstance(node, dict):
        if "value" in node and any(key in node for key in PROVENANCE):
            return [prefix]
        return [path for key, child in node.items() for path in figure_paths(child, f"{prefix}.{key}" if prefix else key)]
    if isinstance(node, list):
        return [path for index, child in enumerate(node) for path in figure_paths(child, f"{prefix}[{index}]")]
    return []


def _section_keys(section: str, paths: list[str]) -> str:
    """'matrix_engines[0].precisions.bf16xbf16.ops_per_cycle' -> 'precisions.PAIR.ops_per_cycle', deduplicated."""
    keys = [re.sub(r"precisions\.[^.]+\.", "precisions.PAIR.", re.sub(r"^[^.]*\.?", "", p)) for p in paths]
    return ", ".join(dict.fromkeys(key for key in keys if key))


def _check_pair(data: dict[str, Any]) -> str:
    """A pair the device runs natively, for the header's check command."""
    for engine in data.get("matrix_engines") or []:
        for pair, entry in (engine.get("precisions") or {}).items():
            if isinstance(entry, dict) and entry.get("support") == "native":
                return pair
    return "float32"


def _header(name: str, new_name: str, data: dict[str, Any], shown: str) -> list[str]:
    lines = [
        f"{MODELINE_PREFIX}{schema_file('device').as_posix()}",
        f"# Your own device, started from {name} ({shown}) by `hwsim devices --template {name}`.",
        f"# Save it as DIR/devices/{new_name}.yaml and use it as `--spec-dir DIR --device {new_name}` (`hwsim devices",
        "# --spec-dir DIR` lists it), or give its path: `--device path/to/file.yaml`.",
        "# Change the figures that describe your hardware, each with where its value comes from:",
        "# `{value: ..., source: \"datasheet, page\"}`, or `{value: ..., assumption: \"why this value\"}`:",
    ]
    for section in (key for key in data if key in HARDWARE):
        keys = _section_keys(section, figure_paths(data[section], section))
        lines.append(f"#   {section}" + (f": {keys}" if keys else ""))
    lines += [
        "# `modelling:` says how the simulator maps work onto the chip (dataflow, fusion, overlap, per-call",
        "# latency): keep it unless you know your compiler and runtime differ. Every key: `hwsim schema device`.",
        f"# Check the copy: hwsim gemm --device FILE --m 16 --k 640 --n 640 --precision {_check_pair(data)}",
    ]
    return lines


def device_template(name_or_path: str, new_name: str | None = None) -> str:
    """The template text of a shipped (or user) device: header, then the file's own body under a new name."""
    if new_name is not None and not is_plain_name(new_name):
        raise SpecError(None, "--name", "expected a device name (letters, digits, '_', '-', '.')", new_name)
    path = resolve_spec_path(name_or_path, DEVICES_DIR, "device")
    data = read_yaml(path)
    name = str(data.get("name", path.stem))
    new_name = new_name or f"my_{name}"
    text = path.read_text()
    body = [line for line in text.splitlines() if not line.startswith(MODELINE_PREFIX)]
    renamed = NAME_LINE.sub(f"name: {new_name}", "\n".join(body), count=1)
    return "\n".join(_header(name, new_name, data, user_path(path))) + "\n" + renamed.rstrip("\n") + "\n"
