"""Number formats a tensor can be stored or computed in: the one closed set every module shares."""

from __future__ import annotations

import enum

from hwsim.units import BITS_PER_BYTE


class NumberFormat(str, enum.Enum):
    """Element formats; the value is the spelling used in YAML and on the CLI."""

    FLOAT32 = "float32"
    BF16 = "bf16"
    FP16 = "fp16"
    FP8_E4M3 = "fp8_e4m3"
    FP8_E5M2 = "fp8_e5m2"
    HFP8 = "hfp8"          # IBM hybrid FP8 (1-4-3 forward / 1-5-2 backward), the 7 nm chip's format
    INT8 = "int8"
    INT4 = "int4"
    INT2 = "int2"
    INT1 = "int1"          # 2 levels {min, max} with scale + zero point (praxis asymmetric 1-bit)
    BINARY = "binary"      # sign in {-1, +1} times a scale (absmean binarization)

    @property
    def bits(self) -> int:
        return FORMAT_BITS[self]

    @property
    def bytes(self) -> float:
        """Storage bytes per element when packed densely (int4 = 0.5)."""
        return self.bits / BITS_PER_BYTE

    @property
    def is_float(self) -> bool:
        return self in FLOAT_FORMATS


FORMAT_BITS: dict[NumberFormat, int] = {
    NumberFormat.FLOAT32: 32, NumberFormat.BF16: 16, NumberFormat.FP16: 16, NumberFormat.FP8_E4M3: 8,
    NumberFormat.FP8_E5M2: 8, NumberFormat.HFP8: 8, NumberFormat.INT8: 8, NumberFormat.INT4: 4,
    NumberFormat.INT2: 2, NumberFormat.INT1: 1, NumberFormat.BINARY: 1,
}
FLOAT_FORMATS = frozenset({NumberFormat.FLOAT32, NumberFormat.BF16, NumberFormat.FP16, NumberFormat.FP8_E4M3,
                           NumberFormat.FP8_E5M2, NumberFormat.HFP8})


def is_quantized(fmt: NumberFormat) -> bool:
    """Integer/binary formats carry scales (metadata); float formats do not."""
    return fmt not in FLOAT_FORMATS


ALIASES: dict[str, NumberFormat] = {"fp32": NumberFormat.FLOAT32, "f32": NumberFormat.FLOAT32, "bfloat16": NumberFormat.BF16,
                                    "float16": NumberFormat.FP16, "fp8": NumberFormat.FP8_E4M3}
PAIR_SEPARATOR = "x"  # a precision pair names the weight format then the activation format: int2xbf16


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
