"""`hwsim sweep WORKLOAD --device D --precisions P1,P2 --beams 1,2,4,8,16 --frames T --out DIR`: simulate every
point and write DIR/results.csv (one row per point and component), points.csv, speedup.csv and the speed-up plot.
A run that matches a published figure (claims/speedups/*.yaml with `figure:`) also writes that report's files:
FIGURE.png (the same plot, with the paper's lines) and speedups.csv (the paper's bars' speed-ups per beam)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hwsim.commands.choices import META_DTYPES
from hwsim.commands.common import (
    add_output_arguments, add_workload_argument, argument_group, positive_int, print_csv, print_json, print_table,
    verb_parser,
)
from hwsim.commands.run_args import (
    add_decode_arguments, add_length_arguments, add_mapping_arguments, describe_choices, float_list, resolve_frames_list,
    run_request,
)
from hwsim.errors import SpecError
from hwsim.io.limits import active_limits, check_at_most
from hwsim.report.style import add_format_argument

EXAMPLES = (
    "hwsim sweep ibm_rnnt_swb --device ibm_7nm_ai_chip --precisions fp16,int4 --frames 300 --out /tmp/sweep",
    "hwsim sweep usm_rnnt_1b --device tpu_v5e,tpu_v4 --precisions exp0,exp5 --beams 1,4 --audio-s 10 --out /tmp/s",
    "hwsim sweep ibm_rnnt_swb --device ibm_7nm_ai_chip --precisions int4,int8 --frames 30 --out /tmp/s --json",
)
SPEEDUP_COLUMNS = ("total", "encoder", "prediction", "joint", "search", "transfer")
TABLE_COLUMNS = ["precision", "device", "frames", "beam", "total_s", "encoder_s", "prediction_s", "joint_s", "search_s",
                 "transfer_s"]


def int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return unique(values, text)


def name_list(text: str) -> list[str]:
    values = [v.strip() for v in text.split(",") if v.strip()]
    if not values:
        raise argparse.ArgumentTypeError("expected at least one name")
    return unique(values, text)


def unique(values: list, text: str) -> list:
    """A value listed twice is a typo (and would make two identical sweep points)."""
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise argparse.ArgumentTypeError(f"expected each value once, got {', '.join(repeated)} twice in {text!r}")
    return values


def plot_names(keys: list[tuple[str, int]]) -> list[str]:
    """speedup.png for one (device, frames) point set, else speedup_<device>_<frames>.png per set.

    A device given as a file (`--device my/dev.yaml`) is named by its stem, in letters, digits, '.', '_' and '-'
    only, so a plot never lands beside the device file or in a folder made from the path; names that would
    coincide (two files of one stem) get a counter."""
    from hwsim.io.outputs import safe_name

    if len(keys) == 1:
        return ["speedup.png"]
    names: list[str] = []
    for device, frames in keys:
        stem = Path(device).stem if Path(device).suffix.lower() in (".yaml", ".yml") else device
        name = f"speedup_{safe_name(stem)}_{frames}"
        candidate, counter = name, 2
        while f"{candidate}.png" in names:
            candidate, counter = f"{name}_{counter}", counter + 1
        names.append(f"{candidate}.png")
    return names


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(subparsers, "sweep", "simulate beam widths x precisions x devices; speed-up plot", __doc__,
                         EXAMPLES)
    add_workload_argument(parser)
    inputs = argument_group(parser, "inputs")
    inputs.add_argument("--device", type=name_list, required=True, metavar="D[,D2]", help="device(s)")
    inputs.add_argument("--host", default=None, metavar="D", help="host-CPU device for accelerators without one")
    inputs.add_argument("--device-set", dest="device_overrides", action="append", default=[],
                        metavar="KEY.PATH=VALUE", help="override a device figure (repeatable)")
    inputs.add_argument("--precisions", type=name_list, required=True, metavar="P1,P2",
                        help="precisions; the first is the speed-up baseline")
    inputs.add_argument("--meta-dtype", choices=META_DTYPES, default=None,
                        help="store every scale/zero point in this dtype (int8 = double quantization)")
    inputs.add_argument("--precision-set", dest="precision_overrides", action="append", default=[],
                        metavar="KEY.PATH=VALUE", help="edit every precision config (repeatable)")
    add_length_arguments(parser, frames_type=int_list, audio_type=float_list, several=True)
    argument_group(parser, "decoding").add_argument("--beams", type=int_list, default=[1, 2, 4, 8, 16],
                                                    metavar="B1,B2", help="beam widths (default 1,2,4,8,16)")
    add_decode_arguments(parser)
    add_mapping_arguments(parser)
    executors = argument_group(parser, "executors")
    executors.add_argument("--workers", type=positive_int, default=None, help="worker processes (default: 1 below 20 points)")
    executors.add_argument("--executor", default="local", metavar="E", help="local (processes) | dask")
    executors.add_argument("--scheduler", default=None, metavar="ADDRESS",
                           help="join this Dask scheduler (implies --executor dask); else a local Dask cluster")
    output = add_output_arguments(parser, json_help="print the points (one object per point, as points.csv) as JSON",
                                  csv_help="print the points table as CSV, as points.csv holds it")
    output.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="write results.csv, points.csv, speedup.csv, the speed-up plot and resolved_config.yaml")
    output.add_argument("--no-paper", dest="paper", action="store_false",
                        help="do not draw published speed-ups (claims/speedups/*.yaml) that match the run")
    add_format_argument(output)
    parser.set_defaults(func=run)


def write_paper_figure(staging: Path, sub, suffix: str, title: str, claims: list, formats) -> None:
    """Where the drawn claims name their committed figure (e.g. fig1a), also write it under that report's names."""
    from hwsim.io.csvout import write_csv
    from hwsim.report.paper_values import claims_figure, paper_speedups
    from hwsim.report.speedup_plot import plot_speedup

    figure = claims_figure(claims)
    if figure is None:
        return
    stem, baseline, precision = figure
    plot_speedup(sub, staging / f"{stem}{suffix}.png", baseline, title, claims=claims, extra_formats=formats)
    write_csv(paper_speedups(sub, baseline, precision), staging / f"speedups{suffix}.csv")


def run(args: argparse.Namespace) -> int:
    from hwsim.io.csvout import write_csv
    from hwsim.pipeline.executors import make_executor
    from hwsim.io.outputs import atomic_output_dir, preflight_outputs, write_resolved_config
    from hwsim.report.paper_values import matching_claims
    from hwsim.report.speedup_plot import plot_speedup
    from hwsim.pipeline.sweep import default_workers, expand, long_format, run_sweep, speedups

    preflight_outputs(folders={"--out": args.out})
    args.frames = resolve_frames_list(args)
    for flag, values in (("--beams", args.beams), ("--frames", args.frames)):
        bad = [v for v in values if v < 1]
        if bad:
            raise SpecError(None, flag, "expected integers >= 1", bad[0])
    points = len(args.precisions) * len(args.device) * len(args.beams) * len(args.frames)
    check_at_most("sweep points (--precisions x --device x --beams x --frames)", points, active_limits().sweep_points)
    base = run_request(args, args.workload, args.precisions[0], args.device[0], args.frames[0], args.beams[0])
    requests = expand(base, args.precisions, args.device, args.beams, args.frames)
    workers = args.workers or default_workers(len(requests))
    executor = make_executor(args.executor, workers, args.scheduler) \
        if args.executor != "local" or args.scheduler else None
    try:
        wide = run_sweep(requests, workers, executor=executor)  # bar on stderr, off under --quiet
    finally:
        if executor is not None:
            executor.close()
    ratios = speedups(wide, args.precisions[0]) if len(args.precisions) > 1 else None
    with atomic_output_dir(args.out) as staging:
        write_csv(long_format(wide), staging / "results.csv")
        write_csv(wide, staging / "points.csv")
        if ratios is not None:
            write_csv(ratios, staging / "speedup.csv")
        groups = list(wide.groupby(["device", "frames"]))
        for name, ((device, frames), sub) in zip(plot_names([key for key, _ in groups]), groups):
            claims = matching_claims(args.workload, args.precisions, device, frames) if args.paper else []
            title = f"{args.workload} on {device}, {frames} frames: busy time per component and speed-up"
            plot_speedup(sub, staging / name, args.precisions[0], title, claims=claims,
                         extra_formats=args.figure_formats)
            write_paper_figure(staging, sub, name[len("speedup"):-len(".png")], title, claims, args.figure_formats)
        write_resolved_config(staging, {"workload": args.workload, "precisions": args.precisions,
                                        "devices": args.device, "beams": args.beams, "frames": args.frames,
                                        "run": {k: str(v) for k, v in vars(args).items() if k != "func"}})
    if args.json:
        print_json(wide.to_dict(orient="records"))
        return 0
    if args.csv:
        print_csv(wide)
        return 0
    from hwsim.report.table import Column, time_columns

    shown = wide[TABLE_COLUMNS]
    print_table(shown, TABLE_COLUMNS[:4] + time_columns(shown, TABLE_COLUMNS[4:], ",.4f"))
    for (precision, device), sub in wide.groupby(["precision", "device"], sort=False):
        first = sub.iloc[0]
        choices = {"matmul_precision": first.matmul_precision, "search_on": first.search_on,
                   "elementwise_fusion": first.elementwise_fusion, "computed_as": json.loads(first.computed_as)}
        print(f"{precision} on {device}:")
        for line in describe_choices(choices):
            print(line)
    if ratios is not None:
        print()
        print("speed-up over the baseline (baseline time / this time; > 1 = faster):")
        print_table(ratios, [Column(k, unit="x", fmt=",.3f") if k in SPEEDUP_COLUMNS else k for k in ratios.columns])
    print(f"written to {args.out}/")
    return 0
