"""One utterance at batch 1 on one chip: what `simulate` runs, through the serving engine itself.

The utterance's chunks are all there at t=0 (simulate times the compute, not the audio's arrival), the batch is 1,
every segment is traced and every wait recorded, and processes keep their plain names ("encoder", "decoder",
"hmm_search"), so hwsim.sim.results can split the critical path by what the last process did or waited for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hwsim.cost.segments import CallCosts
from hwsim.sim.entities import Chunk, RunShape, Utterance
from hwsim.sim.fleet import RESOURCES, ServingConfig, ServingEngine
from hwsim.sim.policies import Batching
from hwsim.sim.records import TraceRecord, WaitRecord
from hwsim.decode.schedule import DecodeSchedule

EVENTS_PER_HOLD = 3  # a hold as SimPy's Resource counts it: request, timeout, release (what `events` has meant)


@dataclass
class EngineRun:
    total_s: float
    trace: list[TraceRecord] = field(default_factory=list)
    waits: list[WaitRecord] = field(default_factory=list)
    events: int = 0
    process_end_s: dict[str, float] = field(default_factory=dict)


def utterance_of(shape: RunShape, schedule: DecodeSchedule | None, audio_s: float = 0.0) -> Utterance:
    """The utterance `shape` describes, every chunk available at t=0."""
    chunks = tuple(Chunk(0.0, frames, available) for frames, available in shape.chunks())
    return Utterance(0, 0.0, audio_s, chunks, schedule, whole=shape.chunk_frames is None)


def run_utterance(costs: CallCosts, shape: RunShape, schedule: DecodeSchedule | None, overlap: bool = True,
                  units: dict[str, int] | None = None, shortcut: bool = True) -> EngineRun:
    """Simulate one utterance: RNN-T when a decode schedule is given, else a hybrid model's HMM search.
    `shortcut`: add up the decoder's steps once it is alone (hwsim.sim.chip.Chip._decode_alone); the same results
    either way, False only to check exactly that."""
    config = ServingConfig(Batching.STATIC, max_batch=1, overlap=overlap, trace_limit=math.inf,
                           units=dict(units or {}), record_waits=True, chip_names=False, shortcut=shortcut,
                           fast_forward=False)
    engine = ServingEngine(costs, config, RESOURCES)
    run = engine.run([utterance_of(shape, schedule)])
    log = run.chips[0]
    return EngineRun(run.end_s, log.trace, log.waits, EVENTS_PER_HOLD * log.holds, dict(log.process_end_s))
