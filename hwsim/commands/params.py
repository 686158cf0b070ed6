"""`hwsim params WORKLOAD`: every tensor of a workload with its shape, role, component and parameter count."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from hwsim.commands.common import (
    add_output_arguments, add_workload_argument, print_csv, print_json, print_table, verb_parser,
)

if TYPE_CHECKING:
    from hwsim.graph.model import Graph

EXAMPLES = ("hwsim params ibm_rnnt_swb", "hwsim params usm_rnnt_1b --csv > params.csv",
            "hwsim params lstm_rnnt_small --set predictor.embed_dim=640 --json")
TABLE_COLUMNS = ("name", "shape", "role", "component", "params")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(subparsers, "params", "per-tensor parameter table of a workload", __doc__, EXAMPLES)
    add_workload_argument(parser)
    add_output_arguments(parser, json_help="print a JSON list of tensors", csv_help="print the tensor table as CSV")
    parser.set_defaults(func=run)


def tensor_records(graph: "Graph") -> list[dict[str, object]]:
    return [{"name": t.name, "shape": list(t.shape), "role": t.role.value, "component": t.component.value,
             "params": t.params, "axes": list(t.axes), "contract_axes": list(t.contract_axes)} for t in graph.tensors]


def table_rows(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """The table's (and CSV's) columns: the shape as 1024x512, without the axis lists."""
    return [{**{k: r[k] for k in TABLE_COLUMNS}, "shape": "x".join(map(str, r["shape"]))} for r in records]


def run(args: argparse.Namespace) -> int:
    from hwsim.precision.resolved import load_workload

    graph = load_workload(args.workload, args.overrides)
    records = tensor_records(graph)
    if args.json:
        print_json(records)
    elif args.csv:
        print_csv(table_rows(records))
    else:
        print_table(table_rows(records))
        print(f"total: {graph.total_params:,} parameters")
    return 0
