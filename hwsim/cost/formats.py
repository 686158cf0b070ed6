"""Number formats a tensor can be stored or computed in, and how precision pairs are spelled.

A precision pair names the weight format then the activation format, joined by 'x':
`int8xint8`, `bf16xbf16`, `int2xbf16` (2-bit weights, bf16 activations).
"""

from __future__ import annotations

from hwsim.formats import FLOAT_FORMATS, FORMAT_BITS, NumberFormat  # noqa: F401  (re-exported)


ALIASES: dict[str, NumberFormat] = {"fp32": NumberFormat.FLOAT32, "f32": NumberFormat.FLOAT32, "bfloat16": NumberFormat.BF16,
                                    "float16": NumberFormat.FP16, "fp8": NumberFormat.FP8_E4M3}
PAIR_SEPARATOR = "x"


def format_names() -> list[str]:
    return [f.value for f in NumberFormat]


def parse_format(text: str) -> NumberFormat | None:
    """'int8' -> NumberFormat.INT8; aliases (fp32, bfloat16) accepted; None when unknown."""
    text = text.strip().lower()
    if text in ALIASES:
        return ALIASES[text]
    try:
        return NumberFormat(text)
    except ValueError:
        return None


def pair_name(weight: NumberFormat, activation: NumberFormat) -> str:
    return f"{weight.value}{PAIR_SEPARATOR}{activation.value}"


def split_pair(text: str) -> tuple[NumberFormat, NumberFormat] | None:
    """'int2xbf16' -> (INT2, BF16); None when either side is not a known format."""
    left, sep, right = text.partition(PAIR_SEPARATOR)
    if not sep:
        return None
    weight, activation = parse_format(left), parse_format(right)
    if weight is None or activation is None:
        return None
    return weight, activation
