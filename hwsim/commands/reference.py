"""`hwsim reference`: run the numpy RNN-T decoder for real, time each component and record its schedule."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from hwsim.commands.choices import ALGORITHMS
from hwsim.commands.common import (
    add_output_arguments, add_workload_argument, argument_group, positive_int, print_csv, print_json,
    require_positive_int, seed_int, verb_parser,
)
from hwsim.errors import SpecError, unknown_choice
from hwsim.io.limits import check_decode_limits, check_run_limits

if TYPE_CHECKING:
    from hwsim.reference.timed_decode import ReferenceRun
    from hwsim.decode.simulated import Algorithm

EXAMPLES = ("hwsim reference lstm_rnnt_small --frames 200 --beam 4",
            "hwsim reference rnnt_trained_tiny --audio-s 2 --algorithm alsd --beam 4 --trace-out trace.json",
            "hwsim reference lstm_rnnt_small --frames 100 --compare-emission --json")
COMPONENT_COLUMNS = ("component", "median_s", "share_pct", "timed_calls")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(
        subparsers, "reference", "numpy RNN-T inference (encoder, prediction, joint, beam search) timed per component",
        "Seeded random weights (blank bias fitted to decoding.label_rate_per_frame) decode a seeded\n"
        "random utterance; rnnt_trained_tiny, which ships trained weights, decodes held-out synthetic\n"
        "speech instead (hwsim.reference.trained). Prints median wall time per component, call counts\n"
        "and the realised rates.", EXAMPLES)
    add_workload_argument(parser)
    length = argument_group(parser, "inputs").add_mutually_exclusive_group(required=True)
    length.add_argument("--frames", help="encoder input frames T")
    length.add_argument("--audio-s", type=float, metavar="S",
                        help="utterance length in seconds (frames = round(S / the workload's input_frame_step_s))")
    decoding = argument_group(parser, "decoding")
    decoding.add_argument("--beam", default="1", help="beam width (1 for greedy)")
    decoding.add_argument("--algorithm", default="tsd", help=f"{', '.join(ALGORITHMS)} (default tsd)")
    decoding.add_argument("--no-cache", action="store_true", help="no prediction-network cache")
    run_group = argument_group(parser, "run")
    run_group.add_argument("--seed", type=seed_int, default=0, help="weights and utterance seed")
    run_group.add_argument("--repeats", type=positive_int, default=3, help="decodes to take the median time of")
    run_group.add_argument("--compare-emission", action="store_true",
                           help="also build the simulator's schedule from the emission model and compare counts")
    output = add_output_arguments(parser, json_help="one JSON object",
                                  csv_help="print the per-component table (median seconds, share, timed calls) as CSV")
    output.add_argument("--trace-out", metavar="FILE.json", help="write the recorded decode schedule")
    parser.set_defaults(func=run)


def _algorithm(text: str, beam: int) -> "Algorithm":
    from hwsim.decode.simulated import Algorithm

    if text not in {a.value for a in Algorithm}:
        raise unknown_choice(None, "--algorithm", "algorithm", text, [a.value for a in Algorithm])
    if text == Algorithm.GREEDY.value and beam != 1:
        raise SpecError(None, "--beam", "expected 1 with --algorithm greedy", beam)
    return Algorithm(text)


def run(args: argparse.Namespace) -> int:
    from hwsim.pipeline.frames import frames_for_audio
    from hwsim.io.outputs import preflight_outputs
    from hwsim.reference.compare import compare_counts
    from hwsim.reference.timed_decode import build_reference, run_repeated
    from hwsim.reference.trace import save_schedule_json

    preflight_outputs(files={"--trace-out": args.trace_out})
    frames = (require_positive_int(args.frames, "--frames") if args.frames is not None
              else frames_for_audio(args.workload, args.overrides, args.audio_s))
    beam = require_positive_int(args.beam, "--beam")
    check_run_limits(frames, beam, reference=True, repeats=args.repeats)
    algorithm = _algorithm(args.algorithm, beam)
    ref = build_reference(args.workload, args.overrides, args.seed)
    check_decode_limits(None, frames, beam, ref.max_symbols, ("--frames", "--beam", "max_symbols_per_frame"))
    features = ref.features(frames, args.seed)
    result = run_repeated(ref, features, algorithm, beam, args.repeats, cache=not args.no_cache)
    payload = report(args, ref, result)
    if args.compare_emission:
        payload["emission_comparison"] = compare_counts(result.schedule, simulated_schedule(ref, result, not args.no_cache))
    if args.trace_out:
        save_schedule_json(result.schedule, args.trace_out)
    if args.json:
        print_json(payload)
    elif args.csv:
        print_csv(component_rows(payload))
    else:
        print(format_report(payload))
    return 0


def component_rows(p: dict) -> list[dict]:
    """Per component: median seconds, share of the total and timed calls (--csv and the console table)."""
    from hwsim.reference.trace import COMPONENTS

    total = sum(p["seconds"].values())
    return [{"component": c, "median_s": p["seconds"][c], "share_pct": 100 * p["seconds"][c] / total if total else None,
             "timed_calls": p["component_calls"][c]} for c in COMPONENTS]


def simulated_schedule(ref, result: "ReferenceRun", cache: bool = True):
    """The simulator's schedule for the same T, beam, algorithm, symbol cap and vocabulary, from the workload's
    decoding statistics."""
    from hwsim.decode.simulated import Algorithm, build_schedule
    from hwsim.decode.synthetic import EmissionParams

    d, s = ref.model.spec.decoding, result.schedule
    params = EmissionParams.from_decoding(d, seed=0)
    return build_schedule(Algorithm(s.algorithm), s.frames, s.beam, params, ref.max_symbols, vocab=ref.model.vocab,
                          cache=cache)


def report(args: argparse.Namespace, ref, result: "ReferenceRun") -> dict:
    s, d = result.schedule, ref.model.spec.decoding
    return {
        "workload": ref.model.spec.name, "algorithm": s.algorithm, "beam": s.beam, "frames": s.frames,
        "repeats": args.repeats, "cache": not args.no_cache, "blank_bias": ref.blank_bias,
        "seconds": dict(result.seconds), "component_calls": dict(result.calls),
        "counts": {"steps": len(s.steps), "prediction_calls": s.prediction_calls, "prediction_rows": s.prediction_rows,
                   "cache_hits": s.cache_hits, "joint_calls": s.joint_calls, "joint_rows": s.joint_rows,
                   "labels": s.labels},
        "realised": {"label_rate_per_frame": result.label_rate, "target_label_rate_per_frame": d.label_rate_per_frame,
                     "calibration_greedy_label_rate": ref.calibration_rate},
        "workload_decoding": {"top_prob": d.top_prob, "competitor_repeat_prob": d.competitor_repeat_prob,
                              "max_symbols_per_frame": d.max_symbols_per_frame,
                              "confidence_spread": d.confidence_spread, "due_top_prob": d.due_top_prob,
                              "tail_ratio": d.tail_ratio},
    }


def format_report(p: dict) -> str:
    lines = [f"{p['workload']} {p['algorithm']} beam {p['beam']}, {p['frames']} frames, blank bias {p['blank_bias']:.3f}, "
             f"median of {p['repeats']} decodes"]
    from hwsim.report.table import Column, render

    total = sum(p["seconds"].values())
    rows = component_rows(p) + [{"component": "total", "median_s": total, "share_pct": 100.0, "timed_calls": None}]
    lines.append(render(rows, ["component", Column("median_s", "median time", "ms", 1e3, ",.2f"),
                               Column("share_pct", "share", "%", fmt=".1f"), "timed_calls"]))
    lines.append("counts: " + ", ".join(f"{k} {v}" for k, v in p["counts"].items()))
    r = p["realised"]
    lines.append(f"realised: label rate {r['label_rate_per_frame']:.3f}/frame on the best path (workload "
                 f"{r['target_label_rate_per_frame']}, greedy on the calibration utterance "
                 f"{r['calibration_greedy_label_rate']:.3f}); fit the rest with `hwsim fit-decoding TRACE.json`")
    if "emission_comparison" in p:
        lines.append("emission model vs real decode:")
        lines.append(render([{"count": name, **row} for name, row in p["emission_comparison"].items()],
                            ["count", Column("real", fmt=",d"), Column("simulated", fmt=",d"),
                             Column("diff", fmt="+,d"), Column("diff_pct", "diff", "%", fmt="+.1f")]))
    return "\n".join(lines)
