"""`hwsim gemm`: what one GEMM layer costs on one device's matrix engine, without a workload file."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from hwsim.commands.choices import DATAFLOWS
from hwsim.commands.common import (add_compute_as_argument, add_output_arguments, argument_group, print_csv,
                                   require_positive_int, verb_parser)
from hwsim.io.paths import DEVICES_DIR, shipped_names

if TYPE_CHECKING:
    from hwsim.cost.gemm import GemmCost

EXAMPLES = ("hwsim gemm --device tpu_v5e --m 16 --k 640 --n 16384 --precision int4xbf16",
            "hwsim gemm --device systolic_128 --m 16 --k 300 --n 256 --dataflow ws --json",
            "hwsim gemm --device a100_pcie_80gb --m 8 --k 1024 --n 4096 --precision fp16 --csv")

PRECISION_HELP = (
    "weight x activation precision. FMT = both operands (int8, int4, bf16, fp16, hfp8, fp8_e4m3, float32, int2, "
    "binary); WFMTxAFMT = explicit pair, weights first (int2xbf16, int4xint8); wNaM = shorthand with N, M in "
    "1/2/4/8 -> intN (1 = binary), 16 -> the device's 16-bit float (bf16, else fp16), 32 -> float32 (w4a16, w2a8). "
    "Default: the first native pair of the device's first matrix engine. Pairs the engine lacks are emulated if "
    "the device file says how, promoted (weight-only: weights dequantized to the activation format on the vector "
    "unit), or rejected with an error."
)


# `bound` values -> the breakdown row they name below
BOUND_LABELS = {"weight_load": "weight-load stall", "fill_drain": "fill/drain", "overhead": "fixed overhead"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(
        subparsers, "gemm", "cost of one (M x K) @ (K x N) GEMM on a device",
        "Cycles, time, utilization and bound of (M x K activations) @ (K x N weights) on a device's\n"
        "systolic matrix engine, with the full breakdown (fill/drain, weight-load stall, memory stall).", EXAMPLES)
    inputs = argument_group(parser, "inputs")
    inputs.add_argument("--device", required=True,
                        help=f"shipped device ({', '.join(shipped_names(DEVICES_DIR))}) or a path to a device YAML")
    inputs.add_argument("--device-set", dest="device_overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
                        help="override a device figure (repeatable), e.g. modelling.conversion_overlap.value=serial")
    inputs.add_argument("--m", required=True, help="rows of the activation matrix (batch x time)")
    inputs.add_argument("--k", required=True, help="reduction dimension (input features)")
    inputs.add_argument("--n", required=True, help="columns of the weight matrix (output features)")
    numerics = argument_group(parser, "mapping and numerics")
    numerics.add_argument("--precision", help=PRECISION_HELP)
    numerics.add_argument("--dataflow", choices=DATAFLOWS,
                          help="ws = weight, os = output, is = input stationary (default: the device file's "
                               "modelling.dataflow)")
    numerics.add_argument("--matmul-precision", default="default", metavar="P",
                          help="default | high | highest: float32 on bf16 engines runs 1, 3 or 6 bf16 passes (JAX "
                               "semantics)")
    numerics.add_argument("--scale-blocks", default="0", metavar="S",
                          help="weight scales per output along K for integer compute: 0 = unscaled (as SCALE-Sim "
                               "counts), 1 = per-channel, K/block = sub-channel; each rescales every output once on "
                               "the vector unit")
    add_compute_as_argument(numerics)
    add_output_arguments(parser, json_help="print one JSON object with the full breakdown",
                         csv_help="print the cycle breakdown (term, cycles) as CSV")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hwsim.cost.hardware import Dataflow, load_device
    from hwsim.cost.engine_select import check_compute_as, parse_matmul_precision, parse_precision
    from hwsim.formats import split_pair
    from hwsim.cost.gemm import gemm_cost
    from hwsim.io.jsonout import dumps

    m, k, n = (require_positive_int(getattr(args, name), f"--{name}") for name in ("m", "k", "n"))
    precision = parse_matmul_precision(args.matmul_precision)
    blocks = 0 if str(args.scale_blocks) == "0" else require_positive_int(args.scale_blocks, "--scale-blocks")
    device = load_device(args.device, args.device_overrides)
    if args.compute_as is not None:
        check_compute_as(device, args.compute_as)
    if args.precision is None:
        first = device.matrix_engines[0]
        default = next(p for p, s in first.precisions.items() if s.support.value == "native")
        weight_fmt, act_fmt = split_pair(default)
    else:
        weight_fmt, act_fmt = parse_precision(args.precision, device)
    cost = gemm_cost(device, m, k, n, weight_fmt, act_fmt, matmul_precision=precision,
                     dataflow=Dataflow(args.dataflow) if args.dataflow else None, scale_blocks=blocks,
                     compute_as=args.compute_as)
    if args.csv:
        print_csv([{"term": name, "cycles": value} for name, value in breakdown_rows(cost)])
    else:
        print(dumps(cost.as_dict()) if args.json else format_cost(cost))
    return 0


def _engine_line(d: dict) -> str:
    if d["compute_model"] == "tensor_core":
        return (f"{d['sms']} SMs, thread-block tile {d['tile_m']}x{d['tile_n']}, {d['tiles']} tile(s) in {d['waves']} "
                f"wave(s) of {d['block_slots']} blocks, peak fraction {d['peak_fraction']:g}")
    return (f"dataflow {d.get('dataflow')}, weight_load {d.get('weight_load')}, fill_drain {d.get('fill_drain')}, "
            f"{d.get('arrays')} array(s) of {d.get('rows')}x{d.get('cols')}, {d.get('folds')} fold(s)")


def breakdown_rows(cost: "GemmCost") -> list[tuple[str, float]]:
    """The cycle breakdown's (term, cycles) rows, as printed and as `--csv`."""
    d = cost.as_dict()
    rows = [
        ("ideal (MACs / peak)", d.get("ideal_cycles", 0.0)), ("spatial under-use", d.get("spatial_underuse_cycles", 0.0)),
        ("fill/drain", d.get("fill_drain_cycles", 0.0)), ("weight-load stall", d.get("weight_load_cycles", 0.0)),
        ("extra emulation passes", d["passes_extra_cycles"]), ("memory stall", d["memory_stall_cycles"]),
        ("conversion + scaling", d["conversion_cycles"]), ("fixed overhead", d["overhead_cycles"]),
    ]
    if d["compute_model"] == "tensor_core":  # no folds, fill/drain or weight loads on tensor cores
        rows[1:4] = [("waves, tiles, peak fraction", cost.array.cycles - d["ideal_cycles"])]
    return rows


def format_cost(cost: "GemmCost") -> str:
    d = cost.as_dict()
    rows = breakdown_rows(cost)
    combine = ("max(array, memory, conversion)" if d["conversion_overlap"] == "concurrent"
               else "max(array, memory) + conversion")
    lines = [
        f"{d['device']} {d['engine']}: ({d['m']} x {d['k']}) @ ({d['k']} x {d['n']}): {d['computed_as']}"
        f" [matmul precision {d['matmul_precision']}]",
        _engine_line(d),
        f"cycles {d['cycles']:>14,.0f}   time {d['time_s']:.4g} s   utilization {d['utilization']:.1%}   "
        f"bound: {BOUND_LABELS.get(d['bound'], d['bound'])}",
        f"  time = {combine} + overhead: array {d['array_s']:.4g} s, memory {d['memory_s']:.4g} s, conversion "
        f"{d['conversion_s']:.4g} s, output scaling {d['output_scaling_s']:.4g} s"
        + ("  (array + memory from the device's measured GEMM table)" if d["measured_table"] else ""),
    ]
    lines += [f"  {name:<28}{value:>12,.0f}" for name, value in rows]
    lines.append(f"  (operand traffic {d['bytes_moved']:,.0f} bytes = {d['memory_cycles']:,.0f} cycles at the array clock)")
    lines += [f"note: {note}" for note in d["notes"]]
    return "\n".join(lines)
