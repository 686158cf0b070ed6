"""Arguments shared by the verbs that cost or simulate a run (cost, simulate, sweep)."""

from __future__ import annotations

import argparse
import math

from typing import TYPE_CHECKING

from hwsim.commands.choices import PLACES
from hwsim.commands.common import add_compute_as_argument, argument_group, finite_float, positive_int, seed_int
from hwsim.errors import SpecError, unknown_choice
from hwsim.io.limits import check_run_limits
from hwsim.pipeline.frames import frames_for_audio

if TYPE_CHECKING:  # the cost model and simulator load only when a verb runs (hwsim.commands.choices)
    from hwsim.cost.options import RunOptions
    from hwsim.decode.simulated import Algorithm
    from hwsim.pipeline.point import RunRequest

PLACES = list(PLACES)


def add_device_arguments(parser: argparse.ArgumentParser, device_required: bool = True) -> None:
    parser = argument_group(parser, "inputs")
    parser.add_argument("--device", required=device_required, metavar="D",
                        help="device name (file stem under devices/, e.g. ibm_7nm_ai_chip, tpu_v5e) or path")
    parser.add_argument("--device-set", dest="device_overrides", action="append", default=[],
                        metavar="KEY.PATH=VALUE", help="override a device figure, e.g. "
                        "--device-set host_link.latency_s.value=1e-6 (repeatable; recorded in resolved configs)")
    parser.add_argument("--host", metavar="D", default=None,
                        help="device file whose host_cpu runs the search (default: the accelerator file's "
                             "default_host, e.g. tpu_vm_host for the TPUs, else its own host_cpu)")


def add_mapping_arguments(parser: argparse.ArgumentParser) -> None:
    parser = argument_group(parser, "mapping and numerics")
    parser.add_argument("--joint-on", choices=PLACES, default="accelerator",
                        help="where the joint network's GEMMs run (default: accelerator)")
    parser.add_argument("--softmax-on", choices=PLACES, default="host",
                        help="where log-softmax over the vocabulary runs (default: host)")
    parser.add_argument("--topk-on", choices=PLACES, default="host",
                        help="where per-hypothesis top-k runs; on the accelerator only top-k pairs cross the link")
    parser.add_argument("--topk", type=positive_int, default=4, help="candidates kept per hypothesis (default 4)")
    parser.add_argument("--no-residency", action="store_true",
                        help="stream every weight from the operand memory (no on-chip residency)")
    parser.add_argument("--matmul-precision", default="default", metavar="P",
                        help="default | high | highest: float32 GEMMs on bf16 engines run 1, 3 or 6 bf16 passes "
                             "(jax.lax.Precision semantics; default: default)")
    parser.add_argument("--search-on", default=None, metavar="WHERE",
                        help="host | accelerator: where beam search (log-softmax, top-k, bookkeeping, step loop) runs; "
                             "on the accelerator nothing crosses the link per step (default: the device file's "
                             "modelling.search_on)")
    parser.add_argument("--fusion", default=None, metavar="F",
                        help="none | per_layer: element-wise ops as their own memory round trips, or fused into their "
                             "layer (default: the device file's modelling.elementwise_fusion)")
    parser.add_argument("--cuda-graphs", action="store_true", default=None,
                        help="GPU devices: launch each call's kernels from a CUDA graph (one graph launch per call and "
                             "a small per-kernel cost, instead of an eager launch per kernel; default: the device file's "
                             "gpu.cuda_graphs)")
    add_compute_as_argument(parser)


def add_decode_arguments(parser: argparse.ArgumentParser) -> None:
    parser = argument_group(parser, "decoding")
    parser.add_argument("--algorithm", default="tsd", metavar="A",
                        help="greedy | beam (standard RNN-T beam search) | tsd (time-synchronous, S+1 rounds per "
                             "frame) | alsd (alignment-length synchronous) | modified_beam (one label per frame, "
                             "k2/icefall); default tsd. See docs/decoding.md")
    parser.add_argument("--chunk-frames", type=positive_int, default=None, metavar="C",
                        help="stream the encoder in chunks of C input frames (default: whole utterance)")
    parser.add_argument("--no-overlap", action="store_true",
                        help="serialise everything: the total equals the sum of all op times")
    parser.add_argument("--no-cache", action="store_true", help="no prediction-network cache of label histories")
    parser.add_argument("--seed", type=seed_int, default=0, help="emission-model seed (default 0)")
    parser.add_argument("--max-symbols", type=signed_int, default=None,
                        help="max labels per frame (default: the workload's decoding.max_symbols_per_frame)")
    parser.add_argument("--label-rate", type=finite_float, default=None,
                        help="labels per encoder frame (default: the workload's decoding.label_rate_per_frame)")
    parser.add_argument("--top-prob", type=finite_float, default=None,
                        help="probability of the synthetic model's preferred symbol, in (1/3, 1) (default: the "
                             "workload's decoding.top_prob)")
    parser.add_argument("--repeat-prob", type=finite_float, default=None,
                        help="probability a frame's competing labels are the previous frame's (default: the "
                             "workload's decoding.competitor_repeat_prob)")


def parse_algorithm(text: str) -> "Algorithm":
    from hwsim.decode.simulated import Algorithm

    try:
        return Algorithm(text)
    except ValueError:
        raise unknown_choice(None, "--algorithm", "algorithm", text, [a.value for a in Algorithm]) from None


def _choice(flag: str, kind: str, text: str | None, enum_type):
    if text is None:
        return None
    try:
        return enum_type(text.strip().lower())
    except ValueError:
        raise unknown_choice(None, flag, kind, text, [e.value for e in enum_type]) from None


def run_options(args: argparse.Namespace) -> "RunOptions":
    from hwsim.cost.engine_select import parse_matmul_precision
    from hwsim.cost.options import Fusion, Placement, RunOptions

    return RunOptions(joint_placement=Placement(args.joint_on), softmax_placement=Placement(args.softmax_on),
                      topk_placement=Placement(args.topk_on), topk=args.topk, residency=not args.no_residency,
                      matmul_precision=parse_matmul_precision(getattr(args, "matmul_precision", "default")),
                      search_on=_choice("--search-on", "search placement", getattr(args, "search_on", None), Placement),
                      fusion=_choice("--fusion", "fusion", getattr(args, "fusion", None), Fusion),
                      cuda_graphs=getattr(args, "cuda_graphs", None), compute_as=getattr(args, "compute_as", None))


def check_probability(name: str, value: float | None) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise SpecError(None, name, "expected a number in [0, 1]", value)


def run_request(args: argparse.Namespace, workload: str, precision: str, device: str, frames: int,
                beam: int) -> "RunRequest":
    from hwsim.pipeline.point import RunRequest

    check_run_limits(frames, beam, max_symbols=args.max_symbols)
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


def add_length_arguments(parser: argparse.ArgumentParser, frames_type=None, audio_type=None,
                         several: bool = False) -> None:
    """--frames T or --audio-s S (exactly one); with `several`, comma lists (one run per length)."""
    group = argument_group(parser, "inputs").add_mutually_exclusive_group(required=True)
    plural = "[,T2]" if several else ""
    group.add_argument("--frames", type=frames_type or signed_int, metavar=f"T{plural}",
                       help="input frames of the utterance" + ("s" if several else ""))
    group.add_argument("--audio-s", type=audio_type or finite_float, metavar=f"S{plural.replace('T', 'S')}",
                       help="utterance length in seconds (frames = round(S / the workload's input_frame_step_s))")


def resolve_frames(args: argparse.Namespace) -> int:
    """The run's input frames from --frames or --audio-s."""
    if args.frames is not None:
        return args.frames
    return frames_for_audio(args.workload, args.overrides, args.audio_s)


def resolve_frames_list(args: argparse.Namespace) -> list[int]:
    if args.frames is not None:
        return list(args.frames)
    return [frames_for_audio(args.workload, args.overrides, seconds) for seconds in args.audio_s]


def float_list(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one number")
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected finite numbers, got {text!r}")
    return values


def signed_int(text: str) -> int:
    """argparse int that lets the request validation report non-positive values in the one-line style."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def describe_choices(choices: dict[str, object], indent: str = "  ") -> list[str]:
    """Human lines for a run's numerics and placement choices and the pair each component computes in."""
    lines = [f"{indent}matmul precision {choices['matmul_precision']}; search on {choices['search_on']}; "
             f"element-wise fusion {choices['elementwise_fusion']}"]
    if choices.get("compute_as"):
        lines.append(f"{indent}note: pairs the device lacks are computed as {choices['compute_as']} (--compute-as); "
                     "the lines below say which")
    for component, pairs in dict(choices.get("computed_as", {})).items():
        lines += [f"{indent}{component}: {pair}" for pair in pairs]
    latency = choices.get("call_latency_s")
    if latency:  # launch_s is the once-per-call latency (dispatch, graph launch); GPU kernels' launches are per kernel
        lines.append(f"{indent}per-call latency (ms, inside the component times): per-call dispatch "
                     f"{latency['launch_s'] * 1e3:.4f}, recurrent-step/loop latency {latency['step_latency_s'] * 1e3:.4f}")
    if choices.get("kernel_launch_s") is not None:
        mode = "CUDA graphs" if choices.get("cuda_graphs") else "eager"
        lines.append(f"{indent}kernel launches: {mode}, {choices['kernel_launch_s'] * 1e6:g} us per kernel "
                     "(inside each op's time)")
    return lines
