"""`hwsim quantize`: run one reference quantizer on a .npy array and save codes, scales and gradients."""

from __future__ import annotations

import argparse
from pathlib import Path

from typing import TYPE_CHECKING

from hwsim.commands.choices import QUANTIZERS
from hwsim.commands.common import argument_group, finite_float, verb_parser
from hwsim.errors import SpecError

if TYPE_CHECKING:
    import numpy as np

    from hwsim.quant import QuantizerKind

EXAMPLES = ("hwsim quantize w.npy --quantizer sawb --bits 4 -o q.npz",
            "hwsim quantize w.npy --quantizer absmax --bits 4 --block 128 -o q.npz",
            "hwsim quantize w.npy --quantizer pact --bits 4 --alpha 6 --cotangent g.npy -o q.npz")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(subparsers, "quantize", "fake-quantize a .npy array with a praxis/fms_mo quantizer",
                         "A 2-D input is [out_channels, in], contracting over the last axis.", EXAMPLES)
    inputs = argument_group(parser, "inputs")
    inputs.add_argument("input", metavar="IN.npy", help="the array to quantize")
    inputs.add_argument("--cotangent", metavar="G.npy", default=None, help="upstream gradient; writes `grad`")
    quant = argument_group(parser, "quantizer")
    quant.add_argument("--quantizer", required=True, help=", ".join(QUANTIZERS))
    quant.add_argument("--bits", type=int, required=True, help="bits per value")
    quant.add_argument("--block", type=int, default=None, help="praxis sub-channel block size")
    quant.add_argument("--axis", type=int, action="append", default=None, help="contracting axis (repeatable)")
    quant.add_argument("--alpha", type=finite_float, default=None, help="PACT/BAC clip")
    quant.add_argument("--alpha-neg", type=finite_float, default=None, help="two-sided PACT lower clip")
    quant.add_argument("--per-channel", action="store_true", help="max/sawb: one clip per output channel")
    quant.add_argument("--mimic-praxis-block-fallback", action="store_true",
                       help="quantize per channel when --block does not divide the axis (praxis's silent fallback)")
    argument_group(parser, "output").add_argument("-o", "--output", metavar="OUT.npz", required=True,
                                                  help="write q, scale, dequant (and zero_point, grad) here")
    parser.set_defaults(func=run)


def load_array(path: str, option: str) -> "np.ndarray":
    """Read a .npy file (header checked first), turning every failure into a SpecError that names the file."""
    from hwsim.io.readers import load_npy

    return load_npy(path, option)


def resolve_per_channel(kind: "QuantizerKind", per_channel: bool) -> "QuantizerKind":
    from hwsim.quant import QuantizerKind

    per_channel_kinds = {QuantizerKind.MAX: QuantizerKind.MAX_PER_CHANNEL,
                         QuantizerKind.SAWB_PLUS: QuantizerKind.SAWB_PER_CHANNEL}
    if not per_channel or kind in per_channel_kinds.values():
        return kind
    if kind not in per_channel_kinds:
        allowed = ", ".join(k.value for k in per_channel_kinds)
        raise SpecError(None, "--per-channel", f"expected a quantizer with a per-channel variant ({allowed})",
                        kind.value)
    return per_channel_kinds[kind]


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from hwsim.io.outputs import atomic_file, preflight_outputs
    from hwsim.quant import QuantSettings, quantize, quantize_backward, resolve_kind
    from hwsim.quant.stream import npy_layout, quantize_file, streamable

    preflight_outputs(files={"--output": args.output})
    kind = resolve_per_channel(resolve_kind(args.quantizer), args.per_channel)
    if not Path(args.input).is_file():
        raise SpecError(args.input, "input", "expected an existing .npy file", "no such file")
    shape, fortran, _, _ = npy_layout(args.input)
    axes = tuple(args.axis) if args.axis else tuple(range(1, len(shape))) if len(shape) > 1 else (0,)
    settings = QuantSettings(bits=args.bits, contract_axes=axes, block_size=args.block,
                             mimic_praxis_block_fallback=args.mimic_praxis_block_fallback,
                             alpha=args.alpha, alpha_neg=args.alpha_neg)
    if args.cotangent is None and args.block is None and streamable(kind, settings, shape, fortran):
        with atomic_file(Path(args.output), "--output") as tmp:
            quantize_file(args.input, kind, settings, tmp)  # bounded memory: chunks of rows
        return 0
    array = load_array(args.input, "input")
    result = quantize(array, kind, settings)
    arrays = {"q": result.q, "scale": result.scale, "dequant": result.dequant}
    if result.zero_point is not None:
        arrays["zero_point"] = result.zero_point
    if args.cotangent is not None:
        grads = quantize_backward(array, kind, settings, load_array(args.cotangent, "--cotangent"))
        arrays["grad"] = grads.dx
        arrays.update({k: np.float64(v) for k, v in (("dalpha", grads.dalpha), ("dalpha_neg", grads.dalpha_neg))
                       if v is not None})
    check_finite(arrays, args.input)
    write_npz_atomically(Path(args.output), arrays)
    return 0


def check_finite(arrays: dict[str, "np.ndarray"], source: str) -> None:
    """Never write NaN/inf: a result that overflowed is the input's fault, reported like any bad input."""
    import numpy as np

    for name, array in arrays.items():
        if not np.all(np.isfinite(array)):
            raise SpecError(source, "", f"expected values this quantizer can represent; the result {name!r} overflows")


def write_npz_atomically(path: Path, arrays: dict[str, "np.ndarray"]) -> None:
    """Save through a unique temporary sibling and rename, so an error leaves no partial OUT.npz."""
    from hwsim.io.outputs import atomic_file
    from hwsim.quant.stream import write_npz

    with atomic_file(path, "--output") as tmp:
        write_npz(tmp, arrays)
