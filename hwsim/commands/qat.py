"""`hwsim qat WORKLOAD PRECISION`: quantize the model's weights as the precision config says and report the error.

Weights come from `--weights CKPT.npz` (keys = tensor names) or are drawn as each layer is initialised
(seeded). Every quantized tensor is quantized with the plan's quantizer and granularity; fp16 / bf16 tensors
are reported as casts; float32 tensors are exact and not analysed.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from hwsim.commands.common import (
    add_output_arguments, add_precision_argument, add_workload_argument, argument_group, positive_int, print_csv,
    print_json, print_table, seed_int, verb_parser,
)
from hwsim.report.style import add_format_argument

if TYPE_CHECKING:
    from hwsim.quant.analyse import Selection, TensorError
    from hwsim.precision.resolved import ResolvedModel

WORST_COUNT = 10
JSON_TENSOR_KEYS = ("name", "component", "format", "quantizer", "sqnr_db", "mse", "clipped_fraction", "meta_rel_error")


EXAMPLES = ("hwsim qat ibm_rnnt_swb int4", "hwsim qat usm_rnnt_1b exp5 --max-rows 64 --out /tmp/qat",
            "hwsim qat ibm_rnnt_swb int4 --weights ckpt.npz --match 'encoder.*' --json",
            "hwsim qat ibm_rnnt_swb int4 --csv > per_tensor.csv")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(subparsers, "qat", "weight quantization error (SQNR, MSE, clipping) per tensor/component",
                         __doc__, EXAMPLES)
    add_workload_argument(parser)
    add_precision_argument(parser)
    inputs = argument_group(parser, "inputs")
    inputs.add_argument("--weights", metavar="CKPT.npz", default=None,
                        help="weights keyed by tensor name (default: synthetic, drawn as each layer is initialised)")
    inputs.add_argument("--allow-missing", action="store_true",
                        help="tensors missing from --weights get synthetic weights instead of an error")
    run_group = argument_group(parser, "run")
    run_group.add_argument("--seed", type=seed_int, default=0, help="seed of the synthetic weights and row sampling")
    run_group.add_argument("--match", metavar="GLOB", default=None, help="analyse only tensors whose name matches")
    run_group.add_argument("--max-tensors", type=positive_int, default=None, metavar="N",
                           help="analyse at most N tensors (graph order)")
    run_group.add_argument("--max-rows", type=positive_int, default=None, metavar="N",
                           help="per-channel/sub-channel tensors: analyse a seeded sample of N whole output channels "
                                "(default: all; the full usm_rnnt_1b exp5 run takes under a minute)")
    output = add_output_arguments(parser, csv_help="print the per-tensor table (every tensor, every column) as CSV")
    output.add_argument("--out", metavar="DIR", default=None,
                        help="write per_tensor.csv, per_component.csv, sqnr.png and resolved_config.yaml")
    add_format_argument(output)
    parser.set_defaults(func=run)


def json_payload(model: "ResolvedModel", reports: "list[TensorError]", selection: "Selection") -> dict:
    from hwsim.quant.analyse import component_summary, finite_or_none

    summary = {name: {k: finite_or_none(v) for k, v in values.items()}
               for name, values in component_summary(reports).items()}
    tensors = [{k: finite_or_none(r.row()[k]) for k in JSON_TENSOR_KEYS} for r in reports]
    return {"workload": model.graph.name, "precision": model.plan.name, "per_component": summary,
            "tensors": tensors, "not_analysed": selection.not_analysed}


def print_human(model: "ResolvedModel", reports: "list[TensorError]", selection: "Selection", source: str,
                seconds: float) -> None:
    from hwsim.quant.analyse import worst
    from hwsim.report.qat import component_frame, tensor_frame

    print(f"{model.graph.name} @ {model.plan.name}: {len(reports)} tensors analysed, weights {source}, "
          f"{seconds:.1f} s")
    for reason, count in selection.not_analysed.items():
        print(f"  not analysed: {count} tensors, {reason}")
    sampled = [r for r in reports if r.sampled]
    if sampled:
        print(f"  sampled: {len(sampled)} tensors analysed on a seeded sample of whole output channels (--max-rows)")
    if not reports:
        print("  nothing to analyse: no tensor is quantized or cast to fp16/bf16")
        return
    print()
    print_table(component_frame(reports))
    print(f"\nworst {min(WORST_COUNT, len(reports))} tensors by SQNR")
    columns = ["name", "format", "quantizer", "granularity", "sqnr_db", "mse", "clipped_fraction", "meta_rel_error"]
    print_table(tensor_frame(worst(reports, WORST_COUNT))[columns])


def write_outputs(directory: str, model: "ResolvedModel", reports: "list[TensorError]", run_info: dict,
                  figure_formats: tuple[str, ...] = ()) -> None:
    from hwsim.io.csvout import write_csv
    from hwsim.io.outputs import atomic_output_dir, write_resolved_config
    from hwsim.report.qat import component_frame, plot_sqnr, tensor_frame

    with atomic_output_dir(directory) as staging:
        write_csv(tensor_frame(reports), staging / "per_tensor.csv")
        write_csv(component_frame(reports), staging / "per_component.csv")
        plot_sqnr(reports, staging / "sqnr.png", f"{model.graph.name} @ {model.plan.name}: weight SQNR per tensor",
                  extra_formats=figure_formats)
        write_resolved_config(staging, {**model.resolved_config(), "qat": run_info})


def run(args: argparse.Namespace) -> int:
    from hwsim.io.outputs import preflight_outputs
    from hwsim.quant.analyse import analyse_model, select_tensors
    from hwsim.quant.weights import WeightSource
    from hwsim.precision.resolved import resolve_model

    preflight_outputs(folders={"--out": args.out})
    started = time.perf_counter()
    model = resolve_model(args.workload, args.precision, args.overrides, args.meta_dtype, args.precision_overrides)
    selection = select_tensors(model, args.match, args.max_tensors)
    source = WeightSource(model.graph, args.weights, args.seed, args.allow_missing)
    reports = analyse_model(model, selection, source, args.max_rows)
    seconds = time.perf_counter() - started
    origin = f"from {args.weights}" if args.weights else f"synthetic (seed {args.seed})"
    if args.weights and args.allow_missing:
        missing = sum(r.origin == "synthetic" for r in reports)
        origin += f", {missing} missing tensors synthetic (seed {args.seed})"
    if args.out:
        write_outputs(args.out, model, reports, {
            "weights": args.weights or "synthetic", "seed": args.seed, "allow_missing": args.allow_missing,
            "match": args.match, "max_tensors": args.max_tensors, "max_rows": args.max_rows,
            "meta_dtype": args.meta_dtype, "not_analysed": selection.not_analysed}, tuple(args.figure_formats))
    if args.json:
        print_json(json_payload(model, reports, selection))
    elif args.csv:
        from hwsim.report.qat import tensor_frame

        print_csv(tensor_frame(reports))
    else:
        print_human(model, reports, selection, origin, seconds)
    return 0
