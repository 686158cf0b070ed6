"""`hwsim check [CLAIMS.yaml ...]`: recompute published size/share claims; paper vs hwsim vs delta + verdict."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hwsim.commands.common import add_output_arguments, argument_group, print_csv, print_json, print_table, verb_parser
from hwsim.units import MEGA

EXAMPLES = ("hwsim check", "hwsim check --report reports/size_claims",
            "hwsim check workloads/claims/usm_table2.yaml --strict", "hwsim check --csv > claims.csv")
# quantity -> (unit shown in the table, divisor): each row's figures in its claim's own unit
QUANTITY_UNITS = {"total_params": ("M params", MEGA), "share_pct": ("%", 1.0), "quantized_share_pct": ("%", 1.0),
                  "size_gbit": ("Gbit", 1.0), "reduction_vs_f32": ("x", 1.0)}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(subparsers, "check", "check published model-size claims (paper vs hwsim)", __doc__, EXAMPLES)
    parser.add_argument("claims", nargs="*", type=Path, metavar="CLAIMS.yaml",
                        help="claims files (default: every file under workloads/claims/)")
    argument_group(parser, "run").add_argument("--strict", action="store_true",
                                               help="exit 1 when any claim does not reproduce")
    output = add_output_arguments(parser, json_help="print the results as JSON",
                                  csv_help="print the results (every column) as CSV")
    output.add_argument("--report", type=Path, metavar="DIR",
                        help="write README.md, claims.csv, the bar chart and the resolved claims into DIR")
    parser.set_defaults(func=run)


def table_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per claim with its figures in the claim's own unit (so each number column has one format)."""
    rows = []
    for r in records:
        unit, divisor = QUANTITY_UNITS.get(r["quantity"], ("", 1.0))
        rows.append({"claim": r["id"], "unit": unit, "paper": "<" if r["comparison"] == "<" else "",
                     "paper_value": r["paper"] / divisor, "hwsim": r["hwsim"] / divisor, "delta": r["delta"] / divisor,
                     "verdict": r["verdict"]})
    return rows


def print_claims(records: list[dict[str, Any]]) -> None:
    from hwsim.report.table import Column

    fixed = ",.3f"
    print_table(table_rows(records), [
        "claim", "unit", Column("paper", "", fmt=str), Column("paper_value", "paper", fmt=fixed),
        Column("hwsim", fmt=fixed), Column("delta", fmt=fixed), "verdict"])


def run(args: argparse.Namespace) -> int:
    from hwsim.io.outputs import atomic_output_dir, preflight_outputs, write_resolved_config
    from hwsim.io.paths import CLAIMS_DIR, display_path
    from hwsim.report.size_claims import results_frame, write_report
    from hwsim.size.claims import check_claims
    from hwsim.specs.claims import ClaimsSpec
    from hwsim.specs.load import load_spec

    preflight_outputs(folders={"--report": args.report})
    files = args.claims or sorted(CLAIMS_DIR.glob("*.yaml"))
    specs = [(load_spec(ClaimsSpec, path), path) for path in files]
    results = [result for spec, path in specs for result in check_claims(spec, path)]
    frame = results_frame(results)
    if args.report:
        with atomic_output_dir(args.report, "--report") as staging:
            write_report(results, staging, files)
            write_resolved_config(staging, {display_path(p): s.model_dump(mode="json") for s, p in specs},
                                  "resolved_claims.yaml")
    if args.json:
        print_json(frame.to_dict(orient="records"))
    elif args.csv:
        print_csv(frame)
    else:
        print_claims(frame.to_dict(orient="records"))
        for row in frame[frame.note != ""].itertuples():
            print(f"  {row.id}: {row.note}")
        if args.report:
            print(f"report written to {args.report}/")
    return 1 if args.strict and not all(r.reproduced for r in results) else 0
