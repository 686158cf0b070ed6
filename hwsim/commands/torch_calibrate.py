"""`hwsim calibrate --backend torch`: the PyTorch (GPU) micro-benchmarks, beside the numpy ones of the same verb."""

from __future__ import annotations

import argparse
from pathlib import Path



def add_torch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=["numpy", "torch"], default="numpy",
                        help="numpy: this CPU through numpy (default); torch: a GPU through PyTorch (pip install "
                             "'hwsim[torch]'), written as a measured copy of the --like datasheet device")
    parser.add_argument("--like", default="h100_sxm", metavar="D",
                        help="torch backend: datasheet GPU device the measured file starts from (default h100_sxm)")
    parser.add_argument("--torch-device", default="cuda", metavar="DEV",
                        help="torch backend: cuda (default) or cpu (exercises the code path without a GPU)")
    parser.add_argument("--name", default=None, help="torch backend: device name (default: LIKE_measured; written "
                        "to NAME.yaml in the current folder unless --out is given)")
    parser.add_argument("--report", type=Path, metavar="DIR",
                        help="torch backend: write README.md and comparison.csv (measured vs datasheet predictions)")


def run_torch_calibration(args: argparse.Namespace) -> int:
    from hwsim.io.jsonout import dumps
    from hwsim.io.csvout import write_csv
    from hwsim.calibrate.torch_backend import (FULL, QUICK, machine_facts_torch, measured_document, require_gpu_like,
                                               run_torch_suite, write_measured_device)
    from hwsim.calibrate.torch_compare import comparison_frame, headline
    from hwsim.commands.common import print_table
    from hwsim.cost.hardware import load_device
    from hwsim.io.outputs import atomic_output_dir, preflight_outputs
    from hwsim.io.paths import DEVICES_DIR
    from hwsim.reference.torch_rnnt import torch_device

    preflight_outputs(folders={"--report": args.report})
    require_gpu_like(args.like)
    device = torch_device(args.torch_device)
    datasheet = load_device(args.like)
    plan = QUICK if args.quick else FULL
    rows = run_torch_suite(device, plan)
    name = args.name or f"{args.like}_measured"
    numpy_default = (None, str(DEVICES_DIR / "local_cpu.yaml"))  # the numpy backend's --out default is not ours
    out = f"{name}.yaml" if args.out in numpy_default else args.out
    document = measured_document(args.like, name, machine_facts_torch(device), rows, plan)
    write_measured_device(out, document)
    frame = comparison_frame(datasheet, rows)
    lines = headline(frame, plan.large)
    if args.report:
        with atomic_output_dir(args.report) as staging:
            write_csv(frame, staging / "comparison.csv")
            (staging / "README.md").write_text(_readme(args, out, document, frame, lines))
    print(f"wrote {out}")
    print_table(frame)
    print("\n".join(lines))
    return 0


def _readme(args, out: str, document: dict, frame, lines: list[str]) -> str:
    from hwsim.io.jsonout import dumps

    facts = dumps(document["calibration"]["machine"], indent=1)
    return "\n".join([
        f"# {document['name']}: measured on a GPU vs the {args.like} datasheet device", "",
        f"Regenerate: `hwsim calibrate --backend torch --like {args.like} --out {out} --report {args.report}`"
        f"{' --quick' if args.quick else ''}", "",
        "Machine:", "```", facts, "```", "", *[f"- {line}" for line in lines], "",
        "Every benchmark (predicted = the datasheet device file's cost model; error = predicted vs measured):", "",
        frame.to_markdown(index=False) if _has_tabulate() else frame.to_string(index=False), "",
    ])


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
