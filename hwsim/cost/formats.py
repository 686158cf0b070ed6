"""Number formats and precision-pair spellings, re-exported from `hwsim.formats` (the one format module)."""

from __future__ import annotations

from hwsim.formats import (  # noqa: F401  (re-exported for existing imports)
    ALIASES, FLOAT_FORMATS, FORMAT_BITS, PAIR_SEPARATOR, NumberFormat, format_names, pair_name, parse_format,
    split_pair,
)
