"""Command-line entry point: parse arguments, dispatch to a command, turn user errors into one line + exit 2.

Each verb lives in its own module under `hwsim.commands`, exposing `register(subparsers)`; the module
sets `func` on its parser. Adding a verb means adding it to COMMANDS (module name and one-line help).

Only the module of the verb being run is imported: `hwsim --help` lists the verbs from COMMANDS without
loading pandas, matplotlib or the cost model (tests/test_cli_lazy.py checks the help texts agree with the
modules' own).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from hwsim.errors import HwsimError

# verb -> (module, one-line help shown by `hwsim --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "size": ("hwsim.commands.size", "model size incl. quantization metadata (check a size claim)"),
    "params": ("hwsim.commands.params", "per-tensor parameter table of a workload"),
    "check": ("hwsim.commands.check", "check published model-size claims (paper vs hwsim)"),
    "quantize": ("hwsim.commands.quantize", "fake-quantize a .npy array with a praxis/fms_mo quantizer"),
    "qat-demo": ("hwsim.commands.qat_demo", "small numpy LSTM QAT run comparing quantizers"),
    "qat": ("hwsim.commands.qat", "weight quantization error (SQNR, MSE, clipping) per tensor/component"),
    "devices": ("hwsim.commands.devices", "list shipped devices with headline figures"),
    "gemm": ("hwsim.commands.gemm", "cost of one (M x K) @ (K x N) GEMM on a device"),
    "cost": ("hwsim.commands.cost", "per-op cost table of a precision config on a device"),
    "simulate": ("hwsim.commands.simulate", "discrete-event simulation of one utterance under beam search"),
    "sweep": ("hwsim.commands.sweep", "simulate beam widths x precisions x devices; speed-up plot"),
    "reproduce": ("hwsim.commands.reproduce", "regenerate a paper reproduction report under reports/"),
    "calibrate": ("hwsim.commands.calibrate",
                  "measure this machine (GEMM, bandwidth, element-wise, sort, overhead) into a device file"),
    "reference": ("hwsim.commands.reference",
                  "numpy RNN-T inference (encoder, prediction, joint, beam search) timed per component"),
    "validate": ("hwsim.commands.validate", "predicted vs measured on this machine (numpy RNN-T)"),
    "schema": ("hwsim.commands.schema", "print the JSON Schema of a spec file (device, workload, precision, claims)"),
}
COMMAND_MODULES: tuple[str, ...] = tuple(module for module, _ in COMMANDS.values())

EXIT_USER_ERROR = 2


class _VersionAction(argparse.Action):
    """`--version`: the installed distribution's version, read only when asked (importlib.metadata is slow)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the installed hwsim version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"hwsim {installed_version()}")
        parser.exit()


def installed_version() -> str:
    """Version from the package metadata (pyproject.toml via the install), so there is one place to bump it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hwsim")
    except PackageNotFoundError:  # run from a source tree that was never installed
        from hwsim import __version__

        return f"{__version__} (not installed)"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only `command`'s module is imported and registered (all of them when command is '*')."""
    parser = argparse.ArgumentParser(
        prog="hwsim",
        description="Performance simulator, model-size accountant and QAT reference for quantized speech models.",
    )
    parser.add_argument("--version", action=_VersionAction)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, summary) in COMMANDS.items():
        if command in (name, "*"):
            importlib.import_module(module_name).register(subparsers)
        else:
            subparsers.add_parser(name, help=summary, add_help=False)
    return parser


def _chosen_command(argv: list[str]) -> str | None:
    """The verb on the command line: the first argument that is not an option (top-level options take no value)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_chosen_command(argv))
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
