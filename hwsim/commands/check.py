"""`hwsim check [CLAIMS.yaml ...]`: recompute published size/share claims; paper vs hwsim vs delta + verdict."""

from __future__ import annotations

import argparse
from pathlib import Path

from hwsim.commands.common import print_json
from hwsim.outputs import atomic_output_dir, preflight_outputs, write_resolved_config
from hwsim.paths import CLAIMS_DIR, display_path
from hwsim.report.size_claims import markdown_table, results_frame, write_report
from hwsim.size.claims import check_claims
from hwsim.specs.claims import ClaimsSpec
from hwsim.specs.load import load_spec


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="check published model-size claims (paper vs hwsim)",
                                   description=__doc__)
    parser.add_argument("claims", nargs="*", type=Path, metavar="CLAIMS.yaml",
                        help="claims files (default: every file under hwsim/data/workloads/claims/)")
    parser.add_argument("--report", type=Path, metavar="DIR",
                        help="write README.md, claims.csv, the bar chart and the resolved claims into DIR")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any claim does not reproduce")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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
    else:
        print(markdown_table(frame))
        failed = frame[frame.note != ""]
        for row in failed.itertuples():
            print(f"  {row.id}: {row.note}")
        if args.report:
            print(f"report written to {args.report}/")
    return 1 if args.strict and not all(r.reproduced for r in results) else 0
