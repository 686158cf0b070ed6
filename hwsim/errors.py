"""User-facing errors: one line naming the file, the key path, what was expected and what was found."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Iterable


PLAIN_STARTS = ("expected", "unknown", "file not found", "cannot", "required", "no ", "--")


class HwsimError(Exception):
    """Any error caused by user input; the CLI prints it as one line and exits with code 2."""


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
        found = "" if got is None else f", got {got!r}"
        self.message = f"{where}{key}{expected}{found}"
        super().__init__(file, key_path, expected, got)  # args rebuild the error (simpy re-raises by type(e)(*e.args))

    def __str__(self) -> str:
        return self.message


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the nearest known choice, or '' when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_choice(file: str | Path | None, key_path: str, kind: str, value: str, choices: Iterable[str]) -> SpecError:
    """The standard error for a name outside a closed set."""
    choices = sorted(choices)
    hint = did_you_mean(value, choices)
    return SpecError(file, key_path, f"unknown {kind} {value!r}{hint}; known: {', '.join(choices)}")
