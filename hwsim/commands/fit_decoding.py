"""`hwsim fit-decoding TRACE.json [TRACE.json ...]`: fit a workload's `decoding:` statistics to recorded decode
traces and print the YAML block (written by `hwsim reference --trace-out` or any decoder that writes the trace
format). Several traces (utterances of one decoder) give a more robust fit than one: a beam search's counts
scatter from utterance to utterance."""

from __future__ import annotations

import argparse

from hwsim.commands.common import add_output_arguments, argument_group, positive_int, print_json, verb_parser
from hwsim.errors import SpecError
from hwsim.io.limits import ALLOW_LARGE_FLAG, active_limits, check_at_most, check_decode_limits

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


def check_fit_limits(args: argparse.Namespace, traces: list) -> None:
    """--max-symbols and --vocab under the limits, and every trace's search at the cap it will be simulated with
    (the fit simulates each trace many times: its memory grows with frames, beam and the cap)."""
    from hwsim.calibrate.decoding import DEFAULT_MAX_SYMBOLS

    limits = active_limits()
    if args.max_symbols is not None:
        check_at_most("--max-symbols", args.max_symbols, limits.max_symbols, "labels per frame")
    if args.vocab is not None:
        check_at_most("--vocab", args.vocab, limits.width)
    symbols = args.max_symbols or traces[0].max_symbols or DEFAULT_MAX_SYMBOLS  # as fit_decoding chooses it
    for path, trace in zip(args.trace, traces):
        check_decode_limits(path, trace.frames, trace.beam, symbols,
                            ("frames", "beam", "--max-symbols" if args.max_symbols else "max_symbols"))
        if trace.vocab is not None and args.vocab is None:
            if trace.vocab > limits.width:
                raise SpecError(path, "vocab", f"expected at most {limits.width:,} (limit; {ALLOW_LARGE_FLAG} "
                                "lifts it)", trace.vocab)


def run(args: argparse.Namespace) -> int:
    from hwsim.calibrate.decoding import decoding_block, fit_decoding
    from hwsim.progress import status
    from hwsim.decode.schedule_io import load_schedule_json

    traces = [load_schedule_json(path) for path in args.trace]
    check_fit_limits(args, traces)
    for path, trace in zip(args.trace[1:], traces[1:]):
        if trace.algorithm != traces[0].algorithm:
            raise SpecError(path, "algorithm", f"the algorithm of {args.trace[0]} ({traces[0].algorithm!r})",
                            trace.algorithm)
    status(f"fit-decoding: fitting {len(traces)} trace(s) (seconds to a minute)")
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
