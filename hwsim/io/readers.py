"""Every read of a user file (YAML, JSON, .npy, .npz): decoding, size, depth and format failures become one SpecError.

The readers check what can be checked before reading (file size, an array's declared shape and dtype) so a
hostile or mistaken file costs milliseconds, not gigabytes.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from hwsim.errors import SpecError
from hwsim.io.limits import MAX_ARRAY_BYTES, MAX_JSON_FILE_BYTES, MAX_NESTING_DEPTH, MAX_NODES, MAX_SPEC_FILE_BYTES

# libyaml's parser is ~50x faster than the pure-Python one (a 2.6 MB file: 16 s -> well under 1 s); both give the
# same Python objects for the safe subset.
YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_bytes(path: str | Path, limit: int, what: str = "file") -> bytes:
    """The file's bytes, or a SpecError: missing, a folder, unreadable, or larger than `limit`."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise SpecError(path, "", f"expected a {what}, got a folder")
        if size > limit:
            raise SpecError(path, "", f"expected a {what} of at most {limit:,} bytes (limit), got {size:,} bytes")
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)  # a device or a pipe (/dev/zero) reports size 0: read one byte past
        if len(data) > limit:
            raise SpecError(path, "", f"expected a {what} of at most {limit:,} bytes (limit), got more")
        return data
    except FileNotFoundError:
        raise SpecError(path, "", "file not found") from None
    except OSError as error:
        raise SpecError(path, "", f"cannot read file ({error.strerror or error})") from None


def decode_text(data: bytes, path: str | Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SpecError(path, "", f"expected UTF-8 text, got byte 0x{data[error.start]:02x} at offset {error.start}") from None


def check_shape_of_tree(data: Any, path: str | Path) -> None:
    """Nesting depth and node count (aliases counted each time they are used), iteratively: no RecursionError."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise SpecError(path, "", f"expected at most {MAX_NODES:,} values (limit; YAML aliases count each use)")
        if depth > MAX_NESTING_DEPTH:
            raise SpecError(path, "", f"expected nesting at most {MAX_NESTING_DEPTH} deep (limit)")
        if isinstance(node, dict):
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)


MERGE_TAG = "tag:yaml.org,2002:merge"


def check_unique_keys(root: yaml.Node | None, path: str | Path) -> None:
    """A key given twice in one mapping is an error (PyYAML keeps the last silently: `clock_hz` twice in a device
    file would use the second). Walks the composed node graph once per node (aliases are not re-walked), before
    anything is constructed; merge keys (`<<: *base`) may be overridden, as YAML means them to be."""
    stack: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    seen_nodes: set[int] = set()
    while stack:
        node, where = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], yaml.Node] = {}
            for key_node, value_node in node.value:
                if key_node.tag == MERGE_TAG:
                    continue
                if isinstance(key_node, yaml.ScalarNode):
                    key = (key_node.tag, key_node.value)
                    if key in first:
                        line = first[key].start_mark.line + 1
                        shown = f"{where}.{key_node.value}" if where else str(key_node.value)
                        raise SpecError(path, shown, f"expected each key once per mapping, got it again at line "
                                        f"{key_node.start_mark.line + 1} (first at line {line})")
                    first[key] = key_node
                    child = f"{where}.{key_node.value}" if where else str(key_node.value)
                else:
                    child = where
                stack.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, f"{where}[{index}]") for index, item in enumerate(node.value))


def _load_checked(text: str, path: str | Path) -> Any:
    """yaml.load with the duplicate-key check between composing and constructing (same parser, same objects)."""
    loader = YamlLoader(text)
    try:
        root = loader.get_single_node()
        check_unique_keys(root, path)
        return None if root is None else loader.construct_document(root)
    finally:
        loader.dispose()


def parse_yaml_text(text: str, path: str | Path) -> Any:
    try:
        data = _load_checked(text, path)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise SpecError(path, where, f"valid YAML ({problem})") from None
    except RecursionError:
        raise SpecError(path, "", f"expected nesting at most {MAX_NESTING_DEPTH} deep (limit)") from None
    except (ValueError, TypeError, OverflowError) as error:  # e.g. a date out of range, an unhashable key
        raise SpecError(path, "", f"valid YAML ({error})") from None
    check_shape_of_tree(data, path)
    return data


def read_yaml_document(path: str | Path) -> Any:
    """Any YAML document of a user file (size-, depth- and encoding-checked)."""
    return parse_yaml_text(decode_text(read_bytes(path, MAX_SPEC_FILE_BYTES, "YAML file"), path), path)


def read_yaml_mapping(path: str | Path) -> dict[str, Any]:
    data = read_yaml_document(path)
    if not isinstance(data, dict):
        raise SpecError(path, "", "a YAML mapping at the top level", type(data).__name__)
    return data


def _reject_constant(name: str) -> float:
    raise ValueError(f"a finite number, got {name}")


def read_json(path: str | Path) -> Any:
    """Strict JSON (no NaN/Infinity) of a user file (size-, depth- and encoding-checked)."""
    text = decode_text(read_bytes(path, MAX_JSON_FILE_BYTES, "JSON file"), path)
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise SpecError(path, f"line {error.lineno}", f"valid JSON ({error.msg})") from None
    except ValueError as error:
        raise SpecError(path, "", f"expected {error}") from None
    except RecursionError:
        raise SpecError(path, "", f"expected nesting at most {MAX_NESTING_DEPTH} deep (limit)") from None
    check_shape_of_tree(data, path)
    return data


def check_array_header(shape: tuple[int, ...], dtype: np.dtype, path: str | Path, key: str) -> None:
    """Before reading: a numeric dtype and a declared size under the limit (a header may claim 10^12 elements)."""
    if dtype.hasobject or dtype.kind not in "biuf":
        raise SpecError(path, key, "expected a numeric array (bool, int or float)", f"dtype {dtype}")
    count = math.prod(shape)
    if count * dtype.itemsize > MAX_ARRAY_BYTES:
        raise SpecError(path, key, f"expected an array of at most {MAX_ARRAY_BYTES:,} bytes (limit)",
                        f"shape {tuple(shape)} of {dtype} ({count * dtype.itemsize:,} bytes)")


def read_npy_header(handle: Any) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(handle)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return read_header(handle)


def load_npy(path: str | Path, key: str = "input", mmap: bool = False) -> np.ndarray:
    """A numeric .npy array; header checked before the data is read. `mmap`: map instead of reading (large inputs)."""
    file = Path(path)
    if not file.is_file():
        raise SpecError(path, key, "expected an existing .npy file", "no such file")
    try:
        with open(file, "rb") as handle:
            shape, _, dtype = read_npy_header(handle)
        check_array_header(tuple(shape), dtype, path, key)
        array = np.load(file, allow_pickle=False, mmap_mode="r" if mmap else None)
    except SpecError:
        raise
    except (ValueError, OSError, EOFError) as error:
        raise SpecError(path, key, "expected a numpy .npy array", str(error).splitlines()[0] if str(error) else "") from None
    return array


def npz_shapes(path: str | Path, key: str = "--weights") -> dict[str, tuple[int, ...]]:
    """Every array's shape in a .npz, from the headers (checked) without loading the data."""
    file = Path(path)
    if not file.is_file():
        raise SpecError(path, key, "expected an existing .npz file", "no such file")
    shapes = {}
    try:
        with zipfile.ZipFile(file) as archive:
            for member in archive.namelist():
                if not member.endswith(".npy"):
                    continue
                with archive.open(member) as handle:
                    shape, _, dtype = read_npy_header(handle)
                check_array_header(tuple(shape), dtype, path, member[: -len(".npy")])
                shapes[member[: -len(".npy")]] = tuple(shape)
    except SpecError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as error:
        raise SpecError(path, key, "expected a numpy .npz archive (np.savez)", str(error).splitlines()[0]) from None
    return shapes


def load_npz_archive(path: str | Path, key: str = "--weights") -> Any:
    """np.load of a checked .npz (call npz_shapes first): members are read lazily, one at a time."""
    try:
        return np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise SpecError(path, key, "expected a numpy .npz archive (np.savez)", str(error).splitlines()[0]) from None


def npz_member(archive: Any, name: str, path: str | Path) -> np.ndarray:
    """One array of an open np.load(.npz) archive; a bad CRC or truncated member is a SpecError."""
    try:
        return archive[name]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as error:
        raise SpecError(path, name, "expected a readable numpy array", str(error).splitlines()[0]) from None
