"""A chip's distinct decoder step shapes, as arrays, so a run of steps is costed without a Python loop per step.

A step's shape is its (prediction rows, joint rows, hypotheses), packed into one integer key that is linear in
its parts, so the key of a batched step is the sum of its members' keys (each part stays below SHAPE_KEY:
hwsim.io.limits caps the rows of a decode). Each shape gets an id the first time it is seen; `table` holds every
shape's segment durations in order, zero-padded to one width, so a run's ends are one cumulative sum (adding
0.0 leaves a float as it is, so the sums are SimPy's sequential ones); `counts` adds up how often each shape ran,
turned into call counts once, at the end of the run.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

SHAPE_KEY = 1 << 20

Shape = tuple[tuple[object, ...], tuple[float, ...]]   # (a step's calls, chip.CompiledCall; its durations)


def shape_key(prediction_rows: int, joint_rows: int, hyps: int) -> int:
    return (prediction_rows * SHAPE_KEY + joint_rows) * SHAPE_KEY + hyps


def shape_keys(prediction_rows: np.ndarray, joint_rows: np.ndarray, hyps: np.ndarray) -> np.ndarray:
    """shape_key over arrays (int64)."""
    return (prediction_rows * SHAPE_KEY + joint_rows) * SHAPE_KEY + hyps


def shape_parts(key: int) -> tuple[int, int, int]:
    return key // SHAPE_KEY // SHAPE_KEY, key // SHAPE_KEY % SHAPE_KEY, key % SHAPE_KEY


def joint_rows_of(keys: np.ndarray) -> np.ndarray:
    return keys // SHAPE_KEY % SHAPE_KEY


class StepShapes:
    """Shape ids, durations and run counts; `build(prediction_rows, joint_rows, hyps)` gives a new shape's calls
    and segment durations (Chip._step_shape)."""

    def __init__(self, build: Callable[[int, int, int], Shape]) -> None:
        self.build = build
        self.sorted_keys = np.empty(0, dtype=np.int64)
        self.sorted_ids = np.empty(0, dtype=np.int64)
        self.calls: list[tuple[object, ...]] = []
        self.durations: list[tuple[float, ...]] = []
        self.table = np.zeros((0, 1))
        self.counts = np.zeros(0, dtype=np.int64)

    @property
    def width(self) -> int:
        return self.table.shape[1]

    def ids(self, keys: np.ndarray) -> np.ndarray:
        """The id of each key's shape, building the shapes not seen before."""
        position = np.searchsorted(self.sorted_keys, keys)
        found = position < len(self.sorted_keys)
        if not (found.all() and np.array_equal(self.sorted_keys[position], keys)):
            self._add(np.setdiff1d(keys, self.sorted_keys))
            position = np.searchsorted(self.sorted_keys, keys)
        return self.sorted_ids[position]

    def run(self, ids: np.ndarray) -> None:
        """These steps ran (once each)."""
        self.counts += np.bincount(ids, minlength=len(self.counts))

    def call_counts(self) -> dict[object, int]:
        """Runs per call over every shape run, and the counts back to zero."""
        out: dict[object, int] = {}
        for shape, count in enumerate(self.counts.tolist()):
            for call in self.calls[shape] if count else ():
                out[call] = out.get(call, 0) + count
        self.counts[:] = 0
        return out

    def _add(self, new_keys: np.ndarray) -> None:
        first = len(self.calls)
        for key in new_keys.tolist():
            calls, durations = self.build(*shape_parts(key))
            self.calls.append(calls)
            self.durations.append(durations)
        keys = np.concatenate((self.sorted_keys, new_keys))
        ids = np.concatenate((self.sorted_ids, np.arange(first, len(self.calls))))
        order = np.argsort(keys, kind="stable")
        self.sorted_keys, self.sorted_ids = keys[order], ids[order]
        width = max(1, self.width, *(len(d) for d in self.durations[first:]))
        table = np.zeros((len(self.calls), width))
        table[:first, :self.width] = self.table
        for shape in range(first, len(self.calls)):
            table[shape, :len(self.durations[shape])] = self.durations[shape]
        self.table = table
        self.counts = np.concatenate((self.counts, np.zeros(len(self.calls) - first, dtype=np.int64)))
