"""Console tables: one fixed format per column, units in the headers, the same look in every verb.

Every verb that prints a table prints it through `render` (hwsim.commands.common.print_table), and also offers
the same rows as `--json` and `--csv` (docs/cli.md). The rules, so two runs and two verbs agree:

- A header names the quantity and its unit in brackets, taken from the column name's unit suffix
  (`total_time_s` -> `total time [ms]`, `size_gbit` -> `size [Gbit]`, `error_pct` -> `error [%]`).
- Times in seconds are shown in s, ms or us, whichever suits the column's largest value; fractions
  (`utilization`, `*_fraction`) as percent.
- One number format per column: integers with thousands separators; floats with the decimals that give the
  column's largest value four significant digits, or `1.234e-05` notation for the whole column when its values
  span more than five decades or are very small.
- A missing value (None, NaN) is `-`; a value that rounds to zero is never `-0.000`.
- Numbers are right-aligned, text left-aligned; columns are separated by two spaces, under a rule of dashes.

Only the standard library is imported here, so rendering costs nothing at start-up; a pandas DataFrame is
accepted through its `to_dict(orient="records")`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

MISSING = "-"
SIGNIFICANT = 4
MAX_DECIMALS = 6
MAX_DECADES = 5

# name suffix -> (unit shown in the header, factor applied to values); longest suffix first
UNIT_SUFFIXES: tuple[tuple[str, str, float], ...] = (
    ("_gb_per_s", "GB/s", 1.0), ("_tera_ops_per_s", "T ops/s", 1.0), ("_per_s", "/s", 1.0),
    ("_gbit", "Gbit", 1.0), ("_mbit", "Mbit", 1.0), ("_bits", "bits", 1.0), ("_bytes", "bytes", 1.0),
    ("_pct", "%", 1.0), ("_db", "dB", 1.0), ("_M", "M", 1.0), ("_ms", "ms", 1.0), ("_us", "us", 1.0),
    ("_w", "W", 1.0), ("_usd", "USD", 1.0),
)
FRACTIONS = ("utilization", "_fraction", "_share")
TIME_SCALES = ((1.0, "s", 1.0), (1e-3, "ms", 1e3), (0.0, "us", 1e6))


@dataclass(frozen=True)
class Column:
    """One column: the record key, its header, and how to show its values (chosen from the data when unset)."""

    key: str
    header: str | None = None
    unit: str | None = None
    scale: float = 1.0
    fmt: str | Callable[[Any], str] | None = None


def auto_column(key: str, values: Sequence[Any]) -> Column:
    """The header, unit and scale a column gets from its name (and, for times, its largest value)."""
    numbers = [abs(v) for v in values if _is_number(v) and math.isfinite(v)]
    if key.endswith("_s"):
        largest = max(numbers, default=1.0)
        unit, scale = next((u, s) for bound, u, s in TIME_SCALES if largest >= bound or bound == 0.0)
        return Column(key, _words(key[:-2]), unit, scale)
    if any(key == f or key.endswith(f) for f in FRACTIONS) and all(v <= 1.0 for v in numbers):
        return Column(key, _words(key), "%", 100.0)
    for suffix, unit, scale in UNIT_SUFFIXES:
        if key.endswith(suffix):
            return Column(key, _words(key[: -len(suffix)]), unit, scale)
    return Column(key, _words(key))  # a count, or a name that is its own unit (bytes, flops)


def time_columns(rows: Any, keys: Sequence[str], fmt: str | None = None) -> list[Column]:
    """Columns of seconds (`*_s` keys) that share one unit (s, ms or us, after their largest value), so the
    figures compare across columns as well as down them."""
    records = _records(rows)
    numbers = [abs(r[k]) for r in records for k in keys if _is_number(r.get(k)) and math.isfinite(r[k])]
    largest = max(numbers, default=1.0)
    unit, scale = next((u, s) for bound, u, s in TIME_SCALES if largest >= bound or bound == 0.0)
    return [Column(k, _words(k[:-2] if k.endswith("_s") else k), unit, scale, fmt) for k in keys]


def _words(name: str) -> str:
    return name.replace("_", " ").strip()


def header_text(column: Column) -> str:
    name = column.header if column.header is not None else _words(column.key)
    return f"{name} [{column.unit}]" if column.unit else name


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number_format(values: Sequence[Any]) -> str:
    """One format spec for a whole column of numbers (see the module docstring)."""
    if all(isinstance(v, int) for v in values):
        return ",d"
    finite = [abs(v) for v in values if math.isfinite(v) and v != 0]
    if not finite:
        return ".0f" if all(float(v).is_integer() for v in values if math.isfinite(v)) else ".3f"
    if all(float(v).is_integer() for v in values if math.isfinite(v)) and max(finite) < 1e15:
        return ",.0f"
    largest, smallest = max(finite), min(finite)
    decimals = SIGNIFICANT - 1 - math.floor(math.log10(largest))
    if decimals > MAX_DECIMALS or largest / smallest >= 10**MAX_DECADES:
        return f".{SIGNIFICANT - 1}e"
    return f",.{max(0, decimals)}f"


def format_value(value: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if spec.endswith("d") and not isinstance(value, int):  # an integer column that holds a float: no decimals
        spec = spec[:-1] + ".0f"
    text = format(value, spec)
    if re.fullmatch(r"-0(\.0*)?(e[+-]?0+)?", text.replace(",", "")):
        text = text[1:]  # a value that rounds to zero has no sign
    return text


def _plain(value: Any) -> Any:
    """numpy scalars and pandas missing values as Python numbers / None (duck-typed: no numpy import)."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    return value


def _records(rows: Any) -> list[dict[str, Any]]:
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):
        rows = rows.to_dict(orient="records")
    return [{k: _plain(v) for k, v in dict(row).items()} for row in rows]


def column_cells(column: Column, values: Sequence[Any]) -> tuple[list[str], bool]:
    """The column's cells as text and whether it is numeric (right-aligned)."""
    if callable(column.fmt):
        return [MISSING if v is None else column.fmt(v) for v in values], False
    present = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if present and all(_is_number(v) for v in present):
        scaled = [v * column.scale if column.scale != 1.0 else v for v in present]
        spec = column.fmt or number_format(scaled)
        return [format_value(None if v is None else (v * column.scale if column.scale != 1.0 else v), spec)
                for v in values], True
    return [MISSING if v is None else _text(v) for v in values], False


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "x".join(map(str, value))
    return str(getattr(value, "value", value))


def render(rows: Any, columns: Iterable[Column | str] | None = None) -> str:
    """The table's text (no trailing newline): header, rule, one line per record."""
    records = _records(rows)
    keys = list(columns) if columns is not None else list(records[0]) if records else []
    specs = [c if isinstance(c, Column) else auto_column(c, [r.get(c) for r in records]) for c in keys]
    cells, numeric = [], []
    for spec in specs:
        texts, is_number = column_cells(spec, [r.get(spec.key) for r in records])
        cells.append(texts)
        numeric.append(is_number)
    headers = [header_text(s) for s in specs]
    widths = [max([len(h), *map(len, col)]) for h, col in zip(headers, cells)]
    lines = [_line(headers, widths, numeric), _line(["-" * w for w in widths], widths, numeric)]
    lines += [_line([col[i] for col in cells], widths, numeric) for i in range(len(records))]
    return "\n".join(lines)


def _line(texts: Sequence[str], widths: Sequence[int], numeric: Sequence[bool]) -> str:
    return "  ".join(t.rjust(w) if n else t.ljust(w) for t, w, n in zip(texts, widths, numeric)).rstrip()


def render_mapping(pairs: Mapping[str, Any], key_header: str, value_column: Column) -> str:
    """A two-column table of name -> value (e.g. component -> seconds)."""
    return render([{key_header: k, value_column.key: v} for k, v in pairs.items()], [key_header, value_column])
