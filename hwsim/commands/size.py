"""`hwsim size WORKLOAD PRECISION`: model size with quantization metadata, by component and role."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from hwsim.commands.common import (
    add_output_arguments, add_precision_argument, add_workload_argument, print_csv, print_json, print_table,
    verb_parser,
)
from hwsim.units import BITS_PER_BYTE, GIGA, MEGA

if TYPE_CHECKING:
    from hwsim.size import SizeReport

EXAMPLES = ("hwsim size usm_rnnt_1b exp5", "hwsim size ibm_rnnt_swb int4 --meta-dtype int8",
            "hwsim size usm_rnnt_1b exp5 --csv > tensors.csv", "hwsim size ibm_rnnt_swb int4 --json")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(subparsers, "size", "model size incl. quantization metadata (check a size claim)", __doc__,
                         EXAMPLES)
    add_workload_argument(parser)
    add_precision_argument(parser)
    add_output_arguments(parser, csv_help="print the per-tensor table as CSV")
    parser.set_defaults(func=run)


def tensor_rows(report: "SizeReport") -> list[dict[str, object]]:
    return [{
        "name": t.name, "component": t.component, "role": t.role, "shape": "x".join(map(str, t.shape)),
        "params": t.params, "format": t.format.value, "value_bits": t.value_bits, "padding_bits": t.padding_bits,
        "metadata_bits": t.metadata_bits, "total_bits": t.total_bits,
    } for t in report.tensors]


def summary_rows(groups: dict[str, dict[str, int]], key: str) -> list[dict[str, object]]:
    """Exact integer counts (params, metadata bits: small and exact, so never in Gbit) beside the size in Gbit."""
    return [{key: name, "params": g["params"], "size_gbit": g["bits"] / GIGA,
             "metadata_bits": g["metadata_bits"]} for name, g in groups.items()]


def summary_columns(key: str) -> list:
    from hwsim.report.table import Column

    return [key, Column("params", fmt=",d"), Column("size_gbit", "size", "Gbit", fmt=",.4f"),
            Column("metadata_bits", "metadata", "bits", fmt=",d")]


def print_human(report: "SizeReport") -> None:
    print(f"{report.workload} @ {report.precision}")
    print(f"  parameters        {report.total_params:,} ({report.quantized_params / report.total_params:.1%} quantized)")
    print(f"  size              {report.total_bits / GIGA:.4f} Gbit (1e9 bits) = "
          f"{report.total_bits / BITS_PER_BYTE / MEGA:,.1f} MB (1e6 bytes)")
    print(f"  metadata          {report.metadata_bits:,} bits ({report.metadata_bits / GIGA:.4g} Gbit); "
          f"packing padding {report.padding_bits:,} bits")
    print(f"  float32 baseline  {report.f32_bits / GIGA:.4f} Gbit; reduction {report.reduction_vs_f32:.2f}x")
    print()
    print_table(summary_rows(report.by("component"), "component"), summary_columns("component"))
    print()
    print_table(summary_rows(report.by("role"), "role"), summary_columns("role"))


def run(args: argparse.Namespace) -> int:
    from hwsim.size import account_size
    from hwsim.precision.resolved import resolve_model

    model = resolve_model(args.workload, args.precision, args.overrides, args.meta_dtype, args.precision_overrides)
    report = account_size(model.graph, model.plan)
    if args.json:
        print_json(report.to_dict())
    elif args.csv:
        print_csv(tensor_rows(report))
    else:
        print_human(report)
    return 0
