"""User-facing errors: one line naming the file, the key path, what was expected and what was found."""

from __future__ import annotations

import difflib
import math
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator


PLAIN_STARTS = ("expected", "unknown", "file not found", "cannot", "required", "no ", "--")


MAX_MESSAGE_CHARS = 2000
MAX_GOT_CHARS = 200


def one_line(text: str) -> str:
    """Escape control characters (newlines, ESC, ...) so a message stays one line and cannot drive a terminal.

    Keys and values echoed from user files may hold anything; `\\x1b[2J` in a YAML key must print as text.
    """
    escaped = "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
                      for ch in text)
    return escaped if len(escaped) <= MAX_MESSAGE_CHARS else escaped[:MAX_MESSAGE_CHARS] + "..."


def shorten(text: str, limit: int = MAX_GOT_CHARS) -> str:
    """A found value is shown, not dumped: a 2 MB string in a spec gives a one-line message."""
    return text if len(text) <= limit else text[:limit] + "..."


class HwsimError(Exception):
    """Any error caused by user input; the CLI prints it as one line and exits with code 2."""

    def lines(self) -> list[str]:
        """What the CLI prints, one `hwsim: error:` line each."""
        return [str(self)]


class SpecError(HwsimError):
    """A spec file (or CLI value) is wrong at a given key path."""

    def __init__(self, file: str | Path | None, key_path: str, expected: str, got: object = None):
        self.file = str(file) if file is not None else None
        self.key_path = key_path
        self.expected = expected
        self.got = got
        if not expected.startswith(PLAIN_STARTS):
            expected = f"expected {expected}"  # every message reads 'key: expected ..., got ...'
        where = f"{self.file}: " if self.file else ""
        key = f"{key_path}: " if key_path else ""
        found = "" if got is None else f", got {shorten(repr(got))}"
        self.message = one_line(f"{where}{key}{expected}{found}")
        super().__init__(file, key_path, expected, got)  # args rebuild the error (simpy re-raises by type(e)(*e.args))

    def __str__(self) -> str:
        return self.message


class SpecErrors(SpecError):
    """Several errors of one file, reported together (one line each); behaves as its first error otherwise."""

    MAX_LINES = 20

    def __init__(self, errors: list[SpecError]):
        first = errors[0]
        super().__init__(first.file, first.key_path, first.expected, first.got)
        self.message = first.message
        self.errors = errors
        self.args = (errors,)  # type(e)(*e.args) rebuilds it (simpy re-raises that way; so does pickling)

    def lines(self) -> list[str]:
        shown = [e.message for e in self.errors[: self.MAX_LINES]]
        hidden = len(self.errors) - len(shown)
        return shown + ([f"... and {hidden} more errors in {self.file}"] if hidden else [])


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the nearest known choice, or '' when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_choice(file: str | Path | None, key_path: str, kind: str, value: str, choices: Iterable[str]) -> SpecError:
    """The standard error for a name outside a closed set."""
    choices = sorted(choices)
    hint = did_you_mean(value, choices)
    return SpecError(file, key_path, f"unknown {kind} {value!r}{hint}; known: {', '.join(choices)}")


def note(message: str) -> None:
    """One `hwsim: note:` line on stderr: something hwsim did with a value that the user should know."""
    print(f"hwsim: note: {one_line(message)}", file=sys.stderr)


def rounding_note(flag: str, seconds: float, frames: int, step_s: float) -> str | None:
    """The note for a length used in whole input frames (None when it already is whole)."""
    if math.isclose(frames * step_s, seconds, rel_tol=1e-9, abs_tol=0.0):
        return None
    return f"{flag} {seconds:g} is rounded to {frames:,} input frames = {frames * step_s:g} s (frame step {step_s:g} s)"


_warned: set[str] = set()
_silenced = [0]


@contextmanager
def silenced_warnings() -> Iterator[None]:
    """For code whose edits are deliberate (a paper reproduction's own --precision-set overrides): `warn` prints
    nothing inside. Usable as a decorator."""
    _silenced[0] += 1
    try:
        yield
    finally:
        _silenced[0] -= 1


def warn(message: str) -> None:
    """One `hwsim: warning: ...` line on stderr, once per process: something the user asked for did not fully
    happen, but the run is still meaningful (an error would stop a useful partial edit)."""
    line = f"hwsim: warning: {one_line(message)}"
    if line not in _warned and not _silenced[0]:
        _warned.add(line)
        print(line, file=sys.stderr)
