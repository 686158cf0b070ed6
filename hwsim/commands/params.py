"""`hwsim params WORKLOAD`: every tensor of a workload with its shape, role, component and parameter count."""

from __future__ import annotations

import argparse

import pandas as pd

from hwsim.commands.common import add_workload_argument, print_json, print_table
from hwsim.graph.model import Graph
from hwsim.specs.resolve import load_workload


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("params", help="per-tensor parameter table of a workload", description=__doc__)
    add_workload_argument(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON list of tensors")
    parser.set_defaults(func=run)


def tensor_records(graph: Graph) -> list[dict[str, object]]:
    return [{"name": t.name, "shape": list(t.shape), "role": t.role.value, "component": t.component.value,
             "params": t.params, "axes": list(t.axes), "contract_axes": list(t.contract_axes)} for t in graph.tensors]


def run(args: argparse.Namespace) -> int:
    graph = load_workload(args.workload, args.overrides)
    records = tensor_records(graph)
    if args.json:
        print_json(records)
        return 0
    frame = pd.DataFrame(records).drop(columns=["axes", "contract_axes"])
    frame["shape"] = frame["shape"].map(lambda s: "x".join(map(str, s)))
    print_table(frame)
    print(f"total: {graph.total_params:,} parameters")
    return 0
