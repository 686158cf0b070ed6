"""`hwsim fit-decoding TRACE.json [TRACE.json ...]`: fit a workload's `decoding:` statistics to recorded decode
traces and print the YAML block (written by `hwsim reference --trace-out` or any decoder that writes the trace
format). Several traces (utterances of one decoder) give a more robust fit than one: a beam search's counts
scatter from utterance to utterance."""

from __future__ import annotations

import argparse

from hwsim.commands.common import add_output_arguments, argument_group, positive_int, print_json, verb_parser
from hwsim.errors import SpecError

EXAMPLES = ("hwsim fit-decoding trace.json", "hwsim fit-decoding utt1.json utt2.json utt3.json --json",
            "hwsim fit-decoding trace.json --max-symbols 3 --vocab 1024")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(subparsers, "fit-decoding", "fit the decoding statistics to a recorded trace", __doc__,
                         EXAMPLES)
    inputs = argument_group(parser, "inputs")
    inputs.add_argument("trace", metavar="TRACE.json", nargs="+",
                        help="decode trace(s) of one algorithm (hwsim reference --trace-out)")
    inputs.add_argument("--max-symbols", type=positive_int, default=None,
                        help="per-frame label cap of the recorded search (default: the trace's, else 3)")
    inputs.add_argument("--vocab", type=positive_int, default=None,
                        help="joint outputs incl. blank (default: the trace's, else 1024)")
    add_output_arguments(parser, json_help="print the fit and residuals as JSON", csv_help=None)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hwsim.calibrate.decoding import decoding_block, fit_decoding
    from hwsim.progress import note
    from hwsim.sim.schedule_io import load_schedule_json

    traces = [load_schedule_json(path) for path in args.trace]
    for path, trace in zip(args.trace[1:], traces[1:]):
        if trace.algorithm != traces[0].algorithm:
            raise SpecError(path, "algorithm", f"the algorithm of {args.trace[0]} ({traces[0].algorithm!r})",
                            trace.algorithm)
    note(f"fit-decoding: fitting {len(traces)} trace(s) (seconds to a minute)")
    fit = fit_decoding(traces, args.max_symbols, args.vocab)
    if args.json:
        print_json({"label_rate_per_frame": fit.label_rate_per_frame, "top_prob": fit.top_prob,
                    "competitor_repeat_prob": fit.competitor_repeat_prob, "max_symbols_per_frame": fit.max_symbols,
                    "confidence_spread": fit.confidence_spread, "due_top_prob": fit.due_top_prob,
                    "tail_ratio": fit.tail_ratio, "loss": fit.loss, "two_statistic_loss": fit.stage1_loss,
                    "traces": fit.traces, "recorded": fit.recorded, "simulated": fit.simulated,
                    "residual_pct": fit.residual_pct})
    else:
        print(decoding_block(fit, " ".join(args.trace)), end="")
    return 0
