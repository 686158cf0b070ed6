"""`hwsim serve WORKLOAD PRECISION --device D [--chips N] --scenario offline|server|streaming`: many utterances or
real-time streams on one or many chips with batching: throughput, RTFx, latency percentiles, utilisation, memory
per chip, cost per 1000 h of audio; `--slo-p99-s L --find-max-load` finds the capacity at a p99 target."""

from __future__ import annotations

import argparse
import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hwsim.commands.choices import BATCHINGS, SCENARIOS
from hwsim.commands.common import (
    add_output_arguments,
    add_precision_argument,
    add_workload_argument,
    argument_group,
    positive_int,
    print_csv,
    print_json,
    verb_parser,
)
from hwsim.commands.run_args import (
    add_decode_arguments,
    add_device_arguments,
    add_mapping_arguments,
    describe_choices,
    run_request,
    signed_int,
)
from hwsim.errors import SpecError, note, rounding_note, unknown_choice

if TYPE_CHECKING:
    from hwsim.executor import Executor
    from hwsim.serving.run import ServeRequest, ServeResult

LOAD_FRACTIONS = (0.25, 0.5, 0.75, 1.0)
DEFAULT_TRACE_SEGMENTS = 200_000
EXAMPLES = (
    "hwsim serve usm_rnnt_1b exp5 --device tpu_v5e --utterances 200",
    "hwsim serve usm_rnnt_1b exp5 --device tpu_v5e --scenario server --rate 20 --duration-s 30 --json",
    "hwsim serve ibm_rnnt_swb int4 --device ibm_7nm_ai_chip --scenario streaming --slo-p99-s 0.5 --find-max-load",
    "hwsim serve usm_rnnt_1b exp5 --device tpu_v5e --chips 4 --out /tmp/serve",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(subparsers, "serve", "serving simulation: batching, latency percentiles, capacity, cost",
                         __doc__, EXAMPLES)
    add_workload_argument(parser)
    add_precision_argument(parser)
    add_device_arguments(parser)
    argument_group(parser, "inputs").add_argument("--chips", type=signed_int, default=1, metavar="N",
                                                  help="replica chips behind a dispatcher")
    load = parser.add_argument_group("load")
    load.add_argument("--scenario", default=SCENARIOS[0], metavar="S",
                      help="offline (all ready at t=0) | server (Poisson arrivals) | streaming (real-time streams)")
    load.add_argument("--utterances", type=signed_int, default=None, metavar="N",
                      help="offline: utterances (default 100, or the rows of --lengths)")
    load.add_argument("--rate", type=float, default=None, metavar="R", help="server: arrivals per second")
    load.add_argument("--streams", type=signed_int, default=None, metavar="S", help="streaming: concurrent streams")
    load.add_argument("--duration-s", type=float, default=60.0, help="server/streaming: seconds of arrivals (60)")
    load.add_argument("--chunk-s", type=float, default=0.64, help="streaming: seconds of audio per chunk (0.64)")
    load.add_argument("--utterance-s", type=float, default=10.0, metavar="MEAN", help="mean utterance length (10 s)")
    load.add_argument("--utterance-cv", type=float, default=0.5, metavar="CV",
                      help="coefficient of variation of the lognormal lengths (0.5; 0 = all equal)")
    load.add_argument("--lengths", type=Path, default=None, metavar="FILE.csv",
                      help="utterance lengths instead: one duration in seconds per line, used in order and cycled")
    batching = parser.add_argument_group("batching")
    batching.add_argument("--batching", default=BATCHINGS[2], metavar="P",
                          help=f"{' | '.join(BATCHINGS)} (default {BATCHINGS[2]})")
    batching.add_argument("--max-batch", type=signed_int, default=32, metavar="B",
                          help="utterances live on a chip at once (decoder-step batch); capped by memory (32)")
    batching.add_argument("--max-wait-s", type=float, default=0.01, help="dynamic: longest wait for a full batch")
    argument_group(parser, "decoding").add_argument("--beam", type=signed_int, default=1, metavar="B",
                                                    help="beam width (default 1)")
    add_decode_arguments(parser)
    add_mapping_arguments(parser)
    capacity = parser.add_argument_group("capacity and executors")
    capacity.add_argument("--slo-p99-s", type=float, default=None, metavar="L", help="p99 latency target")
    capacity.add_argument("--find-max-load", action="store_true",
                          help="search the largest rate (server) or stream count (streaming) meeting --slo-p99-s")
    capacity.add_argument("--executor", default="local", metavar="E",
                          help="where probe/sweep points run: local (processes) | dask")
    capacity.add_argument("--scheduler", default=None, metavar="ADDRESS",
                          help="join this Dask scheduler (implies --executor dask); else a local cluster")
    capacity.add_argument("--workers", type=positive_int, default=1, metavar="N", help="worker processes (1)")
    output = add_output_arguments(parser, csv_help="print the per-utterance table as CSV, as utterances.csv holds it")
    output.add_argument("--out", type=Path, metavar="DIR", help="write summary.json, utterances.csv, batches.csv, "
                        "chunks.csv, loads.csv, latency_vs_load.png, trace.json and resolved_config.yaml into DIR")
    output.add_argument("--trace-segments", type=signed_int, default=DEFAULT_TRACE_SEGMENTS, metavar="N",
                        help=f"segments kept in the Chrome trace (default {DEFAULT_TRACE_SEGMENTS:,})")
    parser.set_defaults(func=run)


def _choice(flag: str, text: str, enum):
    try:
        return enum(text)
    except ValueError:
        raise unknown_choice(None, flag, flag.lstrip("-"), text, [e.value for e in enum]) from None


def serve_request(args: argparse.Namespace) -> "ServeRequest":
    from hwsim.serving.load import Lengths, read_lengths
    from hwsim.serving.run import Scenario, ServeRequest, check_serve_limits
    from hwsim.sim.serving.policies import Batching

    scenario = _choice("--scenario", args.scenario, Scenario)
    table = read_lengths(args.lengths) if args.lengths else ()
    lengths = Lengths(args.utterance_s, args.utterance_cv, table)
    if args.find_max_load and scenario is Scenario.OFFLINE:
        raise SpecError(None, "--find-max-load", "--scenario server or streaming (offline has no load to raise)")
    needs = {Scenario.SERVER: ("--rate", args.rate), Scenario.STREAMING: ("--streams", args.streams)}
    if scenario in needs and needs[scenario][1] is None and not args.find_max_load:
        raise SpecError(None, needs[scenario][0], f"required with --scenario {scenario.value}")
    if args.slo_p99_s is not None and not args.slo_p99_s > 0:
        raise SpecError(None, "--slo-p99-s", "expected a latency in seconds > 0", args.slo_p99_s)
    if args.find_max_load and args.slo_p99_s is None:
        raise SpecError(None, "--slo-p99-s", "required with --find-max-load")
    if args.trace_segments < 0:  # it was read as 0 (no trace) without a word
        raise SpecError(None, "--trace-segments", "expected an integer >= 0 (0: no Chrome trace)", args.trace_segments)
    base = run_request(args, args.workload, args.precision, args.device, 1, args.beam)
    utterances = args.utterances if args.utterances is not None else (len(table) if table else 100)
    request = ServeRequest(base, scenario, utterances=utterances,
                           rate_per_s=args.rate if args.rate is not None else 1.0,
                           streams=args.streams if args.streams is not None else 1, duration_s=args.duration_s,
                           chunk_s=args.chunk_s, lengths=lengths,
                           batching=_choice("--batching", args.batching, Batching), max_batch=args.max_batch,
                           max_wait_s=args.max_wait_s, chips=args.chips,
                           trace_limit=args.trace_segments if args.out else 0)
    check_serve_limits(request)  # before the workload is resolved: counts, chips, rate x duration, audio
    return request


def _load_points(request: "ServeRequest", executor: "Executor") -> tuple[str, list[tuple[float, dict]]]:
    """Points for the latency-vs-load plot: fractions of the load (server, streaming) or batch sizes (offline)."""
    from hwsim.serving.capacity import probe_summary
    from hwsim.serving.run import Scenario

    if request.scenario is Scenario.OFFLINE:
        batches = sorted({1, *(b for b in (2, 4, 8, 16, 32, 64, 128) if b < request.max_batch), request.max_batch})
        summaries = executor.map(probe_summary, [replace(request, max_batch=b, trace_limit=0) for b in batches])
        return "max batch (offline)", list(zip(map(float, batches), summaries))
    loads = sorted({max(1, round(request.load * f)) if request.scenario is Scenario.STREAMING else request.load * f
                    for f in LOAD_FRACTIONS})
    summaries = executor.map(probe_summary, [replace(request.with_load(x), trace_limit=0) for x in loads])
    label = "streams" if request.scenario is Scenario.STREAMING else "arrival rate [utt/s]"
    return label, list(zip(map(float, loads), summaries))


def run(args: argparse.Namespace) -> int:
    from hwsim.executor import make_executor
    from hwsim.outputs import preflight_outputs
    from hwsim.progress import CountingExecutor, progress
    from hwsim.simulate import prepare, resolved_config

    preflight_outputs(folders={"--out": args.out})
    request = serve_request(args)
    prepared = prepare(request.base)
    _note_chunk_rounding(request, prepared)
    executor = make_executor(args.executor, args.workers, args.scheduler) \
        if args.find_max_load or args.out or args.scheduler else None
    with progress(desc="serve: load points", unit="pt", enabled=executor is not None) as bar:
        counted = CountingExecutor(executor, bar) if executor is not None else None
        try:
            result, points, label = _run(args, request, prepared, counted)
        finally:
            if counted is not None:
                counted.close()
    if request.base.options.compute_as:  # say what was computed as what (only then: the keys are new)
        choices = prepared.run_choices()
        result.summary.update(compute_as=choices["compute_as"], computed_as=choices["computed_as"])
    if args.out:
        _write(args.out, result, points, label, args.slo_p99_s, resolved_config(request.base, prepared), args)
    if args.json:
        print_json(result.summary)
    elif args.csv:
        print_csv(result.utterances)
    else:
        from hwsim.report.serving import human_summary

        print("\n".join(human_summary(result.summary)))
        if "compute_as" in result.summary:
            print("\n".join(describe_choices(prepared.run_choices())[1:]))
        if args.out:
            print(f"written to {args.out}/")
    return 0


def _note_chunk_rounding(request: "ServeRequest", prepared) -> None:
    """A streaming --chunk-s is used in whole input frames: say so when that changes it (refused below one)."""
    from hwsim.serving.run import Scenario, chunk_frames_for

    if request.scenario is not Scenario.STREAMING or request.base.chunk_frames is not None:
        return
    step_s = prepared.model.graph.input_frame_step_s
    text = rounding_note("--chunk-s", request.chunk_s, chunk_frames_for(request.chunk_s, step_s), step_s)
    if text:
        note(text)


def _run(args: argparse.Namespace, request: "ServeRequest", prepared, executor):
    from hwsim.serving.capacity import SCHEDULES, find_max_load
    from hwsim.serving.run import Scenario, load_cap, serve

    points: list[tuple[float, dict]] = []
    label = "streams" if request.scenario is Scenario.STREAMING else "arrival rate [utt/s]"
    extra: dict[str, object] = {}
    if args.find_max_load:
        limit = cap = load_cap(request)  # the run-size limits bound the loads the search may probe
        if request.scenario is Scenario.STREAMING:  # a stream counts only if its state fits in chip memory
            cap = math.floor(cap)
            limit = min(cap, max(1, serve(request, prepared, SCHEDULES).summary["memory"]["max_concurrent_streams"]
                                 * request.chips))
        capacity = find_max_load(request, args.slo_p99_s, executor, limit=limit)
        if capacity.max_load >= cap:
            note(f"the capacity search stopped at {cap:,g} ({label}), the most the run-size limits allow "
                 "(--allow-large lifts them); the capacity may be higher")
        points = [(p.load, p.summary) for p in capacity.probes]
        key = "max_streams" if request.scenario is Scenario.STREAMING else "max_rate_utt_per_s"
        extra = {key: int(capacity.max_load) if key == "max_streams" else capacity.max_load,
                 "slo_p99_s": args.slo_p99_s, "probes": len(capacity.probes)}
        if capacity.max_load > 0:
            request = request.with_load(capacity.max_load)
    result: "ServeResult" = serve(request, prepared, SCHEDULES)  # the probes' decode schedules, searched once
    result.summary.update(extra)
    if args.out and not points:
        label, points = _load_points(request, executor)
    return result, points, label


def _write(out: Path, result: "ServeResult", points, label, slo, config, args) -> None:
    from hwsim.csvout import write_csv
    from hwsim.jsonout import dumps
    from hwsim.outputs import atomic_output_dir, write_resolved_config
    from hwsim.report.serving import load_table, plot_latency_vs_load
    from hwsim.report.trace import write_chrome_trace

    with atomic_output_dir(out) as staging:
        (staging / "summary.json").write_text(dumps(result.summary, indent=1) + "\n")
        write_csv(result.utterances, staging / "utterances.csv")
        write_csv(result.batches, staging / "batches.csv")
        if len(result.chunks):
            write_csv(result.chunks, staging / "chunks.csv")
        table = load_table(points)
        write_csv(table, staging / "loads.csv")
        s = result.summary
        plot_latency_vs_load(table, staging / "latency_vs_load.png", label,
                             f"{s['workload']} @ {s['precision']} on {s['chips']} x {s['device']}: {s['scenario']}, "
                             f"{s['batching']} batching, beam {s['beam']}", slo)
        write_chrome_trace(result.trace, staging / "trace.json",
                           f"{s['workload']} {s['precision']} {s['device']} serving")
        config["serve"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "func"}
        write_resolved_config(staging, config)
