"""The joint runner (hwsim.sim.joint) against the per-segment SimPy processes it replaces in serve: on the same load
and config, every record of the run is identical (times to the bit), so the runner changes speed only.

Costs here have several segments per call on several lanes (the encoder alternates matrix and vector, a decoder
step touches matrix, vector, link and cpu), so the two workers really interleave and wait for each other; loads are
server arrivals and streamed chunks, under every policy, padding, lane count, overlap switch and chip count.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings, strategies as st

from hwsim.cost.segments import Segment
from hwsim.sim.entities import Chunk, Utterance
from hwsim.sim.fleet import ServingConfig, ServingEngine
from hwsim.sim.policies import Batching, Padding
from tests.unit.sim.test_invariants import configs, offline_loads, server_loads
from tests.unit.sim.test_serving_engine import MS, U0, U1, FakeCosts, whole

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)


class SegmentedCosts(FakeCosts):
    """Calls of several segments: the encoder's frames alternate matrix (0.7 ms) and vector (0.3 ms) segments (one
    of each per call when exclusive); a decoder step is prediction (matrix, vector), then FakeCosts' joint
    (matrix), transfer (link) and search (cpu)."""

    def encoder(self, frames, exclusive=False):
        return self.encoder_batch(frames, 1, exclusive)

    def encoder_batch(self, frames, batch, exclusive=False):
        scale = 1 + 0.5 * (batch - 1)
        if exclusive:   # one segment per resource (a whole utterance, or serve's coarse streaming encoder)
            return (Segment("matrix", "encoder", frames * 0.7 * MS * scale, "enc"),
                    Segment("vector", "encoder", frames * 0.3 * MS * scale, "enc_act"))
        return tuple(Segment(resource, "encoder", seconds * scale, f"enc{i}")
                     for i in range(frames) for resource, seconds in (("matrix", 0.7 * MS), ("vector", 0.3 * MS)))

    def encoder_packed(self, lengths, exclusive=False):
        ends = [*lengths, 0]
        return tuple(segment for k in range(len(lengths))
                     for segment in self.encoder_batch(ends[k] - ends[k + 1], k + 1, exclusive))

    def prediction(self, rows):
        return (Segment("matrix", "prediction", MS + rows * 0.1 * MS, "pred"),
                Segment("vector", "prediction", 0.2 * MS, "pred_act"))


def streamed(utterances: list[Utterance], chunk_frames: int, seed: int) -> list[Utterance]:
    """The utterances as streams: chunks of `chunk_frames` arriving in real time (10 ms a frame) from seeded
    starts."""
    starts = np.cumsum(np.random.default_rng(seed).standard_exponential(len(utterances))) * 0.05
    out = []
    for u, start in zip(utterances, starts.tolist()):
        frames = u.schedule.frames
        ends = list(range(chunk_frames, frames, chunk_frames)) + [frames]
        chunks = tuple(Chunk(start + end * 0.01, end - begin, end) for begin, end in zip([0, *ends], ends))
        out.append(Utterance(u.uid, start, frames * 0.01, chunks, u.schedule, whole=False))
    return out


def outcome(utterances: list[Utterance], config: ServingConfig, joint: bool) -> dict:
    run = ServingEngine(SegmentedCosts(), dataclasses.replace(config, joint=joint)).run(utterances)
    batches = [sorted(dataclasses.astuple(b) for b in log.all_batches(i)) for i, log in enumerate(run.chips)]
    return {"makespan": run.makespan_s, "occupancy": run.occupancy_s, "holds": run.events,
            "utterances": sorted(dataclasses.astuple(r) for log in run.chips for r in log.utterances),
            "chunks": sorted(dataclasses.astuple(c) for log in run.chips for c in log.chunks),
            "batches": batches, "busy": [log.busy_s for log in run.chips],
            "components": [log.components_s for log in run.chips]}


def assert_same(utterances: list[Utterance], config: ServingConfig) -> None:
    assert outcome(utterances, config, joint=True) == outcome(utterances, config, joint=False)


@SETTINGS
@given(server_loads(), configs())
def test_server_loads_give_the_same_records_as_the_per_segment_processes(utterances, config):
    assert_same(utterances, config)


@SETTINGS
@given(offline_loads(), configs())
def test_offline_loads_give_the_same_records(utterances, config):
    assert_same(utterances, config)


@SETTINGS
@given(offline_loads(max_size=12), configs(), st.integers(1, 6), st.integers(0, 2 ** 16), st.booleans())
def test_streamed_chunks_give_the_same_records(utterances, config, chunk_frames, seed, coarse):
    """`coarse`: serve's streaming encoder (ServingConfig.coarse_encoder), one segment per resource per call."""
    assert_same(streamed(utterances, chunk_frames, seed), dataclasses.replace(config, coarse_encoder=coarse))


def test_contended_case_by_hand():
    # u1 arrives while u0 steps: its encoder call (6 frames x (0.7 matrix + 0.3 vector)) contends with u0's steps on
    # the matrix, so neither runs alone; the runner and the processes must agree on every interleaving
    utterances = [whole(0, 4, U0), whole(1, 6, U1, at=4.5 * MS)]
    for batching in Batching:
        for padding in Padding:
            assert_same(utterances, ServingConfig(batching, 2, 1 * MS, padding=padding))
    one = outcome(utterances, ServingConfig(Batching.CONTINUOUS, 2), joint=True)
    # u0: encoder 4 x 1 ms = 4 ms; step 1 (pred 1.1 + 0.2, joint 2.1, xfer 0.1, search 0.1) ends 7.6 ms unless u1's
    # encoder (from 4.5 ms) takes the matrix between segments: it asks for the matrix at 4.5 ms while u0's prediction
    # holds it (4 -> 5.1), gets it at 5.1 ms, and u0's joint waits for that 0.7 ms segment
    first = [r for r in one["utterances"] if r[0] == 0][0]
    assert first[-3] > 7.6 * MS   # u0 finished later than it would alone: the workers did contend
