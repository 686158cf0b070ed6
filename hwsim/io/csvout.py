"""CSV files with a fixed number of significant digits, so identical runs give identical bytes.

Floats are printed with SIGNIFICANT_DIGITS significant digits (`%.10g`): summation order (worker processes,
dict order) moves only the last of Python's 17 digits, which this hides, while 10 digits keep every figure
far finer than any model input. Integers (parameter counts, bits) are written exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

SIGNIFICANT_DIGITS = 10
FLOAT_FORMAT = f"%.{SIGNIFICANT_DIGITS}g"


def csv_text(frame: "pd.DataFrame") -> str:
    """The CSV text of a frame (no index, `\\n` line ends)."""
    return frame.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def write_csv(frame: "pd.DataFrame", path: str | Path) -> Path:
    path = Path(path)
    path.write_text(csv_text(frame))
    return path
