"""`hwsim reproduce fig1a|usm-serving|usm-serving-load|gpu-vs-tpu [--out DIR]`: regenerate a committed reproduction report."""

from __future__ import annotations

import argparse
from pathlib import Path

from hwsim.commands.common import argument_group, positive_int, verb_parser
from hwsim.io.paths import REPORTS_DIR

TARGETS = {"fig1a": "fig1a", "usm-serving": "usm_serving", "usm-serving-load": "usm_serving_load", "gpu-vs-tpu": "gpu_vs_tpu"}


EXAMPLES = ("hwsim reproduce fig1a --out /tmp/fig1a", "hwsim reproduce usm-serving-load --quick --out /tmp/usl",
            "hwsim reproduce gpu-vs-tpu")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(subparsers, "reproduce", "regenerate a paper reproduction report under reports/", __doc__,
                         EXAMPLES)
    parser.add_argument("target", choices=sorted(TARGETS), help="which report")
    argument_group(parser, "output").add_argument("--out", type=Path, default=None,
                                                  help="output folder (default: reports/<target>)")
    run_group = argument_group(parser, "run")
    run_group.add_argument("--no-sensitivity", action="store_true", help="fig1a: skip the +-50 %% sensitivity sweep")
    run_group.add_argument("--device-out", type=Path, default=None, metavar="YAML",
                        help="fig1a: also write the calibrated device file here (the shipped one is "
                             "devices/ibm_7nm_ai_chip_fig1a.yaml)")
    run_group.add_argument("--quick", action="store_true",
                        help="usm-serving-load: one TPU, Exp0 and Exp5, IBM beam 1 (a smoke run, not the report)")
    run_group.add_argument("--workers", type=positive_int, default=None, metavar="N",
                        help="usm-serving-load: worker processes for its points (default: one per core, at most 8; "
                             "the report is the same for any N)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hwsim.io.outputs import atomic_output_dir, preflight_outputs
    from hwsim.progress import status

    out = args.out or REPORTS_DIR / TARGETS[args.target]
    preflight_outputs({"--out": out}, {"--device-out": (args.device_out, (".yaml", ".yml"))})
    status(f"reproduce {args.target}: regenerating the report (minutes for fig1a and usm-serving-load)")
    with atomic_output_dir(out) as staging:
        if args.target == "fig1a":
            from hwsim.repro.fig1a_report import write_fig1a_report
            summary = write_fig1a_report(staging, with_sensitivity=not args.no_sensitivity, device_out=args.device_out)
            print(f"held-out beams' end-to-end within 15 % of 2.6x: {summary['within_tolerance']}")
        elif args.target == "gpu-vs-tpu":
            from hwsim.repro.gpu_vs_tpu import write_gpu_vs_tpu_report
            write_gpu_vs_tpu_report(staging)
        elif args.target == "usm-serving-load":
            from hwsim.pipeline.executors import LocalExecutor
            from hwsim.repro.usm_serving_load import WORKERS, write_usm_serving_load_report
            from hwsim.progress import CountingExecutor, progress
            with progress(desc="reproduce usm-serving-load", unit="pt") as bar:
                executor = CountingExecutor(LocalExecutor(args.workers or WORKERS), bar)
                write_usm_serving_load_report(staging, executor, quick=args.quick)
        else:
            from hwsim.repro.usm_serving import write_usm_serving_report
            write_usm_serving_report(staging)
    print(f"report written to {out}/")
    return 0
