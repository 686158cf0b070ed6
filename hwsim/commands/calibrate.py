"""`hwsim calibrate`: measure this machine with numpy micro-benchmarks and write a `measured:` device file."""

from __future__ import annotations

import argparse
import statistics

from hwsim import clock
from hwsim.commands.choices import RUNTIMES
from hwsim.commands.common import (
    add_output_arguments, argument_group, positive_int, print_csv, print_json, verb_parser,
)
from hwsim.commands.torch_calibrate import add_torch_arguments
from hwsim.errors import SpecError
from hwsim.units import GIGA, MIB

EXAMPLES = ("hwsim calibrate", "hwsim calibrate --quick --out /tmp/local_cpu.yaml",
            "hwsim calibrate --runtime onnxruntime", "hwsim calibrate --workload usm_rnnt_1b --threads 2")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(
        subparsers, "calibrate",
        "measure this machine (GEMM, bandwidth, element-wise, sort, overhead) into a device file",
        "Runs numpy micro-benchmarks (medians of repeats, about two minutes; --quick: a few seconds) and\n"
        "writes a device YAML whose figures are `measured:`, with the raw table under `calibration:`.", EXAMPLES)
    run_group = argument_group(parser, "run")
    output = add_output_arguments(parser, json_help="print {file, machine, measurements, runtime_calls} as JSON "
                                  "instead of the summary", csv_help="print the measurement table as CSV")
    output.add_argument("--out", default=None, help="device file to write (default: "
                        "$XDG_DATA_HOME/hwsim/devices/local_cpu.yaml, where `hwsim validate` finds it; never a shipped file)")
    run_group.add_argument("--quick", action="store_true", help="fewer shapes and repeats (under ~10 s)")
    run_group.add_argument("--threads", type=positive_int, default=1,
                        help="BLAS threads while measuring (default 1: decoder GEMMs are small, and multi-threaded "
                             "BLAS on a shared machine thrashes; `hwsim validate` decodes with the same count)")
    run_group.add_argument("--no-progress", action="store_true", help="no progress bar on stderr (as --quiet)")
    run_group.add_argument("--clock", choices=sorted(clock.CLOCKS), default=clock.DEFAULT,
                        help="what to time with: cpu = this thread's CPU time (default; robust to other processes on a "
                             "shared machine), wall = elapsed time; `hwsim validate` uses the clock the file records")
    run_group.add_argument("--workload", action="append", default=None, metavar="NAME",
                        help="also measure this workload's GEMM shapes at decoding rows, cold and inside its decoder "
                             "cycle (hwsim.cost.cache_reuse); repeatable; the validation workloads are always measured")
    add_torch_arguments(argument_group(parser, "torch backend"))
    run_group.add_argument("--runtime", choices=RUNTIMES, default="numpy",
                        help="whose GEMMs and per-call overhead to measure: numpy, or onnxruntime sessions (optional "
                             "extra 'onnx'); default output local_cpu_onnxruntime.yaml for the latter")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hwsim.calibrate.facts import four_kib_pages, machine_facts, set_blas_threads
    from hwsim.calibrate.location import check_not_shipped, default_calibration_path
    from hwsim.calibrate.microbench import spread_pct
    from hwsim.calibrate.probe import AtReferenceSpeed, SpeedProbe
    from hwsim.calibrate.runtime_calls import measure_runtime_calls
    from hwsim.calibrate.suite import QUICK, full_plan, noise_floor_pct, run_suite, with_workloads
    from hwsim.calibrate.writer import device_document, write_device
    from hwsim.commands.torch_calibrate import run_torch_calibration
    from hwsim.io.outputs import preflight_outputs
    from hwsim.reference.runtimes import require_onnxruntime

    preflight_outputs(files={"--out": (args.out, (".yaml", ".yml"))})
    if args.backend == "torch":
        return run_torch_calibration(args)
    if args.threads is not None and not set_blas_threads(args.threads):
        raise SpecError(None, "--threads", "expected a BLAS whose thread count can be set (threadpoolctl or OpenBLAS)")
    if args.runtime == "onnxruntime":
        require_onnxruntime()
    out = check_not_shipped(args.out or default_calibration_path(args.runtime))
    plan = with_workloads(QUICK if args.quick else full_plan(), tuple(args.workload or ()))  # refuses unknown names
    out.parent.mkdir(parents=True, exist_ok=True)
    pages = four_kib_pages()
    with clock.using(args.clock):
        probe = SpeedProbe()
        speeds = [probe.seconds() for _ in range(5)]
        measurements = run_suite(plan, progress=not args.no_progress, runtime=args.runtime)
        speeds += [probe.seconds() for _ in range(5)]
        facts = {**machine_facts(), "noise_floor_pct": noise_floor_pct(plan), "runtime": args.runtime,
                 "clock": args.clock, "array_pages": pages}
        speed = AtReferenceSpeed(probe, statistics.median(speeds))  # the suite's speed, before and after it
        runtime = measure_runtime_calls(device_document(out.stem, facts, measurements), args.runtime,
                                        plan.repeats, search_repeats=3 if args.quick else 5, speed=speed)
        speeds += speed.probes + [probe.seconds() for _ in range(5)]
        facts["speed_probe_s"] = speed.reference_s  # every runtime figure is scaled to it (hwsim.calibrate.probe)
        facts["speed_probe_spread_pct"] = round(spread_pct(speeds), 3)  # before, between, during, after
    document = write_device(out, facts, measurements, runtime)
    calibration = document["calibration"]
    if args.json:
        print_json({"file": str(out), "machine": calibration["machine"], "measurements": calibration["measurements"],
                    "runtime_calls": document.get("modelling", {}).get("runtime_calls")})
    elif args.csv:
        print_csv([{k: ("x".join(map(str, v)) if k == "shape" else v) for k, v in row.items()}
                   for row in calibration["measurements"]])
    else:
        print(summary(str(out), document))
        print("\n".join(runtime.report()))
    return 0


def summary(path: str, document: dict) -> str:
    rows = document["calibration"]["measurements"]
    gemm = {tuple(r["shape"]): r["rate_per_s"] for r in rows if r["benchmark"] == "gemm" and r["dtype"] == "float32"}
    noise = document["calibration"]["machine"].get("noise_floor_pct")
    from hwsim.report.table import Column, render

    lines = [f"wrote {path}", f"noise floor (interquartile spread of a repeated mid-size GEMM): {noise:.1f} %",
             "float32 GEMM:"]
    lines.append(render([{"shape": "x".join(map(str, s)), "rate": rate / GIGA} for s, rate in sorted(gemm.items())],
                        [Column("shape", "M x K x N"), Column("rate", "rate", "GFLOP/s", fmt=",.2f")]))
    stream = [r for r in rows if r["benchmark"] == "weight_stream"]
    for m in sorted({r["shape"][0] for r in stream}):
        lines.append(f"weight sweep at M = {m} (hwsim.cost.cache_reuse), GB/s by working set: " + ", ".join(
            f"{r['shape'][1] / MIB:g} MiB {r['rate_per_s'] / GIGA:.1f}" for r in stream if r["shape"][0] == m))
    cold = {tuple(r["shape"]): r["median_s"] for r in rows if r["benchmark"] == "gemm_cold"}
    hot = {tuple(r["shape"]): r["median_s"] for r in rows if r["benchmark"] == "gemm" and r["dtype"] == "float32"}
    ratios = sorted(cold[s] / hot[s] for s in cold if s in hot)
    if ratios:
        lines.append(f"cold / hot GEMM time over {len(ratios)} decoding shapes: median {ratios[len(ratios) // 2]:.2f}, "
                     f"range {ratios[0]:.2f}-{ratios[-1]:.2f}")
    others = [{"benchmark": r["benchmark"], "dtype": r["dtype"], "shape": "x".join(map(str, r["shape"])),
               "rate_per_s": r["rate_per_s"], "unit": f"{r['work_unit']}/s", "median_s": r["median_s"]}
              for r in rows if r["benchmark"] not in ("gemm", "gemm_cold", "weight_stream")]
    if others:
        lines.append("other benchmarks:")
        lines.append(render(others, ["benchmark", "dtype", "shape", Column("rate_per_s", "rate", fmt=".4e"), "unit",
                                     Column("median_s", "median time", "us", 1e6, ",.2f")]))
    return "\n".join(lines)
