"""`hwsim simulate WORKLOAD PRECISION --device D --frames T --beam B`: one utterance through the discrete-event
simulator: latency, real-time factor, time per component, resource utilisation, call counts, peak memory."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from hwsim.commands.common import add_precision_argument, add_workload_argument, print_json
from hwsim.commands.run_args import (
    add_decode_arguments, add_device_arguments, add_mapping_arguments, describe_choices, run_request, signed_int,
)
from hwsim.errors import SpecError
from hwsim.outputs import atomic_output_dir, write_resolved_config
from hwsim.report.trace import write_chrome_trace
from hwsim.sim.schedule_io import load_schedule_json, save_schedule_json
from hwsim.simulate import SimulationResult, prepare, resolved_config, simulate
from hwsim.specs.resolve import load_workload_spec

JSON_COMPONENTS = ("encoder", "prediction", "joint", "search", "transfer")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("simulate", help="discrete-event simulation of one utterance under beam search",
                                   description=__doc__)
    add_workload_argument(parser)
    add_precision_argument(parser)
    add_device_arguments(parser)
    add_frames_arguments(parser)
    parser.add_argument("--beam", type=signed_int, default=1, metavar="B", help="beam width (default 1)")
    add_decode_arguments(parser)
    add_mapping_arguments(parser)
    parser.add_argument("--replay", type=Path, metavar="TRACE.json",
                        help="replay a recorded decode trace instead of the statistical emission model")
    parser.add_argument("--save-schedule", type=Path, metavar="TRACE.json", help="write the decode schedule used")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--trace", type=Path, metavar="FILE", help="write a Chrome-trace JSON (Perfetto)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="write summary.json, components.csv, trace.csv and resolved_config.yaml into DIR")
    parser.set_defaults(func=run)


def add_frames_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--frames", type=signed_int, metavar="T", help="input frames of the utterance")
    group.add_argument("--audio-s", type=float, metavar="S", help="utterance length in seconds (frames from the "
                       "workload's input_frame_step_s)")


def resolve_frames(args: argparse.Namespace) -> int:
    if args.frames is not None:
        return args.frames
    if args.audio_s <= 0:
        raise SpecError(None, "--audio-s", "expected a number > 0", args.audio_s)
    spec, _ = load_workload_spec(args.workload, args.overrides)
    return max(1, round(args.audio_s / spec.input_frame_step_s))


def json_payload(sim: SimulationResult) -> dict[str, object]:
    data = sim.to_dict()
    data["components"] = {name: sim.result.components_s.get(name, 0.0) for name in JSON_COMPONENTS}
    if sim.result.components_s.get("hmm_search"):
        data["components"]["hmm_search"] = sim.result.components_s["hmm_search"]
    return data


def print_human(sim: SimulationResult) -> None:
    r, req = sim.result, sim.request
    decoding = f"beam {req.beam}, {req.algorithm.value}" if sim.schedule is not None else "hybrid model: HMM search on the host"
    print(f"{req.workload} @ {req.precision} on {req.device}: {req.frames} frames ({r.audio_s:.2f} s audio), {decoding}")
    print(f"  total {r.total_s * 1e3:.4f} ms   RTF {r.rtf:.5f}   ({r.events} simulated events)")
    for line in describe_choices(sim.choices):
        print(line)
    print("  component busy time (ms):  " + "  ".join(f"{k} {v * 1e3:.4f}" for k, v in r.components_s.items() if v))
    print("  critical path (ms):        " + "  ".join(f"{k} {v * 1e3:.4f}" for k, v in r.critical_path_s.items()))
    print("  utilisation:               " + "  ".join(f"{k} {v:.1%}" for k, v in r.utilization.items() if v))
    print("  calls:                     " + "  ".join(f"{k} {v}" for k, v in r.calls.items()))
    fp = sim.footprint
    print(f"  peak device memory {fp.total_bytes / 1e6:.2f} MB (weights {fp.weights_bytes / 1e6:.2f} MB incl. metadata) "
          f"of {fp.capacity_bytes / 1e9:.1f} GB {fp.capacity_level}")
    for warning in sim.warnings:
        print(f"  warning: {warning}")


def run(args: argparse.Namespace) -> int:
    frames = resolve_frames(args)
    request = run_request(args, args.workload, args.precision, args.device, frames, args.beam)
    replay = load_schedule_json(args.replay) if args.replay else None
    prepared = prepare(request)
    sim = simulate(request, prepared, replay)
    if args.trace:
        write_chrome_trace(sim.result.trace, args.trace, f"{request.workload} {request.precision} {request.device}")
    if args.save_schedule and sim.schedule is not None:
        save_schedule_json(sim.schedule, args.save_schedule)
    if args.out:
        with atomic_output_dir(args.out) as staging:
            (staging / "summary.json").write_text(json.dumps(json_payload(sim), indent=1, default=str))
            pd.DataFrame([{"component": k, "busy_s": v, "critical_path_s": sim.result.critical_path_s.get(k, 0.0)}
                          for k, v in sim.result.components_s.items()]).to_csv(staging / "components.csv", index=False)
            sim.result.trace_frame().to_csv(staging / "trace.csv", index=False)
            write_resolved_config(staging, resolved_config(request, prepared))
    if args.json:
        print_json(json_payload(sim))
    else:
        print_human(sim)
    return 0
