"""Executors: same results in input order everywhere; a worker that dies is retried; Dask optional."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hwsim.errors import SpecError
from hwsim.pipeline.executors import LocalExecutor, make_executor


def square(x: int) -> int:
    return x * x


def die_once(arg: tuple[str, int]) -> int:
    """Kills its worker process the first time it sees a marker-less folder, then works."""
    folder, x = arg
    marker = Path(folder) / f"died_{x}"
    if x == 2 and not marker.exists():
        marker.write_text("")
        os._exit(1)
    return x * 10


def test_local_executor_keeps_input_order():
    items = list(range(7))
    assert LocalExecutor(1).map(square, items) == LocalExecutor(2).map(square, items) == [x * x for x in items]


def test_local_executor_retries_a_dead_worker(tmp_path):
    items = [(str(tmp_path), x) for x in range(4)]
    assert LocalExecutor(2).map(die_once, items) == [0, 10, 20, 30]
    assert (tmp_path / "died_2").exists()


def test_unknown_executor_is_a_one_line_error():
    with pytest.raises(SpecError, match="--executor: expected 'local' or 'dask'"):
        make_executor("spark")
