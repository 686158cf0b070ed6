"""`hwsim cost WORKLOAD PRECISION --device D --frames T --beam B`: per-op cost table (time, FLOPs, bytes, bound)."""

from __future__ import annotations

import argparse
from pathlib import Path


from hwsim.commands.common import (
    add_output_arguments, add_precision_argument, add_workload_argument, argument_group, print_csv, print_json,
    print_table, verb_parser,
)
from hwsim.commands.run_args import (
    add_decode_arguments, add_device_arguments, add_length_arguments, add_mapping_arguments, describe_choices,
    resolve_frames, run_request, signed_int,
)
from hwsim.report.style import add_format_argument

EXAMPLES = ("hwsim cost ibm_rnnt_swb int4 --device ibm_7nm_ai_chip --frames 300 --beam 4",
            "hwsim cost usm_rnnt_1b exp5 --device tpu_v5e --audio-s 10 --csv > ops.csv",
            "hwsim cost ibm_rnnt_swb int4 --device ibm_7nm_ai_chip --frames 300 --roofline roofline.png --json")
TABLE_COLUMNS = ["name", "component", "engine", "rows", "count", "time_s", "total_time_s", "flops", "bytes", "bound",
                 "utilization"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(subparsers, "cost", "per-op cost table of a precision config on a device", __doc__, EXAMPLES)
    add_workload_argument(parser)
    add_precision_argument(parser)
    add_device_arguments(parser)
    add_length_arguments(parser)
    argument_group(parser, "decoding").add_argument("--beam", type=signed_int, default=1, metavar="B",
                                                    help="beam width (decoder ops' rows)")
    add_decode_arguments(parser)
    add_mapping_arguments(parser)
    output = add_output_arguments(parser, json_help="print {total_s, components, ops: [...]}",
                                  csv_help="print the per-op table (every column) as CSV, as cost.csv holds it")
    output.add_argument("--out", type=Path, metavar="DIR", help="write cost.csv, cost.json, resolved_config.yaml")
    output.add_argument("--roofline", type=Path, metavar="PNG", help="draw a roofline plot of the ops")
    add_format_argument(output)
    parser.set_defaults(func=run)


def roofline_targets(args: argparse.Namespace) -> list[Path]:
    """--roofline FILE and its --format copies beside it (FILE.pdf, FILE.svg)."""
    if not args.roofline:
        return []
    main_path = Path(args.roofline)
    return [main_path] + [main_path.with_suffix(f".{fmt}") for fmt in args.figure_formats
                          if f".{fmt}" != main_path.suffix]


def run(args: argparse.Namespace) -> int:
    from hwsim.cost.table import component_totals, cost_table
    from hwsim.io.csvout import write_csv
    from hwsim.io.jsonout import dumps
    from hwsim.io.outputs import PLOT_SUFFIXES, atomic_file, atomic_output_dir, preflight_outputs, write_resolved_config
    from hwsim.report.roofline import plot_roofline
    from hwsim.pipeline.point import make_schedule, prepare_point, resolved_config

    preflight_outputs({"--out": args.out}, {"--roofline": (args.roofline, PLOT_SUFFIXES)})
    for copy in roofline_targets(args)[1:]:  # the --format copies are outputs too: checked before the run
        preflight_outputs(files={"--roofline": copy})
    request = run_request(args, args.workload, args.precision, args.device, resolve_frames(args), args.beam)
    prepared = prepare_point(request)
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
    if args.csv:
        print_csv(frame)
        return 0
    from hwsim.report.table import Column

    print_table(frame[TABLE_COLUMNS], [
        *TABLE_COLUMNS[:5], Column("time_s", "time per call", "us", 1e6, ",.3f"),
        Column("total_time_s", "total time", "ms", 1e3, ",.4f"), Column("flops", fmt=",.0f"),
        Column("bytes", fmt=",.0f"), "bound", Column("utilization", unit="%", scale=100.0, fmt=".1f")])
    print()
    for line in describe_choices(prepared.run_choices()):
        print(line)
    for component, seconds in payload["components"].items():
        print(f"  {component:12s} {seconds * 1e3:10.4f} ms")
    print(f"  {'total':12s} {payload['total_s'] * 1e3:10.4f} ms (serial sum; `hwsim simulate` adds overlap and exact rows)")
    return 0
