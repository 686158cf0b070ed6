"""Command-line entry point: parse arguments, dispatch to a command, turn user errors into one line + exit 2.

Each verb lives in its own module under `hwsim.commands`, exposing `register(subparsers)`; the module
sets `func` on its parser. Adding a verb means adding its module name to COMMAND_MODULES.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import signal
import sys

from hwsim.errors import HwsimError, did_you_mean, one_line
from hwsim.limits import ALLOW_LARGE_FLAG, set_allow_large
from hwsim.paths import SPEC_PATH_ENV, set_flag_spec_dirs

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
    "hwsim.commands.sweep",
    "hwsim.commands.reproduce",
    "hwsim.commands.calibrate",
    "hwsim.commands.reference",
    "hwsim.commands.validate",
)

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug, not the user's input; HWSIM_DEBUG=1 shows the traceback
SIGNAL_EXITS = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Interrupted(BaseException):
    """SIGINT/SIGTERM as an exception, so `finally` blocks remove temporary outputs on the way out."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def argparse_message(message: str) -> str:
    """argparse's wording -> 'WHERE: expected ..., got ...' (the shape of every other hwsim error)."""
    if match := re.fullmatch(r"argument (\S+?)(?:/\S+)?: invalid choice: '(.*)' \(choose from (.*)\)", message, re.S):
        flag, value, choices = match.groups()
        names = re.findall(r"'([^']*)'", choices) or [c.strip() for c in choices.split(",")]
        return f"{flag}: unknown {value!r}{did_you_mean(value, names)}; expected one of: {', '.join(names)}"
    if match := re.fullmatch(r"argument (\S+?)(?:/\S+)?: invalid (\S+) value: (.*)", message, re.S):
        flag, kind, value = match.groups()
        kind = {"int": "an integer", "float": "a number"}.get(kind, f"a valid {kind.replace('_', ' ')}")
        return f"{flag}: expected {kind}, got {value}"
    if match := re.fullmatch(r"argument (\S+?)(?:/\S+)?: not allowed with argument (\S+?)(?:/\S+)?", message, re.S):
        first, second = match.groups()
        return f"{first}: expected only one of {first} and {second}, got both"
    if match := re.fullmatch(r"argument (\S+?)(?:/\S+)?: (.*)", message, re.S):
        flag, rest = match.groups()
        return f"{flag}: {rest if rest.startswith(('expected', 'not allowed', 'ignored')) else 'expected ' + rest}"
    if match := re.fullmatch(r"the following arguments are required: (.*)", message, re.S):
        return f"{match.group(1)}: expected a value, got none (required)"
    if match := re.fullmatch(r"unrecognized arguments: (.*)", message, re.S):
        return f"{match.group(1)}: expected a known option or argument, got an unrecognized one (see --help)"
    return message


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports usage errors as one `hwsim: error: ...` line, exit 2 (subparsers inherit it)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"hwsim: error: {one_line(argparse_message(message))}\n")
        sys.exit(EXIT_USER_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="hwsim",
        description="Performance simulator, model-size accountant and QAT reference for quantized speech models.",
    )
    add_common_arguments(parser, "spec_dirs_global", "allow_large_global")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    for subparser in subparsers.choices.values():
        add_common_arguments(subparser, "spec_dirs", "allow_large")
    return parser


def add_common_arguments(parser: argparse.ArgumentParser, spec_dirs_dest: str, allow_large_dest: str) -> None:
    """Flags every verb takes, before or after the verb: user spec folders and the run-size limit switch."""
    parser.add_argument("--spec-dir", dest=spec_dirs_dest, action="append", default=[], metavar="DIR",
                        help=f"a folder laid out like hwsim/data (devices/, workloads/models/, workloads/precisions/) "
                             f"searched for names before the shipped specs (repeatable; also ${SPEC_PATH_ENV})")
    parser.add_argument(ALLOW_LARGE_FLAG, dest=allow_large_dest, action="store_true",
                        help="lift the run-size limits (layers, frames, beam, sweep points; README: Errors and limits)")


def apply_common_arguments(args: argparse.Namespace) -> None:
    set_flag_spec_dirs([*getattr(args, "spec_dirs_global", []), *getattr(args, "spec_dirs", [])])
    set_allow_large(bool(getattr(args, "allow_large_global", False) or getattr(args, "allow_large", False)))


def fail(message: str, code: int = EXIT_USER_ERROR) -> int:
    sys.stdout.flush()
    print(f"hwsim: error: {one_line(message)}", file=sys.stderr)
    return code


def _install_signal_handlers() -> dict[int, object]:
    previous = {}
    for signum in SIGNAL_EXITS:
        with contextlib.suppress(ValueError):  # not the main thread (e.g. called from a worker): leave as is
            previous[signum] = signal.signal(signum, _raise_interrupted)
    return previous


def main(argv: list[str] | None = None) -> int:
    previous = _install_signal_handlers()
    try:
        return _run(argv)
    except Interrupted as stop:
        name = signal.Signals(stop.signum).name
        return fail(f"interrupted by {name}; no output written", SIGNAL_EXITS[stop.signum])
    except KeyboardInterrupt:
        return fail("interrupted by SIGINT; no output written", SIGNAL_EXITS[signal.SIGINT])
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        apply_common_arguments(args)
        result = args.func(args)
    except HwsimError as error:
        for line in error.lines()[:-1]:
            fail(line)
        return fail(error.lines()[-1])
    except BrokenPipeError:  # e.g. `hwsim params usm_rnnt_1b | head`
        return 0
    except OSError as error:  # a full disk, a folder removed under the run: the system's reason, one line
        where = f"{error.filename}: " if error.filename else ""
        return fail(f"{where}cannot complete the run ({error.strerror or error})")
    except MemoryError:
        return fail("expected inputs that fit in memory, got a run that ran out of it (see README, Errors and limits)")
    except Exception as error:  # noqa: BLE001 -- a bug: say so in one line; HWSIM_DEBUG=1 re-raises
        if os.environ.get("HWSIM_DEBUG"):
            raise
        return fail(f"internal error {type(error).__name__}: {error} (a bug; rerun with HWSIM_DEBUG=1 for the "
                    "traceback and report it)", EXIT_INTERNAL_ERROR)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
