"""`hwsim serve WORKLOAD PRECISION --device D [--chips N] --scenario offline|server|streaming`: many utterances or
real-time streams on one or many chips with batching: throughput, RTFx, latency percentiles, utilisation, memory
per chip, cost per 1000 h of audio; `--slo-p99-s L --find-max-load` finds the capacity at a p99 target."""

from __future__ import annotations

import argparse
import math
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from hwsim.commands.choices import BATCHINGS, ORDERS, PADDINGS, SCENARIOS
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
    from hwsim.pipeline.executors import Executor
    from hwsim.serving.serve import ServeProgress, ServeRequest, ServeResult, TraceWindow

DEFAULT_TRACE_SEGMENTS = 200_000
DEFAULT_TRACE_UTTERANCES = 10  # a USM utterance is ~3,600 trace segments: 10 make a trace of ~10 MB
EXAMPLES = (
    "hwsim serve usm_rnnt_1b exp5 --device tpu_v5e --utterances 200",
    "hwsim serve usm_rnnt_1b exp5 --device tpu_v5e --scenario server --rate 20 --duration-s 30 --json",
    "hwsim serve ibm_rnnt_swb int4 --device ibm_7nm_ai_chip --scenario streaming --slo-p99-s 0.5 --find-max-load",
    "hwsim serve usm_rnnt_1b exp5 --device tpu_v5e --chips 4 --scenario server --rates 20,40,80 --out /tmp/s --trace",
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
    load.add_argument("--rates", default=None, metavar="R1,R2,...",
                      help="server: run each of these arrival rates (a latency-vs-load curve; the summary is the "
                      "highest)")
    load.add_argument("--streams", default=None, metavar="S[,S2,...]",
                      help="streaming: concurrent streams; a comma list runs each count (a latency-vs-load curve; "
                      "the summary is the highest)")
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
    batching.add_argument("--max-batch", default="32", metavar="B[,B2,...]",
                          help="utterances in one encoder call or decoder step; capped by memory (32); "
                          "offline: a comma list runs each (a latency-vs-batch curve; the summary is the largest)")
    batching.add_argument("--max-wait-s", type=float, default=0.01, help="dynamic: longest wait for a full batch")
    batching.add_argument("--order", default=None, metavar="O",
                          help=f"offline queue order: {' | '.join(ORDERS)} (default sorted, longest first: "
                          "as benchmark harnesses do; server and streaming: arrival)")
    batching.add_argument("--padding", default=PADDINGS[0], metavar="P",
                          help=f"{' | '.join(PADDINGS)}: charge every batch member the longest, or only its own "
                          f"frames and steps (packed sequences) (default {PADDINGS[0]})")
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
    output.add_argument("--out", type=Path, metavar="DIR", help="write summary.json, utterances.csv, "
                        "resolved_config.yaml and, with a load curve (--rates, --streams or --max-batch lists, "
                        "--find-max-load), loads.csv and latency_vs_load.png into DIR")
    output.add_argument("--trace", action="store_true", help="with --out: also batches.csv, chunks.csv and "
                        "trace.json (Chrome trace), covering the run until the first --trace-utterances finished")
    output.add_argument("--trace-utterances", type=signed_int, default=None, metavar="N",
                        help=f"utterances the --trace files cover: the run until the first N finished (default "
                        f"{DEFAULT_TRACE_UTTERANCES}; implies --trace)")
    output.add_argument("--trace-segments", type=signed_int, default=None, metavar="N",
                        help=f"segments per chip kept in the Chrome trace at most (default "
                        f"{DEFAULT_TRACE_SEGMENTS:,}; 0: no trace.json; implies --trace)")
    parser.set_defaults(func=run)


def _choice(flag: str, text: str, enum):
    try:
        return enum(text)
    except ValueError:
        raise unknown_choice(None, flag, flag.lstrip("-"), text, [e.value for e in enum]) from None


def _numbers(flag: str, text: str, integer: bool, what: str) -> list[float]:
    """A comma list of loads: numbers > 0 (integers >= 1), sorted, each once; one line naming the flag if not."""
    items = [t.strip() for t in text.split(",")]
    if not all(items):
        raise SpecError(None, flag, f"expected {what}: a comma list such as {'8,16,32' if integer else '10,20,40'}",
                        text)
    values = set()
    for item in items:
        try:
            value = int(item) if integer else float(item)
        except ValueError:
            raise SpecError(None, flag, f"expected {what}", item) from None
        if not (value >= 1 if integer else value > 0 and math.isfinite(value)):
            raise SpecError(None, flag, "expected an integer >= 1" if integer else "expected a number > 0", value)
        values.add(value)
    return sorted(values)


STREAMS_WHAT = "stream counts, integers >= 1"
BATCHES_WHAT = "batch sizes, integers >= 1"
RATES_WHAT = "arrival rates > 0 in utterances per second"


def _lists(args: argparse.Namespace, scenario) -> tuple[list[float] | None, list[float] | None, list[float]]:
    """(--rates, --streams, --max-batch) as sorted lists, each refused where its scenario cannot use it."""
    from hwsim.serving.serve import Scenario

    rates = _numbers("--rates", args.rates, False, RATES_WHAT) if args.rates is not None else None
    streams = _numbers("--streams", args.streams, True, STREAMS_WHAT) if args.streams is not None else None
    batches = _numbers("--max-batch", args.max_batch, True, BATCHES_WHAT)
    at = f"--scenario {scenario.value}"
    if rates is not None and scenario is not Scenario.SERVER:
        raise SpecError(None, "--rates", "expected --scenario server (streaming: --streams S1,S2,...; offline: "
                        "--max-batch B1,B2,...)", at)
    if rates is not None and args.rate is not None:
        raise SpecError(None, "--rates", "expected either --rate R or --rates R1,R2,..., not both",
                        f"--rate {args.rate:g}")
    if streams is not None and len(streams) > 1 and scenario is not Scenario.STREAMING:
        raise SpecError(None, "--streams", "expected one count (a list of stream counts needs --scenario streaming)",
                        at)
    if len(batches) > 1 and scenario is not Scenario.OFFLINE:
        raise SpecError(None, "--max-batch", "expected one batch size (a list of batch sizes is an offline curve)", at)
    for flag, text, values in (("--rates", args.rates, rates), ("--streams", args.streams, streams)):
        if args.find_max_load and values is not None and len(values) > 1:
            raise SpecError(None, flag, "expected one starting load with --find-max-load (its probes are the curve)",
                            text)
    return rates, streams, batches


def _trace_cap(args: argparse.Namespace) -> tuple[bool, int]:
    """(whether --trace files are written, segments the engine records: 0 without --trace or with
    --trace-segments 0). --trace-utterances and --trace-segments imply --trace; both need --out."""
    if args.trace_segments is not None and args.trace_segments < 0:  # it was read as 0 (no trace) without a word
        raise SpecError(None, "--trace-segments", "expected an integer >= 0 (0: no Chrome trace)", args.trace_segments)
    if args.trace_utterances is not None and args.trace_utterances < 1:
        raise SpecError(None, "--trace-utterances", "expected an integer >= 1 (utterances the trace covers)",
                        args.trace_utterances)
    asked = "--trace" if args.trace else "--trace-utterances" if args.trace_utterances is not None else None
    if asked and not args.out:
        raise SpecError(None, asked, "expected --out DIR to write the trace files into", "no --out")
    trace = bool(args.out) and (asked is not None or args.trace_segments is not None)
    segments = DEFAULT_TRACE_SEGMENTS if args.trace_segments is None else args.trace_segments
    return trace, segments if trace else 0


def serve_request(args: argparse.Namespace) -> "ServeRequest":
    """The request the summary describes: the one load asked for, or the highest of a list (see requested_curve)."""
    from hwsim.serving.load import Lengths, read_lengths
    from hwsim.serving.order import Order
    from hwsim.serving.serve import Scenario, ServeRequest, check_serve_limits
    from hwsim.sim.policies import Batching, Padding

    scenario = _choice("--scenario", args.scenario, Scenario)
    table = read_lengths(args.lengths) if args.lengths else ()
    lengths = Lengths(args.utterance_s, args.utterance_cv, table)
    if args.find_max_load and scenario is Scenario.OFFLINE:
        raise SpecError(None, "--find-max-load", "--scenario server or streaming (offline has no load to raise)")
    rates, streams, batches = _lists(args, scenario)
    rate = rates[-1] if rates else args.rate
    needs = {Scenario.SERVER: ("--rate", rate), Scenario.STREAMING: ("--streams", streams)}
    if scenario in needs and needs[scenario][1] is None and not args.find_max_load:
        raise SpecError(None, needs[scenario][0], f"required with --scenario {scenario.value}")
    if args.slo_p99_s is not None and not args.slo_p99_s > 0:
        raise SpecError(None, "--slo-p99-s", "expected a latency in seconds > 0", args.slo_p99_s)
    if args.find_max_load and args.slo_p99_s is None:
        raise SpecError(None, "--slo-p99-s", "required with --find-max-load")
    _, trace_limit = _trace_cap(args)
    base = run_request(args, args.workload, args.precision, args.device, 1, args.beam)
    utterances = args.utterances if args.utterances is not None else (len(table) if table else 100)
    request = ServeRequest(base, scenario, utterances=utterances, rate_per_s=rate if rate is not None else 1.0,
                           streams=int(streams[-1]) if streams else 1, duration_s=args.duration_s,
                           chunk_s=args.chunk_s, lengths=lengths,
                           batching=_choice("--batching", args.batching, Batching), max_batch=int(batches[-1]),
                           max_wait_s=args.max_wait_s, chips=args.chips, trace_limit=trace_limit,
                           order=None if args.order is None else _choice("--order", args.order, Order),
                           padding=_choice("--padding", args.padding, Padding))
    check_serve_limits(request)  # before the workload is resolved: counts, chips, rate x duration, audio
    return request


def requested_curve(args: argparse.Namespace, request: "ServeRequest") -> list[float]:
    """The loads a list flag asked for (--rates, --streams S1,S2,..., offline --max-batch B1,B2,...), sorted; empty
    when one load was asked (then only that load runs: no curve, no loads.csv)."""
    from hwsim.serving.serve import Scenario

    rates, streams, batches = _lists(args, request.scenario)
    loads = {Scenario.SERVER: rates, Scenario.STREAMING: streams, Scenario.OFFLINE: batches}[request.scenario] or []
    return loads if len(loads) > 1 else []


def _at(request: "ServeRequest", load: float) -> "ServeRequest":
    """The request at one point of its curve: a batch size offline, else a rate or a stream count."""
    from hwsim.serving.serve import Scenario

    if request.scenario is Scenario.OFFLINE:
        return replace(request, max_batch=int(load), trace_limit=0)
    return replace(request.with_load(load), trace_limit=0)


def _curve_label(request: "ServeRequest") -> str:
    from hwsim.serving.serve import Scenario

    return {Scenario.OFFLINE: "max batch (offline)", Scenario.STREAMING: "streams",
            Scenario.SERVER: "arrival rate [utt/s]"}[request.scenario]


def _curve_points(request: "ServeRequest", curve: list[float], result: "ServeResult",
                  executor: "Executor") -> list[tuple[float, dict]]:
    """Every load of the curve: the highest is the summary's run, the others run on the executor."""
    from hwsim.serving.capacity import probe_summary

    others = curve[:-1]
    summaries = executor.map(probe_summary, [_at(request, x) for x in others])
    return [*zip(map(float, others), summaries), (float(curve[-1]), result.summary)]


@contextmanager
def _utterance_bar() -> Iterator["ServeProgress"]:
    """One bar fed by serve(): decode schedules drawn, then utterances finished (hwsim.progress: stderr,
    terminals only, off with --quiet)."""
    from hwsim.progress import progress

    shown = [""]  # the phase the bar shows
    with progress(desc="serve", unit="utt") as bar:
        def update(phase: str, done: int, total: int | None) -> None:
            if phase != shown[0]:
                shown[0] = phase
                bar.set_description(f"serve: {phase}", refresh=False)
                bar.reset(total=total)  # shows the new phase at once
            bar.update(done - bar.n)
        yield update


def run(args: argparse.Namespace) -> int:
    from hwsim.pipeline.executors import make_executor
    from hwsim.io.outputs import preflight_outputs
    from hwsim.progress import CountingExecutor, progress
    from hwsim.pipeline.point import prepare_point, resolved_config

    preflight_outputs(folders={"--out": args.out})
    request = serve_request(args)
    curve = requested_curve(args, request)
    trace, _ = _trace_cap(args)
    prepared = prepare_point(request.base)
    _note_chunk_rounding(request, prepared)
    executor = make_executor(args.executor, args.workers, args.scheduler) \
        if args.find_max_load or curve or args.scheduler else None
    with progress(desc="serve: load points", unit="pt", enabled=executor is not None) as bar:
        counted = CountingExecutor(executor, bar) if executor is not None else None
        try:
            result, points, label = _run(args, request, prepared, counted, curve)
        finally:
            if counted is not None:
                counted.close()
    if request.base.options.compute_as:  # say what was computed as what (only then: the keys are new)
        choices = prepared.run_choices()
        result.summary.update(compute_as=choices["compute_as"], computed_as=choices["computed_as"])
    window = None
    if trace:
        from hwsim.serving.serve import trace_window

        window = trace_window(result, args.trace_utterances or DEFAULT_TRACE_UTTERANCES)
        result.summary["trace"] = window.describe()
    if args.out:
        _write(args.out, result, points, label, args.slo_p99_s, resolved_config(request.base, prepared), args, window)
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
    from hwsim.serving.serve import Scenario, chunk_frames_for

    if request.scenario is not Scenario.STREAMING or request.base.chunk_frames is not None:
        return
    step_s = prepared.model.graph.input_frame_step_s
    text = rounding_note("--chunk-s", request.chunk_s, chunk_frames_for(request.chunk_s, step_s), step_s)
    if text:
        note(text)


def _run(args: argparse.Namespace, request: "ServeRequest", prepared, executor, curve: list[float]):
    from hwsim.serving.capacity import SCHEDULES, find_max_load
    from hwsim.serving.serve import Scenario, load_cap, serve

    points: list[tuple[float, dict]] = []
    label = _curve_label(request)
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
    with _utterance_bar() as on_progress:  # the probes' decode schedules, searched once
        result: "ServeResult" = serve(request, prepared, SCHEDULES, on_progress)
    result.summary.update(extra)
    if curve:
        from hwsim.report.serving import load_table

        points = _curve_points(request, curve, result, executor)
        result.summary["loads"] = load_table(points).to_dict("records")
    return result, points, label


def _write(out: Path, result: "ServeResult", points, label, slo, config, args,
           window: "TraceWindow | None") -> None:
    """The summaries always; the load curve when there is one; the per-batch and per-chunk CSVs and the Chrome
    trace only with --trace, cut to its window (the first --trace-utterances to finish)."""
    from hwsim.io.csvout import write_csv
    from hwsim.io.jsonout import dumps
    from hwsim.io.outputs import atomic_output_dir, write_resolved_config

    s = result.summary
    title = f"{s['workload']} {s['precision']} {s['device']} serving"
    with atomic_output_dir(out) as staging:
        (staging / "summary.json").write_text(dumps(result.summary, indent=1) + "\n")
        write_csv(result.utterances, staging / "utterances.csv")
        if points:
            from hwsim.report.serving import load_table, plot_latency_vs_load

            table = load_table(points)
            write_csv(table, staging / "loads.csv")
            plot_latency_vs_load(table, staging / "latency_vs_load.png", label,
                                 f"{s['workload']} @ {s['precision']} on {s['chips']} x {s['device']}: "
                                 f"{s['scenario']}, {s['batching']} batching, beam {s['beam']}", slo)
        if window is not None:
            from hwsim.report.trace import write_chrome_trace

            write_csv(window.batches, staging / "batches.csv")
            if len(window.chunks):
                write_csv(window.chunks, staging / "chunks.csv")
            if result.request.trace_limit:
                write_chrome_trace(window.trace, staging / "trace.json", title)
        config["serve"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "func"}
        config["serve"].update(_loads_config(args, result.request.scenario))
        config["serve"]["order"] = result.request.queue_order.value  # the order the run used (--order's default)
        write_resolved_config(staging, config)


def _loads_config(args: argparse.Namespace, scenario) -> dict[str, object]:
    """--rates, --streams and --max-batch as numbers in resolved_config.yaml (a list where several were given)."""
    lists = dict(zip(("rates", "streams", "max_batch"), _lists(args, scenario)))
    return {k: None if v is None else v[0] if len(v) == 1 else v for k, v in lists.items()}
