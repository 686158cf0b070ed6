"""Progress bars and chatter on stderr, switched off by the one `--quiet` flag every verb takes.

Bars are tqdm bars on stderr, never stdout, so a table, `--json` or `--csv` on stdout stays exactly the result.
They show only when stderr is a terminal (tqdm's `disable=None`): a log file or a pipe gets no bar, and
`--quiet` turns them off on a terminal too, together with the status lines (`status`) a verb prints while it
works. Warnings, errors and `hwsim: note:` lines (hwsim.errors.note: a value hwsim adjusted or a limit it
stopped at) are not chatter: `--quiet` keeps them.
"""

from __future__ import annotations

import sys
from typing import Any, Iterable

_quiet = False


def set_quiet(quiet: bool) -> None:
    """Set once per run by hwsim.cli from `--quiet` (before or after the verb)."""
    global _quiet
    _quiet = bool(quiet)


def is_quiet() -> bool:
    return _quiet


def bar_disabled(enabled: bool = True) -> bool | None:
    """tqdm's `disable`: True when quiet or the caller turns it off, else None (off when stderr is not a terminal)."""
    return True if _quiet or not enabled else None


def progress(iterable: Iterable | None = None, *, total: int | None = None, desc: str, unit: str = "it",
             enabled: bool = True) -> Any:
    """A tqdm bar on stderr that vanishes when done (leave=False), or a silent one under `--quiet`."""
    from tqdm import tqdm  # here: verbs that never show a bar do not pay for it at start-up

    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=bar_disabled(enabled), leave=False,
                file=sys.stderr, dynamic_ncols=True)


def status(message: str) -> None:
    """A line of progress chatter on stderr (what is being done, where it went); nothing under `--quiet`."""
    if not _quiet:
        print(message, file=sys.stderr)


class CountingExecutor:
    """An executor (hwsim.pipeline.executors) whose map() advances a progress bar by the points it ran: searches such as
    `serve --find-max-load` do not know their probe count in advance, so the bar counts up without a total."""

    def __init__(self, executor: Any, bar: Any) -> None:
        self._executor, self._bar = executor, bar

    def map(self, fn: Any, items: Any) -> list:
        items = list(items)
        results = self._executor.map(fn, items)
        self._bar.update(len(items))
        return results

    def close(self) -> None:
        self._executor.close()
