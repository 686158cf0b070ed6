"""`hwsim cost WORKLOAD PRECISION --device D --frames T --beam B`: per-op cost table (time, FLOPs, bytes, bound)."""

from __future__ import annotations

import argparse
from pathlib import Path


from hwsim.commands.common import add_precision_argument, add_workload_argument, print_json, print_table
from hwsim.commands.run_args import (
    add_decode_arguments, add_device_arguments, add_length_arguments, add_mapping_arguments, describe_choices,
    resolve_frames, run_request, signed_int,
)
from hwsim.cost.table import component_totals, cost_table
from hwsim.csvout import write_csv
from hwsim.jsonout import dumps
from hwsim.outputs import PLOT_SUFFIXES, atomic_file, atomic_output_dir, preflight_outputs, write_resolved_config
from hwsim.report.roofline import plot_roofline
from hwsim.report.style import add_format_argument
from hwsim.simulate import make_schedule, prepare, resolved_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("cost", help="per-op cost table of a precision config on a device",
                                   description=__doc__)
    add_workload_argument(parser)
    add_precision_argument(parser)
    add_device_arguments(parser)
    add_length_arguments(parser)
    parser.add_argument("--beam", type=signed_int, default=1, metavar="B", help="beam width (decoder ops' rows)")
    add_decode_arguments(parser)
    add_mapping_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print {total_s, components, ops: [...]}")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write cost.csv, cost.json, resolved_config.yaml")
    parser.add_argument("--roofline", type=Path, metavar="PNG", help="draw a roofline plot of the ops")
    add_format_argument(parser)
    parser.set_defaults(func=run)


def roofline_targets(args: argparse.Namespace) -> list[Path]:
    """--roofline FILE and its --format copies beside it (FILE.pdf, FILE.svg)."""
    if not args.roofline:
        return []
    main_path = Path(args.roofline)
    return [main_path] + [main_path.with_suffix(f".{fmt}") for fmt in args.figure_formats
                          if f".{fmt}" != main_path.suffix]


def run(args: argparse.Namespace) -> int:
    preflight_outputs({"--out": args.out}, {"--roofline": (args.roofline, PLOT_SUFFIXES)})
    for copy in roofline_targets(args)[1:]:  # the --format copies are outputs too: checked before the run
        preflight_outputs(files={"--roofline": copy})
    request = run_request(args, args.workload, args.precision, args.device, resolve_frames(args), args.beam)
    prepared = prepare(request)
    schedule = make_schedule(prepared, request)
    frame = cost_table(prepared.costs, request.frames, request.beam, schedule)
    payload = {"workload": request.workload, "precision": request.precision, "device": prepared.device.name,
               "frames": request.frames, "beam": request.beam, "total_s": float(frame.total_time_s.sum()),
               "components": component_totals(frame), **prepared.run_choices(), "ops": frame.to_dict(orient="records")}
    if args.out:
        with atomic_output_dir(args.out) as staging:
            write_csv(frame, staging / "cost.csv")
            (staging / "cost.json").write_text(dumps(payload, indent=1) + "\n")
            write_resolved_config(staging, resolved_config(request, prepared))
    if args.roofline:
        title = f"{request.workload} @ {request.precision} on {prepared.device.name}, T={request.frames}, B={request.beam}"
        for target in roofline_targets(args):  # each file whole or not at all
            with atomic_file(target, "--roofline") as tmp:
                plot_roofline(frame, prepared.device, tmp, title)
    if args.json:
        print_json(payload)
        return 0
    shown = frame[["name", "component", "engine", "rows", "count", "time_s", "total_time_s", "flops", "bytes",
                   "bound", "utilization"]]
    print_table(shown)
    print()
    for line in describe_choices(prepared.run_choices()):
        print(line)
    for component, seconds in payload["components"].items():
        print(f"  {component:12s} {seconds * 1e3:10.4f} ms")
    print(f"  {'total':12s} {payload['total_s'] * 1e3:10.4f} ms (serial sum; `hwsim simulate` adds overlap and exact rows)")
    return 0
