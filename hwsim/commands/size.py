"""`hwsim size WORKLOAD PRECISION`: model size with quantization metadata, by component and role."""

from __future__ import annotations

import argparse

import pandas as pd

from hwsim.commands.common import (
    add_precision_argument, add_workload_argument, print_json, print_table, require_one_output_mode,
)
from hwsim.csvout import csv_text
from hwsim.size import SizeReport, account_size
from hwsim.specs.resolve import resolve_model
from hwsim.units import GIGA, MEGA


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("size", help="model size incl. quantization metadata (check a size claim)",
                                   description=__doc__)
    add_workload_argument(parser)
    add_precision_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--csv", action="store_true", help="print the per-tensor table as CSV")
    parser.set_defaults(func=run)


def tensor_frame(report: SizeReport) -> pd.DataFrame:
    return pd.DataFrame([{
        "name": t.name, "component": t.component, "role": t.role, "shape": "x".join(map(str, t.shape)),
        "params": t.params, "format": t.format.value, "value_bits": t.value_bits, "padding_bits": t.padding_bits,
        "metadata_bits": t.metadata_bits, "total_bits": t.total_bits,
    } for t in report.tensors])


def summary_frame(groups: dict[str, dict[str, int]], key: str) -> pd.DataFrame:
    rows = [{key: name, "params_M": g["params"] / MEGA, "size_gbit": g["bits"] / GIGA,
             "metadata_gbit": g["metadata_bits"] / GIGA} for name, g in groups.items()]
    return pd.DataFrame(rows)


def print_human(report: SizeReport) -> None:
    print(f"{report.workload} @ {report.precision}")
    print(f"  parameters        {report.total_params:,} ({report.quantized_params / report.total_params:.1%} quantized)")
    print(f"  size              {report.total_bits / GIGA:.4f} Gbit (1e9 bits) = {report.total_bits / 8 / MEGA:,.1f} MB (1e6 bytes)")
    print(f"  metadata          {report.metadata_bits / GIGA:.4f} Gbit; packing padding {report.padding_bits:,} bits")
    print(f"  float32 baseline  {report.f32_bits / GIGA:.4f} Gbit; reduction {report.reduction_vs_f32:.2f}x")
    print()
    print_table(summary_frame(report.by("component"), "component"))
    print()
    print_table(summary_frame(report.by("role"), "role"))


def run(args: argparse.Namespace) -> int:
    require_one_output_mode(args)
    model = resolve_model(args.workload, args.precision, args.overrides, args.meta_dtype, args.precision_overrides)
    report = account_size(model.graph, model.plan)
    if args.json:
        print_json(report.to_dict())
    elif args.csv:
        print(csv_text(tensor_frame(report)), end="")
    else:
        print_human(report)
    return 0
