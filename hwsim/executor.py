"""Executors for independent points (sweep points, capacity probes): in this process, on local worker processes, or
on a Dask cluster. Every executor returns results in input order, so a run gives the same bytes on any of them.

A worker that dies (killed, out of memory) is not fatal: its points are run again, up to RETRIES times, on a fresh
pool (local) or another worker (Dask, `retries=`).
"""

from __future__ import annotations

import concurrent.futures
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Protocol, Sequence

from hwsim.errors import HwsimError, SpecError

RETRIES = 2
CONNECT_TIMEOUT_S = 3


class Executor(Protocol):
    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """fn(item) for every item, results in input order."""

    def close(self) -> None: ...


class LocalExecutor:
    """Worker processes (none when workers <= 1: everything runs in this process)."""

    def __init__(self, workers: int = 1):
        self.workers = workers

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        if self.workers <= 1 or len(items) <= 1:
            return [fn(item) for item in items]
        results: dict[int, Any] = {}
        for attempt in range(RETRIES + 1):
            todo = [i for i in range(len(items)) if i not in results]
            if not todo:
                break
            try:
                self._run(fn, items, todo, results)
            except BrokenProcessPool:
                if attempt == RETRIES:
                    raise HwsimError(f"a worker process died {RETRIES + 1} times running the same points; "
                                     "giving up (out of memory?)") from None
        return [results[i] for i in range(len(items))]

    def _run(self, fn: Callable[[Any], Any], items: Sequence[Any], todo: list[int], results: dict[int, Any]) -> None:
        with concurrent.futures.ProcessPoolExecutor(max_workers=min(self.workers, len(todo))) as pool:
            futures = {pool.submit(fn, items[i]): i for i in todo}
            for future in concurrent.futures.as_completed(futures):
                results[futures[future]] = future.result()

    def close(self) -> None:
        pass


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
