"""`hwsim validate --backend torch`: the reference RNN-T in PyTorch on a GPU vs the simulator, per component."""

from __future__ import annotations

import argparse

from hwsim.commands.choices import TORCH_DTYPES
from hwsim.commands.common import print_csv, print_json, print_table
from hwsim.errors import SpecError


def add_torch_validate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=["numpy", "torch"], default="numpy",
                        help="numpy: the numpy reference on this CPU (default); torch: the reference in PyTorch on "
                             "--torch-device, compared with --device (e.g. h100_sxm or a measured GPU file)")
    parser.add_argument("--torch-device", default="cuda", metavar="DEV", help="torch backend: cuda (default) or cpu")
    parser.add_argument("--dtype", default="float32", choices=list(TORCH_DTYPES),
                        help="torch backend: weights and activations dtype (float32 runs GEMMs as TF32)")
    parser.add_argument("--cuda-graphs", action="store_true", default=None,
                        help="torch backend: predict with the device's CUDA-graph launch figures (the PyTorch "
                             "reference itself runs eagerly)")


def run_torch_validation(args: argparse.Namespace) -> int:
    from hwsim.cost.hardware import load_device
    from hwsim.io.csvout import write_csv
    from hwsim.io.outputs import atomic_output_dir
    from hwsim.reference.torch_rnnt import torch_device
    from hwsim.validation.torch_validate import FULL_POINTS, QUICK_POINTS, run_torch_points, torch_summary

    if args.device is None:
        raise SpecError(None, "--device", "a GPU device file to compare with (e.g. h100_sxm) with --backend torch",
                        "none")
    load_device(args.device)  # fail early, one line
    torch_dev = torch_device(args.torch_device)
    import_tf32(torch_dev)
    points = QUICK_POINTS if args.quick else FULL_POINTS
    repeats = args.repeats or (1 if args.quick else 5)
    frame = run_torch_points(points, args.device, torch_dev, args.dtype, repeats, args.seed, args.cuda_graphs)
    stats = torch_summary(frame)
    if args.out:
        with atomic_output_dir(args.out) as staging:
            write_csv(frame, staging / "results.csv")
            (staging / "README.md").write_text(_readme(args, frame, stats))
    if args.json:
        print_json(stats)
        return 0
    if getattr(args, "csv", False):
        print_csv(frame)
        return 0
    print_table(frame)
    print(f"\nmedian |error| {stats['median_abs_error_pct']:.1f} % over {stats['points']} rows")
    return 0


def import_tf32(torch_dev) -> None:
    """float32 GEMMs as TF32, as the GPU device files model them."""
    from hwsim.reference.torch_rnnt import import_torch
    import_torch().backends.cuda.matmul.allow_tf32 = True


def _readme(args, frame, stats) -> str:
    command = (f"hwsim validate --backend torch --device {args.device} --torch-device {args.torch_device} "
               f"--dtype {args.dtype}{' --quick' if args.quick else ''} --out {args.out}")
    return "\n".join([
        f"# Reference RNN-T in PyTorch on {args.torch_device} vs the simulator on {args.device}", "",
        f"Regenerate: `{command}`", "",
        "Per component: one timed call (median of repeats, synchronized) beside the simulator's cost of the same call; "
        "greedy_end_to_end sums the predicted calls with the decode's own call counts "
        "(hwsim/validation/torch_validate.py).", "",
        f"Median |error| {stats['median_abs_error_pct']:.1f} % over {stats['points']} rows.", "",
        frame.to_string(index=False), "",
    ])
