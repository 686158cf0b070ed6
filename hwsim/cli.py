"""Command-line entry point: parse arguments, dispatch to a command, turn user errors into one line + exit 2.

Each verb lives in its own module under `hwsim.commands`, exposing `register(subparsers)`; the module
sets `func` on its parser. Adding a verb means adding it to COMMANDS (module name and one-line help).

Only the module of the verb being run is imported: `hwsim --help` lists the verbs from COMMANDS without
loading pandas, matplotlib or the cost model (tests/test_cli_lazy.py checks the help texts agree with the
modules' own).

Signals (docs/outputs.md): SIGINT or SIGTERM at any moment after Python starts running hwsim gives one
`hwsim: error: interrupted by ...` line, saying whether an output was published, and exit 130/143. While the
program's own modules import, and after main() returns, a signal exits at once (nothing is being written then);
inside main() it unwinds as `Interrupted`, so `finally` blocks remove temporary outputs.
"""

from __future__ import annotations

import os
import signal
import sys

SIGNAL_EXITS = {signal.SIGINT: 130, signal.SIGTERM: 143}


def interrupted_message(signum: int) -> str:
    """'interrupted by SIGINT; output written to X' or '...; no output written' (hwsim.io.outputs keeps the record)."""
    outputs = sys.modules.get("hwsim.io.outputs")
    written = outputs.published() if outputs is not None else []
    where = f"output written to {', '.join(str(path) for path in written)}" if written else "no output written"
    return f"interrupted by {signal.Signals(signum).name}; {where}"


def _exit_at_once(signum: int, frame: object) -> None:
    """A signal outside main()'s body (start-up imports, after the run, a second Ctrl-C): one line and the
    signal's exit code now. A temporary folder left behind is removed by the next run into the same target."""
    try:
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 -- a closed or broken stdout must not hide the line below
        pass
    # The signal can land while hwsim.io.outputs or hwsim.errors is half-imported (in sys.modules, its names not all
    # defined yet): the handler must still exit, with the plain line.
    try:
        message = interrupted_message(signum)
    except Exception:  # noqa: BLE001 -- a half-imported hwsim.io.outputs; nothing is published before main() runs
        message = f"interrupted by {signal.Signals(signum).name}; no output written"
    one_line_of = getattr(sys.modules.get("hwsim.errors"), "one_line", None)
    line = f"hwsim: error: {one_line_of(message) if one_line_of is not None else message}\n"
    try:
        os.write(2, line.encode("utf-8", "replace"))
    finally:
        os._exit(SIGNAL_EXITS[signum])


def _is_program() -> bool:
    """True in the `hwsim` script and `python -m hwsim.cli`; False when a library or a test imports this module."""
    return __name__ == "__main__" or os.path.basename((getattr(sys, "argv", None) or [""])[0] or "") == "hwsim"


PROGRAM = _is_program()
if PROGRAM:  # before the imports below: a Ctrl-C while they load must not print a KeyboardInterrupt traceback
    for _signum in SIGNAL_EXITS:
        signal.signal(_signum, _exit_at_once)

import argparse  # noqa: E402 -- after the start-up signal handlers, on purpose
import contextlib  # noqa: E402
import importlib  # noqa: E402
import re  # noqa: E402

from hwsim.errors import HwsimError, did_you_mean, one_line  # noqa: E402
from hwsim.io.limits import ALLOW_LARGE_FLAG, set_allow_large  # noqa: E402
from hwsim.io.paths import SPEC_PATH_ENV, set_flag_spec_dirs  # noqa: E402
from hwsim.progress import set_quiet  # noqa: E402

# verb -> (module, one-line help shown by `hwsim --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "size": ("hwsim.commands.size", "model size incl. quantization metadata (check a size claim)"),
    "params": ("hwsim.commands.params", "per-tensor parameter table of a workload"),
    "check": ("hwsim.commands.check", "check published model-size claims (paper vs hwsim)"),
    "quantize": ("hwsim.commands.quantize", "fake-quantize a .npy array with a praxis/fms_mo quantizer"),
    "qat-demo": ("hwsim.commands.qat_demo", "small numpy LSTM QAT run comparing quantizers"),
    "qat": ("hwsim.commands.qat", "weight quantization error (SQNR, MSE, clipping) per tensor/component"),
    "devices": ("hwsim.commands.devices", "list devices (shipped and yours) with headline figures"),
    "gemm": ("hwsim.commands.gemm", "cost of one (M x K) @ (K x N) GEMM on a device"),
    "cost": ("hwsim.commands.cost", "per-op cost table of a precision config on a device"),
    "simulate": ("hwsim.commands.simulate", "discrete-event simulation of one utterance under beam search"),
    "serve": ("hwsim.commands.serve", "serving simulation: batching, latency percentiles, capacity, cost"),
    "sweep": ("hwsim.commands.sweep", "simulate beam widths x precisions x devices; speed-up plot"),
    "reproduce": ("hwsim.commands.reproduce", "regenerate a paper reproduction report under reports/"),
    "calibrate": ("hwsim.commands.calibrate",
                  "measure this machine (GEMM, bandwidth, element-wise, sort, overhead) into a device file"),
    "reference": ("hwsim.commands.reference",
                  "numpy RNN-T inference (encoder, prediction, joint, beam search) timed per component"),
    "validate": ("hwsim.commands.validate", "predicted vs measured on this machine (numpy RNN-T)"),
    "fit-decoding": ("hwsim.commands.fit_decoding", "fit the decoding statistics to a recorded trace"),
    "schema": ("hwsim.commands.schema", "print the JSON Schema of a spec file (device, workload, precision, claims)"),
}
COMMAND_MODULES: tuple[str, ...] = tuple(module for module, _ in COMMANDS.values())

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug, not the user's input; HWSIM_DEBUG=1 shows the traceback


class Interrupted(BaseException):
    """SIGINT/SIGTERM as an exception, so `finally` blocks remove temporary outputs on the way out."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_interrupted(signum: int, frame: object) -> None:
    """Unwind main() once; a second signal while it cleans up and reports exits at once (one line)."""
    for other in SIGNAL_EXITS:
        signal.signal(other, _exit_at_once)
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
    parser = OneLineParser(
        prog="hwsim",
        description="Performance simulator, model-size accountant and QAT reference for quantized speech models.",
    )
    parser.add_argument("--version", action=_VersionAction)
    add_common_arguments(parser, "spec_dirs_global", "allow_large_global", "quiet_global")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, summary) in COMMANDS.items():
        if command in (name, "*"):
            importlib.import_module(module_name).register(subparsers)
        else:
            subparsers.add_parser(name, help=summary, add_help=False)
    for subparser in subparsers.choices.values():
        add_common_arguments(subparser, "spec_dirs", "allow_large", "quiet")
    return parser


def _chosen_command(argv: list[str]) -> str | None:
    """The verb on the command line: the first argument that is neither an option nor a top-level option's value."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--spec-dir":  # the only top-level option that takes a value
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def add_common_arguments(parser: argparse.ArgumentParser, spec_dirs_dest: str, allow_large_dest: str,
                         quiet_dest: str) -> None:
    """Flags every verb takes, before or after the verb: user spec folders, the run-size limit switch, --quiet."""
    parser.add_argument("--spec-dir", dest=spec_dirs_dest, action="append", default=[], metavar="DIR",
                        help=f"a folder laid out like the shipped specs (devices/, workloads/models/, "
                             f"workloads/precisions/) searched for names before the shipped specs (repeatable; also ${SPEC_PATH_ENV})")
    parser.add_argument(ALLOW_LARGE_FLAG, dest=allow_large_dest, action="store_true",
                        help="lift the run-size limits (docs/limits.md lists each limit)")
    parser.add_argument("-q", "--quiet", dest=quiet_dest, action="store_true",
                        help="no progress bars or progress notes on stderr (results, warnings and errors stay; "
                             "bars show only when stderr is a terminal anyway; docs/cli.md)")


def apply_common_arguments(args: argparse.Namespace) -> None:
    set_flag_spec_dirs([*getattr(args, "spec_dirs_global", []), *getattr(args, "spec_dirs", [])])
    set_allow_large(bool(getattr(args, "allow_large_global", False) or getattr(args, "allow_large", False)))
    set_quiet(bool(getattr(args, "quiet_global", False) or getattr(args, "quiet", False)))


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
    outputs = sys.modules.get("hwsim.io.outputs")
    if outputs is not None:  # an earlier in-process run's outputs are not this run's
        outputs.start_run("hwsim")
    previous = _install_signal_handlers()
    try:
        return _run(argv)
    except Interrupted as stop:
        return fail(interrupted_message(stop.signum), SIGNAL_EXITS[stop.signum])
    except KeyboardInterrupt:  # SIGINT before our handler (an in-process caller's default handler)
        return fail(interrupted_message(signal.SIGINT), SIGNAL_EXITS[signal.SIGINT])
    finally:
        for signum, handler in previous.items():  # the program keeps exiting at once until the process ends
            signal.signal(signum, _exit_at_once if PROGRAM else handler)


def _interrupted_by(error: BaseException) -> int | None:
    """The signal behind `error`, when a library turned our Interrupted (or a KeyboardInterrupt) into its own
    exception on the way up; None for a real error."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, Interrupted):
            return cause.signum
        if isinstance(cause, KeyboardInterrupt):
            return signal.SIGINT
        cause = cause.__cause__ or cause.__context__
    return None


def _run(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_chosen_command(argv))
    args = parser.parse_args(argv)
    from hwsim.io import outputs

    outputs.start_run(args.command)  # the verb its manifests name
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
        return fail("expected inputs that fit in memory, got a run that ran out of it (see docs/limits.md)")
    except Exception as error:  # noqa: BLE001 -- a bug: say so in one line; HWSIM_DEBUG=1 re-raises
        signum = _interrupted_by(error)
        if signum is not None:  # a signal inside an import that wraps it (numpy: "Unable to import ...")
            return fail(interrupted_message(signum), SIGNAL_EXITS[signum])
        if os.environ.get("HWSIM_DEBUG"):
            raise
        return fail(f"internal error {type(error).__name__}: {error} (a bug; rerun with HWSIM_DEBUG=1 for the "
                    "traceback and report it)", EXIT_INTERNAL_ERROR)
    return int(result or 0)


def program() -> None:
    """The `hwsim` script and `python -m hwsim.cli`: main(), then exit without interpreter finalization.

    Finalization puts SIGINT/SIGTERM back to the system default before the process ends, so a signal landing
    in that last moment killed the process silently (exit -2, no line; seen once in CI). Here the at-exit
    functions run with our handler still in place and the process ends with os._exit."""
    code = main()
    try:
        import atexit

        atexit._run_exitfuncs()  # what finalization would run (temporary folders, logging), under our handler
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # `hwsim ... | head` closed the pipe; the run itself is complete
        pass
    finally:
        os._exit(code)


if __name__ == "__main__":
    program()
