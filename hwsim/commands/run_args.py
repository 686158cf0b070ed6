"""Arguments shared by the verbs that cost or simulate a run (cost, simulate, sweep)."""

from __future__ import annotations

import argparse

from hwsim.commands.common import positive_int
from hwsim.cost.options import Placement, RunOptions
from hwsim.errors import SpecError, unknown_choice
from hwsim.sim.decode import Algorithm
from hwsim.simulate import RunRequest

PLACES = [p.value for p in Placement]


def add_device_arguments(parser: argparse.ArgumentParser, device_required: bool = True) -> None:
    parser.add_argument("--device", required=device_required, metavar="D",
                        help="device name (file stem under hwsim/data/devices/, e.g. ibm_7nm_ai_chip, tpu_v5e) or path")
    parser.add_argument("--device-set", dest="device_overrides", action="append", default=[],
                        metavar="KEY.PATH=VALUE", help="override a device figure, e.g. "
                        "--device-set host_link.latency_s.value=1e-6 (repeatable; recorded in resolved configs)")
    parser.add_argument("--host", metavar="D", default=None,
                        help="device file whose host_cpu runs the search when the accelerator file has none "
                             "(e.g. xeon_host for the TPUs)")


def add_mapping_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--joint-on", choices=PLACES, default=Placement.ACCELERATOR.value,
                        help="where the joint network's GEMMs run (default: accelerator)")
    parser.add_argument("--softmax-on", choices=PLACES, default=Placement.HOST.value,
                        help="where log-softmax over the vocabulary runs (default: host)")
    parser.add_argument("--topk-on", choices=PLACES, default=Placement.HOST.value,
                        help="where per-hypothesis top-k runs; on the accelerator only top-k pairs cross the link")
    parser.add_argument("--topk", type=positive_int, default=4, help="candidates kept per hypothesis (default 4)")
    parser.add_argument("--no-residency", action="store_true",
                        help="stream every weight from the operand memory (no on-chip residency)")


def add_decode_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--algorithm", default=Algorithm.TSD.value, metavar="A",
                        help="greedy | beam (standard RNN-T beam search) | tsd (time-synchronous, S+1 rounds per "
                             "frame) | alsd (alignment-length synchronous) | modified_beam (one label per frame, "
                             "k2/icefall); default tsd. See docs/decoding.md")
    parser.add_argument("--chunk-frames", type=positive_int, default=None, metavar="C",
                        help="stream the encoder in chunks of C input frames (default: whole utterance)")
    parser.add_argument("--no-overlap", action="store_true",
                        help="serialise everything: the total equals the sum of all op times")
    parser.add_argument("--no-cache", action="store_true", help="no prediction-network cache of label histories")
    parser.add_argument("--seed", type=int, default=0, help="emission-model seed (default 0)")
    parser.add_argument("--max-symbols", type=signed_int, default=None,
                        help="max labels per frame (default: the workload's decoding.max_symbols_per_frame)")
    parser.add_argument("--label-rate", type=float, default=None,
                        help="labels per encoder frame (default: the workload's decoding.label_rate_per_frame)")
    parser.add_argument("--top-prob", type=float, default=None,
                        help="probability of the synthetic model's preferred symbol, in (1/3, 1) (default: the "
                             "workload's decoding.top_prob)")
    parser.add_argument("--repeat-prob", type=float, default=None,
                        help="probability a frame's competing labels are the previous frame's (default: the "
                             "workload's decoding.competitor_repeat_prob)")


def parse_algorithm(text: str) -> Algorithm:
    try:
        return Algorithm(text)
    except ValueError:
        raise unknown_choice(None, "--algorithm", "algorithm", text, [a.value for a in Algorithm]) from None


def run_options(args: argparse.Namespace) -> RunOptions:
    return RunOptions(joint_placement=Placement(args.joint_on), softmax_placement=Placement(args.softmax_on),
                      topk_placement=Placement(args.topk_on), topk=args.topk, residency=not args.no_residency)


def check_probability(name: str, value: float | None) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise SpecError(None, name, "expected a number in [0, 1]", value)


def run_request(args: argparse.Namespace, workload: str, precision: str, device: str, frames: int,
                beam: int) -> RunRequest:
    check_probability("--label-rate", args.label_rate)
    check_probability("--repeat-prob", args.repeat_prob)
    if args.top_prob is not None and not 1 / 3 < args.top_prob < 1.0:
        raise SpecError(None, "--top-prob", "expected a number in (1/3, 1)", args.top_prob)
    if args.label_rate is not None and not 0.0 < args.label_rate < 1.0:
        raise SpecError(None, "--label-rate", "expected a number in (0, 1)", args.label_rate)
    return RunRequest(
        workload=workload, precision=precision, device=device, frames=frames, beam=beam,
        algorithm=parse_algorithm(args.algorithm), host=args.host, chunk_frames=args.chunk_frames,
        overlap=not args.no_overlap, cache=not args.no_cache, seed=args.seed, max_symbols=args.max_symbols,
        label_rate=args.label_rate, top_prob=args.top_prob, repeat_prob=args.repeat_prob, overrides=tuple(args.overrides),
        device_overrides=tuple(getattr(args, "device_overrides", ())),
        precision_overrides=tuple(getattr(args, "precision_overrides", ())),
        meta_dtype=args.meta_dtype, options=run_options(args))


def signed_int(text: str) -> int:
    """argparse int that lets the request validation report non-positive values in the one-line style."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
