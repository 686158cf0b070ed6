"""The Dask executor (optional extra [distributed]): same results as local, a dead worker retried, a scheduler that
does not answer is a one-line error. Skipped cleanly without dask.distributed."""

from __future__ import annotations

import pytest

from hwsim.errors import SpecError
from hwsim.pipeline.executors import DaskExecutor, LocalExecutor
from tests.unit.serving.test_executor import die_once, square

distributed = pytest.importorskip("distributed", reason="dask.distributed is an optional extra ([distributed])")


@pytest.fixture(scope="module")
def dask_executor():
    executor = DaskExecutor(None, workers=2)
    yield executor
    executor.close()


def test_dask_gives_the_local_results(dask_executor):
    items = list(range(9))
    assert dask_executor.map(square, items) == LocalExecutor(1).map(square, items)


def test_dask_retries_a_dead_worker(dask_executor, tmp_path):
    items = [(str(tmp_path), x) for x in range(4)]
    assert dask_executor.map(die_once, items) == [0, 10, 20, 30]


def test_a_scheduler_that_does_not_answer_is_a_one_line_error():
    with pytest.raises(SpecError, match="--scheduler: expected a Dask scheduler that answers"):
        DaskExecutor("tcp://127.0.0.1:9", workers=1)
