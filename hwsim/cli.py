"""Command-line entry point: parse arguments, dispatch to a command, turn user errors into one line + exit 2.

Each verb lives in its own module under `hwsim.commands`, exposing `register(subparsers)`; the module
sets `func` on its parser. Adding a verb means adding its module name to COMMAND_MODULES.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from hwsim.errors import HwsimError

COMMAND_MODULES: tuple[str, ...] = (
    "hwsim.commands.size",
    "hwsim.commands.params",
    "hwsim.commands.check",
    "hwsim.commands.quantize",
    "hwsim.commands.qat_demo",
    "hwsim.commands.qat",
    "hwsim.commands.devices",
    "hwsim.commands.gemm",
    "hwsim.commands.cost",
    "hwsim.commands.simulate",
    "hwsim.commands.serve",
    "hwsim.commands.sweep",
    "hwsim.commands.reproduce",
    "hwsim.commands.calibrate",
    "hwsim.commands.reference",
    "hwsim.commands.validate",
)

EXIT_USER_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hwsim",
        description="Performance simulator, model-size accountant and QAT reference for quantized speech models.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except HwsimError as error:
        print(f"hwsim: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:  # e.g. `hwsim params usm_rnnt_1b | head`
        return 0
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
