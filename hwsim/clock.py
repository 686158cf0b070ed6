"""The clock that times real work: calibration micro-benchmarks and the reference decoders.

`cpu` (the default) is the calling thread's CPU time (`time.thread_time`, CLOCK_THREAD_CPUTIME_ID on Linux):
on an idle machine it equals wall time for the single-threaded work hwsim times (BLAS pinned to one thread,
onnxruntime sessions with one intra-op thread), and on a shared machine it leaves out the time the thread
waits while other processes run, which is what made wall-clock calibration and validation swing by 2-4x on a
loaded 2-core machine. It does not remove contention for caches and memory bandwidth, nor time stolen by a
hypervisor; the measured intervals show what is left. `wall` (`time.perf_counter`) is kept for machines where
the work is multi-threaded or where waiting is part of what should be measured.

Calibration and validation must use the same clock: the device file records the one it was measured with
(calibration.machine.clock) and `hwsim validate` uses that one.
"""

from __future__ import annotations

import contextlib
import time
from typing import Callable, Iterator

CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.thread_time, "wall": time.perf_counter}
DEFAULT = "cpu"
_current = [DEFAULT]


def now() -> float:
    """Seconds on the clock in use (only differences mean anything)."""
    return CLOCKS[_current[0]]()


def name() -> str:
    return _current[0]


@contextlib.contextmanager
def using(clock: str) -> Iterator[None]:
    """Time everything inside the block on `clock` ('cpu' or 'wall')."""
    if clock not in CLOCKS:
        raise ValueError(f"unknown clock {clock!r}; expected one of {sorted(CLOCKS)}")
    previous = _current[0]
    _current[0] = clock
    try:
        yield
    finally:
        _current[0] = previous
