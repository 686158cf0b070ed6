"""Arguments and output helpers shared by several verbs."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Any, Sequence

from hwsim.commands.choices import META_DTYPES
from hwsim.errors import SpecError
from hwsim.io.jsonout import print_json as strict_print_json

if TYPE_CHECKING:
    import pandas as pd

    from hwsim.report.table import Column

EXAMPLES_TITLE = "examples:"


def verb_parser(subparsers: argparse._SubParsersAction, name: str, help: str, description: str | None,
                examples: Sequence[str]) -> argparse.ArgumentParser:
    """A verb's parser with its examples as the help's epilog (2-4 real commands; tests/test_cli_lazy.py parses
    each), the description kept as written."""
    epilog = "\n".join([EXAMPLES_TITLE, *(f"  {example}" for example in examples)])
    return subparsers.add_parser(name, help=help, description=description, epilog=epilog,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)


def add_output_arguments(parser: argparse.ArgumentParser, json_help: str = "print one JSON object",
                         csv_help: str | None = "print the table as CSV") -> argparse._ArgumentGroup:
    """The `output` group: --json and (for verbs that print a table) --csv, at most one of them."""
    group = argument_group(parser, "output")
    exclusive = group.add_mutually_exclusive_group()
    exclusive.add_argument("--json", action="store_true", help=json_help)
    if csv_help:
        exclusive.add_argument("--csv", action="store_true", help=csv_help)
    return group


def add_workload_argument(parser: argparse.ArgumentParser) -> None:
    parser = _group(parser, "inputs")
    parser.add_argument("workload", metavar="WORKLOAD",
                        help="shipped workload name (e.g. usm_rnnt_1b, ibm_rnnt_swb) or a path to a .yaml file")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                        help="override a workload hyper-parameter, e.g. --set predictor.embed_dim=640 (repeatable)")


def add_precision_argument(parser: argparse.ArgumentParser) -> None:
    parser = _group(parser, "inputs")
    parser.add_argument("precision", metavar="PRECISION",
                        help="shipped precision name for the workload (e.g. exp5, int4, fp16) or a path")
    parser.add_argument("--meta-dtype", choices=META_DTYPES, default=None,
                        help="store every scale/zero point in this dtype (int8 = double quantization)")
    parser.add_argument("--precision-set", dest="precision_overrides", action="append", default=[],
                        metavar="KEY.PATH=VALUE", help="edit the precision config, e.g. "
                        "--precision-set defaults.activations.format=bf16 (repeatable)")


def compute_as_pair(text: str) -> str:
    """argparse type for --compute-as: 'bf16' (both operands) or 'WFMTxAFMT' -> the canonical pair name."""
    from hwsim.formats import format_names, pair_name, parse_format, split_pair

    single = parse_format(text)
    pair = (single, single) if single is not None else split_pair(text.strip().lower())
    if pair is None:
        raise argparse.ArgumentTypeError(f"expected a format or a pair WFMTxAFMT of {', '.join(format_names())}, "
                                         f"got {text!r}")
    return pair_name(*pair)


def add_compute_as_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--compute-as", type=compute_as_pair, default=None, metavar="PAIR",
                        help="compute any weight x activation pair the device lacks as PAIR (e.g. bf16xbf16 for fp16 "
                             "on a TPU), with a note saying what was computed as what; without it such a pair is an "
                             "error naming the nearest pair the device runs")


def positive_int(text: str) -> int:
    """argparse type for counts that must be >= 1, with the one-line error style."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def seed_int(text: str) -> int:
    """argparse type for seeds: numpy takes whole numbers 0 .. 2**63 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed >= 0, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"expected an integer seed in 0 .. 2**63-1, got {value}")
    return value


def finite_float(text: str) -> float:
    """argparse type for a real number: 'nan' and 'inf' are typos here, never intent."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def require_positive_int(text: str | int, flag: str) -> int:
    """A whole number > 0 given on the command line, or a one-line SpecError naming the flag."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise SpecError(None, flag, "expected a whole number > 0", text) from None
    if value <= 0:
        raise SpecError(None, flag, "expected a whole number > 0", value)
    return value


def print_json(payload: Any) -> None:
    """Every `--json` output goes through here: strict JSON, non-finite numbers as null (hwsim.io.jsonout)."""
    strict_print_json(payload)


def _group(parser: argparse.ArgumentParser, title: str) -> argparse._ArgumentGroup | argparse.ArgumentParser:
    """The parser's argument group called `title`, made on first use (flags are listed by group in --help)."""
    if isinstance(parser, argparse._ArgumentGroup):
        return parser
    for group in parser._action_groups:
        if group.title == title:
            return group
    return parser.add_argument_group(title)


def argument_group(parser: argparse.ArgumentParser, title: str) -> argparse._ArgumentGroup:
    """The group called `title` (inputs, run, decoding, mapping, output, ...), shared by helpers that add to it."""
    return _group(parser, title)  # type: ignore[return-value]


def print_table(rows: "pd.DataFrame | Sequence[dict]", columns: "Sequence[Column | str] | None" = None) -> None:
    """Every console table goes through here: fixed format per column, units in headers (hwsim.report.table)."""
    from hwsim.report.table import render

    print(render(rows, columns))


def print_csv(rows: "pd.DataFrame | Sequence[dict]") -> None:
    """`--csv`: the same rows as the table, unformatted (hwsim.io.csvout's fixed digits), on stdout."""
    import pandas as pd

    from hwsim.io.csvout import csv_text

    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    print(csv_text(frame), end="")

