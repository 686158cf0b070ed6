"""Unit constants, so that no model code writes a bare 1e9 or 2**30.

Quantities are decimal (SI) unless the name says gib/mib. `_gb_per_s` is 1e9 bytes/s;
`_gbit_per_s` is 1e9 bits/s. A MAC is 2 ops.
"""

BITS_PER_BYTE = 8
KILO = 1e3
MEGA = 1e6
GIGA = 1e9
TERA = 1e12
KIB = 2**10
MIB = 2**20
GIB = 2**30
US_PER_S = 1e6
NS_PER_S = 1e9
OPS_PER_MAC = 2


def bits_to_bytes(bits: float) -> float:
    return bits / BITS_PER_BYTE


def gbit(bits: float) -> float:
    """Bits -> billions of bits (1e9), the unit of the USM paper's Table 2."""
    return bits / GIGA
