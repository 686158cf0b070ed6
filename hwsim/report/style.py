"""The one plotting style of every hwsim figure: fonts, a colour-blind-safe palette, a fixed colour and marker
per precision and per model component, and how figures are saved (300 dpi PNG, optional PDF/SVG).

Colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), distinguishable under the
common colour-vision deficiencies; every series also differs by marker or hatch, so figures survive greyscale.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

OKABE_ITO = {"blue": "#0072B2", "vermillion": "#D55E00", "green": "#009E73", "purple": "#CC79A7",
             "orange": "#E69F00", "sky": "#56B4E9", "yellow": "#F0E442", "black": "#000000", "grey": "#7F7F7F"}
PALETTE = tuple(OKABE_ITO[name] for name in ("blue", "vermillion", "green", "purple", "orange", "sky", "black"))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

COMPONENT_COLORS = {"encoder": OKABE_ITO["blue"], "prediction": OKABE_ITO["vermillion"], "joint": OKABE_ITO["grey"],
                    "search": OKABE_ITO["green"], "transfer": OKABE_ITO["orange"], "hmm_search": OKABE_ITO["purple"],
                    "link": OKABE_ITO["orange"], "host": OKABE_ITO["green"]}

# Fixed per name so a precision looks the same in every figure; others take the next free style in order.
KNOWN_PRECISIONS = ("fp32", "float32", "bf16", "fp16", "int8", "int4", "int2", "int1", "binary",
                    "exp0", "exp1", "exp2", "exp3", "exp4", "exp5")
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")

DPI = 300
FORMATS = ("png", "pdf", "svg")
RC = {
    "font.family": "DejaVu Sans", "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 7,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.alpha": 0.25, "grid.linewidth": 0.5, "legend.frameon": False,
    "savefig.dpi": DPI, "savefig.bbox": "tight", "figure.dpi": 100, "lines.linewidth": 1.4, "lines.markersize": 5,
    "hatch.linewidth": 0.6, "svg.hashsalt": "hwsim", "pdf.fonttype": 42, "svg.fonttype": "none",
}


def precision_style(name: str, order: Iterable[str] = ()) -> tuple[str, str]:
    """(colour, marker) of a precision: fixed for shipped names, else by position in `order`."""
    if name in KNOWN_PRECISIONS:
        index = KNOWN_PRECISIONS.index(name)
    else:
        names = list(order)
        index = len(KNOWN_PRECISIONS) + (names.index(name) if name in names else 0)
    return PALETTE[index % len(PALETTE)], MARKERS[index % len(MARKERS)]


def component_color(name: str, fallback_index: int = 0) -> str:
    return COMPONENT_COLORS.get(name, PALETTE[fallback_index % len(PALETTE)])


def new_figure(width_in: float = 6.5, height_in: float = 3.6, pyplot: bool = True) -> tuple[Any, Any]:
    """A styled (figure, axes). With pyplot=False the figure has no GUI backend at all (CLI writes files)."""
    import matplotlib

    with matplotlib.rc_context(RC):
        if pyplot:
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(width_in, height_in))
        else:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(width_in, height_in))
            ax = fig.subplots()
    return fig, ax


def styled(function: Any) -> Any:
    """Decorator: draw under the hwsim rc settings (fonts, grid, sizes)."""
    import functools

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import matplotlib

        with matplotlib.rc_context(RC):
            return function(*args, **kwargs)

    return wrapper


# Metadata each writer takes, set so that identical runs give identical files. Pillow's formats (jpg, tif, webp)
# take none and carry no date; PostScript dates itself from SOURCE_DATE_EPOCH (set while saving).
SAVE_METADATA = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None},
                 "svg": {"Date": None, "Creator": None}, "eps": {"Creator": "hwsim"}, "ps": {"Creator": "hwsim"}}


@contextlib.contextmanager
def _reproducible_postscript() -> Iterator[None]:
    """A fixed PostScript date, and no warning that PostScript draws transparent artists opaque."""
    import logging

    logger, saved = logging.getLogger("matplotlib.backends.backend_ps"), os.environ.get("SOURCE_DATE_EPOCH")
    level = logger.level
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def save_figure(fig: Any, path: Path, extra_formats: Iterable[str] = ()) -> list[Path]:
    """Save `path` (format from its suffix, any of hwsim.io.outputs.PLOT_SUFFIXES; PNG at 300 dpi) and the same
    figure in each extra format beside it.

    Metadata that carries the date, software version or file name is dropped so identical runs give identical
    files (the figure is written through an open file, so PostScript does not title it with a temporary name).
    """
    import matplotlib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for target in [path] + [path.with_suffix(f".{fmt}") for fmt in extra_formats if f".{fmt}" != path.suffix]:
        fmt = target.suffix.lstrip(".").lower() or "png"
        postscript = _reproducible_postscript() if fmt in ("eps", "ps") else contextlib.nullcontext()
        with matplotlib.rc_context(RC), postscript, open(target, "wb") as handle:
            fig.savefig(handle, format=fmt, dpi=DPI, metadata=SAVE_METADATA.get(fmt))
        written.append(target)
    return written


def close(fig: Any) -> None:
    """Release a figure made with pyplot (no-op for a backend-free Figure)."""
    import matplotlib.pyplot as plt

    if plt.fignum_exists(getattr(fig, "number", -1)):
        plt.close(fig)


def add_format_argument(parser: Any) -> None:
    parser.add_argument("--format", dest="figure_formats", action="append", choices=("pdf", "svg"), default=[],
                        help="also write every figure as PDF or SVG beside its 300 dpi PNG (repeatable)")
