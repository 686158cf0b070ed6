"""Executors for independent points (sweep points, capacity probes): in this process, on local worker processes, or
on a Dask cluster. Every executor returns results in input order, so a run gives the same bytes on any of them.

A worker that dies (killed, out of memory) is not fatal: its points are run again, up to RETRIES times, on a fresh
pool (local) or another worker (Dask, `retries=`).
"""

from __future__ import annotations

import concurrent.futures
import signal
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Protocol, Sequence

from hwsim.errors import SpecError

RETRIES = 1  # issue 14: a dead worker's points are retried once, then reported
CONNECT_TIMEOUT_S = 3


class Executor(Protocol):
    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """fn(item) for every item, results in input order."""

    def close(self) -> None: ...


class LocalExecutor:
    """Worker processes (none when workers <= 1: everything runs in this process).

    `describe(item)` names the points an item holds, for the error when a worker dies on it RETRIES + 1 times.
    """

    def __init__(self, workers: int = 1, describe: Callable[[Any], list[str]] | None = None):
        self.workers = workers
        self.describe = describe

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        if self.workers <= 1 or len(items) <= 1:
            return [fn(item) for item in items]
        results: dict[int, Any] = {}
        todo = list(range(len(items)))
        for _ in range(RETRIES + 1):  # a dead worker's items run again on a fresh pool
            todo = self._run(fn, items, todo, results)
            if not todo:
                return [results[i] for i in range(len(items))]
        names = [name for i in todo for name in (self.describe(items[i]) if self.describe else [f"item {i}"])]
        raise SpecError(None, "--workers", f"expected worker processes to finish; {len(names)} points lost a worker "
                        f"{'twice' if RETRIES == 1 else f'{RETRIES + 1} times'} (killed or out of memory): {', '.join(names[:8])}"
                        + (" ..." if len(names) > 8 else "") + " (retry with --workers 1 to see why)")

    def _run(self, fn: Callable[[Any], Any], items: Sequence[Any], todo: list[int], results: dict[int, Any]) -> list[int]:
        """Run `todo` on a fresh pool; the indices whose worker died. Errors raised by fn propagate."""
        lost: list[int] = []
        with concurrent.futures.ProcessPoolExecutor(max_workers=min(self.workers, len(todo)),
                                                    initializer=_quiet_worker) as pool:
            try:
                futures = {pool.submit(fn, items[i]): i for i in todo}
                for future in concurrent.futures.as_completed(futures):
                    try:
                        results[futures[future]] = future.result()
                    except BrokenProcessPool:
                        lost.append(futures[future])
            except BaseException:  # SIGINT/SIGTERM or an error: stop the workers now instead of waiting for them
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.terminate()
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        return sorted(lost)

    def close(self) -> None:
        pass


def _quiet_worker() -> None:
    """Workers leave Ctrl-C to the parent (which stops them) and die quietly on SIGTERM: no worker tracebacks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class DaskExecutor:
    """dask.distributed: join the scheduler at `address`, or start a local cluster of `workers` processes."""

    def __init__(self, address: str | None = None, workers: int = 2):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise SpecError(None, "--executor dask", "dask.distributed installed (pip install 'hwsim[distributed]')"
                            ) from None
        self._cluster = None
        try:
            if address is None:
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                             dashboard_address=None)
                self.client = Client(self._cluster)
            else:
                self.client = Client(address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as error:
            if self._cluster is not None:
                self._cluster.close()
            raise SpecError(None, "--scheduler", f"a Dask scheduler that answers ({type(error).__name__})",
                            address) from None

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        futures = self.client.map(fn, list(items), retries=RETRIES, pure=False)
        return self.client.gather(futures)

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(kind: str = "local", workers: int = 1, scheduler: str | None = None) -> Executor:
    """`--executor local|dask` and `--scheduler ADDRESS` (which implies dask)."""
    if scheduler is not None or kind == "dask":
        return DaskExecutor(scheduler, max(1, workers))
    if kind != "local":
        raise SpecError(None, "--executor", "expected 'local' or 'dask'", kind)
    return LocalExecutor(workers)
