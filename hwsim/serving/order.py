"""The order an offline run's utterances queue in (`hwsim serve --order`), which sets who is batched with whom.

| order    | queue                                                                                         |
|----------|-----------------------------------------------------------------------------------------------|
| arrival  | as drawn (or as the --lengths file lists them)                                                |
| sorted   | longest first (the default offline: benchmark harnesses sort by length, and longest-first,    |
|          | Graham's LPT rule, leaves short batches for the end, where a chip would otherwise idle)       |
| bucketed | BUCKETS equal-count length buckets; batches of one bucket, in a seeded shuffled order (the     |
|          | bucketing samplers of ESPnet and Lhotse: little padding without one length ordering the run)  |

Server and streaming requests are served as they arrive; only `arrival` applies to them.
"""

from __future__ import annotations

from enum import Enum
from typing import Sequence, TypeVar

import numpy as np

from hwsim.sim.entities import Utterance

BUCKETS = 10   # assumption: a bucketing sampler's typical count (Lhotse's DynamicBucketingSampler default is 30
               # over corpora of hours; 10 keeps >= several batches per bucket for runs of a few hundred)
ORDER_STREAM = 4  # the seeded generator for bucketed batch order (hwsim.serving.load's streams are 1-3)

U = TypeVar("U", bound=Utterance)


class Order(str, Enum):
    ARRIVAL = "arrival"
    SORTED = "sorted"
    BUCKETED = "bucketed"


def input_frames(utterance: Utterance) -> int:
    return sum(chunk.input_frames for chunk in utterance.chunks)


def arrange(utterances: Sequence[U], order: Order, batch: int, seed: int) -> list[U]:
    """The queue order of an offline run's utterances (all arrive at t=0; the engine keeps list order on ties)."""
    if order is Order.ARRIVAL:
        return list(utterances)
    by_length = sorted(range(len(utterances)), key=lambda i: (-input_frames(utterances[i]), i))
    if order is Order.SORTED:
        return [utterances[i] for i in by_length]
    batches = []
    for bucket in np.array_split(np.array(by_length, dtype=np.int64), min(BUCKETS, len(utterances))):
        members = sorted(bucket.tolist())            # arrival order inside a bucket
        batches += [members[i:i + batch] for i in range(0, len(members), batch)]
    shuffled = np.random.default_rng([seed, ORDER_STREAM]).permutation(len(batches))
    return [utterances[i] for b in shuffled.tolist() for i in batches[b]]
