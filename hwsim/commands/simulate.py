"""`hwsim simulate WORKLOAD PRECISION --device D --frames T --beam B`: one utterance through the discrete-event
simulator: latency, real-time factor, time per component, resource utilisation, call counts, peak memory."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from hwsim.commands.common import (
    add_output_arguments, add_precision_argument, add_workload_argument, argument_group, print_csv, print_json,
    print_table, verb_parser,
)
from hwsim.commands.run_args import (
    add_decode_arguments, add_device_arguments, add_length_arguments, add_mapping_arguments, describe_choices,
    resolve_frames, run_request, signed_int,
)

if TYPE_CHECKING:
    from hwsim.pipeline.point import SimulationResult

JSON_COMPONENTS = ("encoder", "prediction", "joint", "search", "transfer")
EXAMPLES = ("hwsim simulate ibm_rnnt_swb int4 --device ibm_7nm_ai_chip --frames 300 --beam 4",
            "hwsim simulate usm_rnnt_1b exp5 --device tpu_v5e --audio-s 10 --beam 8 --algorithm alsd --json",
            "hwsim simulate ibm_rnnt_swb fp16 --device a100_pcie_80gb --frames 100 --cuda-graphs --out /tmp/run",
            "hwsim simulate ibm_rnnt_swb int4 --device ibm_7nm_ai_chip --frames 300 --trace trace.json")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(subparsers, "simulate", "discrete-event simulation of one utterance under beam search",
                         __doc__, EXAMPLES)
    add_workload_argument(parser)
    add_precision_argument(parser)
    add_device_arguments(parser)
    add_length_arguments(parser)
    decoding = argument_group(parser, "decoding")
    decoding.add_argument("--beam", type=signed_int, default=1, metavar="B", help="beam width (default 1)")
    add_decode_arguments(parser)
    decoding.add_argument("--replay", type=Path, metavar="TRACE.json",
                          help="replay a recorded decode trace instead of the statistical emission model")
    add_mapping_arguments(parser)
    output = add_output_arguments(parser, csv_help="print the per-component table (busy and critical-path "
                                                   "seconds) as CSV, as components.csv holds it")
    output.add_argument("--save-schedule", type=Path, metavar="TRACE.json", help="write the decode schedule used")
    output.add_argument("--trace", type=Path, metavar="FILE", help="write a Chrome-trace JSON (Perfetto)")
    output.add_argument("--trace-steps", action="store_true",
                        help="in --trace, one event per recurrent encoder step instead of one per merged block")
    output.add_argument("--out", type=Path, metavar="DIR",
                        help="write summary.json, components.csv, trace.csv and resolved_config.yaml into DIR")
    parser.set_defaults(func=run)


def component_rows(sim: "SimulationResult") -> list[dict[str, object]]:
    """Per component: busy seconds and seconds on the critical path (components.csv, --csv, the console table)."""
    return [{"component": k, "busy_s": v, "critical_path_s": sim.result.critical_path_s.get(k, 0.0)}
            for k, v in sim.result.components_s.items()]


def json_payload(sim: "SimulationResult") -> dict[str, object]:
    data = sim.to_dict()
    data["components"] = {name: sim.result.components_s.get(name, 0.0) for name in JSON_COMPONENTS}
    if sim.result.components_s.get("hmm_search"):
        data["components"]["hmm_search"] = sim.result.components_s["hmm_search"]
    return data


def print_human(sim: "SimulationResult") -> None:
    r, req = sim.result, sim.request
    decoding = f"beam {req.beam}, {req.algorithm.value}" if sim.schedule is not None else "hybrid model: HMM search on the host"
    print(f"{req.workload} @ {req.precision} on {req.device}: {req.frames} frames ({r.audio_s:.2f} s audio), {decoding}")
    print(f"  total {r.total_s * 1e3:.4f} ms   RTF {r.rtf:.5f}   ({r.events} simulated events)")
    for line in describe_choices(sim.choices):
        print(line)
    print("  utilisation:               " + "  ".join(f"{k} {v:.1%}" for k, v in r.utilization.items() if v))
    print("  counts (calls, rows, cache hits, steps, labels): " + "  ".join(f"{k} {v}" for k, v in r.calls.items()))
    fp = sim.footprint
    print(f"  peak device memory {fp.total_bytes / 1e6:.2f} MB (weights {fp.weights_bytes / 1e6:.2f} MB incl. metadata) "
          f"of {fp.capacity_bytes / 1e9:.1f} GB {fp.capacity_level}")
    for warning in sim.warnings:
        print(f"  warning: {warning}")
    print()
    from hwsim.report.table import Column

    ms = ",.4f"  # one format for both time columns, so they compare digit by digit
    print_table([row for row in component_rows(sim) if row["busy_s"] or row["critical_path_s"]],
                ["component", Column("busy_s", "busy time", "ms", 1e3, ms),
                 Column("critical_path_s", "critical path", "ms", 1e3, ms)])


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from hwsim.io.csvout import write_csv
    from hwsim.io.jsonout import dumps
    from hwsim.io.outputs import atomic_file, atomic_output_dir, preflight_outputs, write_resolved_config
    from hwsim.report.trace import write_chrome_trace
    from hwsim.decode.schedule_io import load_schedule_json, save_schedule_json
    from hwsim.pipeline.point import prepare_point, resolved_config, simulate_point

    preflight_outputs({"--out": args.out}, {"--trace": args.trace, "--save-schedule": args.save_schedule})
    frames = resolve_frames(args)
    request = run_request(args, args.workload, args.precision, args.device, frames, args.beam)
    replay = load_schedule_json(args.replay) if args.replay else None
    prepared = prepare_point(request)
    sim = simulate_point(request, prepared, replay)
    if args.trace:
        with atomic_file(args.trace, "--trace") as tmp:
            write_chrome_trace(sim.result.trace, tmp, f"{request.workload} {request.precision} {request.device}",
                               steps=args.trace_steps)
    if args.save_schedule and sim.schedule is not None:
        save_schedule_json(sim.schedule, args.save_schedule)
    if args.out:
        with atomic_output_dir(args.out) as staging:
            (staging / "summary.json").write_text(dumps(json_payload(sim), indent=1) + "\n")
            write_csv(pd.DataFrame(component_rows(sim)), staging / "components.csv")
            write_csv(sim.result.trace_frame(), staging / "trace.csv")
            write_resolved_config(staging, resolved_config(request, prepared))
    if args.json:
        print_json(json_payload(sim))
    elif args.csv:
        print_csv(component_rows(sim))
    else:
        print_human(sim)
    return 0
