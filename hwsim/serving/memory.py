"""Device memory of one serving chip: packed weights with metadata (from the size accountant), per-stream state
and the largest batch's activations; how large a batch fits and how many streams a chip can hold.

Per-stream state (bytes, activation format unless noted):
| part                         | per stream                                                           |
|------------------------------|----------------------------------------------------------------------|
| hypotheses' LSTM states      | beam x (h, c) of every prediction-network layer, f32 (hwsim.cost.footprint) |
| logit buffers                | 2 x beam x vocabulary, f32 (double-buffered, as in the footprint)    |
| streaming attention caches   | keys and values of the attention window's other frames, every layer  |
| streaming convolution caches | (kernel - 1) frames of every depthwise convolution                   |
| streaming encoder LSTM state | (h, c) of every recurrent encoder layer                              |
Streaming caches count only when the encoder runs in chunks (a whole-utterance encoder keeps nothing between
calls). Activations per batch item: the largest encoder op's inputs + outputs over one chunk (or utterance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hwsim.cost.device import Device
from hwsim.cost.footprint import peak_footprint
from hwsim.errors import SpecError
from hwsim.graph.model import Graph, OpKind, Trigger
from hwsim.precision.plan import PrecisionPlan
from hwsim.size.account import SizeReport
from hwsim.units import BITS_PER_BYTE

F32_BYTES = 4


@dataclass(frozen=True)
class ChipMemory:
    capacity_bytes: float
    capacity_level: str
    weights_bytes: float
    per_stream_bytes: float
    activations_per_item_bytes: float

    def used_bytes(self, batch: int, streams: int) -> float:
        return self.weights_bytes + streams * self.per_stream_bytes + batch * self.activations_per_item_bytes

    def batch_cap(self, requested: int) -> int:
        """The largest batch <= requested whose members' state and activations fit next to the weights."""
        per_item = self.per_stream_bytes + self.activations_per_item_bytes
        fits = math.floor((self.capacity_bytes - self.weights_bytes) / per_item) if per_item else requested
        return max(0, min(requested, fits))

    def max_concurrent_streams(self, batch: int) -> int:
        """Streams whose state fits beside the weights and a `batch`-item batch's activations."""
        free = self.capacity_bytes - self.weights_bytes - batch * self.activations_per_item_bytes
        return max(0, math.floor(free / self.per_stream_bytes)) if self.per_stream_bytes else 0

    def to_dict(self, batch: int) -> dict[str, object]:
        return {"weights_bytes": self.weights_bytes, "per_stream_bytes": self.per_stream_bytes,
                "max_concurrent_streams": self.max_concurrent_streams(batch),
                "activations_per_item_bytes": self.activations_per_item_bytes,
                "capacity_bytes": self.capacity_bytes, "capacity_level": self.capacity_level,
                "batch_cap": batch, "peak_bytes": self.used_bytes(batch, batch)}


def streaming_cache_bytes(graph: Graph, plan: PrecisionPlan) -> float:
    total = 0.0
    for op in graph.ops:
        if op.trigger not in (Trigger.ENCODER_FRAMES, Trigger.ENCODER_RECURRENT):
            continue
        act = plan.op(op.name).activation_format.bytes
        if op.kind is OpKind.ATTENTION and op.name.endswith(".scores") and op.gemm is not None:
            total += 2 * (op.gemm.n - 1) * op.gemm.k * op.gemm.batch * act   # K and V of the other window frames
        elif op.kind is OpKind.DEPTHWISE_CONV and op.weight:
            kernel, channels = graph.tensor(op.weight).shape[:2]
            total += (kernel - 1) * channels * act
        elif op.trigger is Trigger.ENCODER_RECURRENT and op.name.endswith("recurrent_proj") and op.gemm is not None:
            total += 2 * op.gemm.k * F32_BYTES
    return total


def chip_memory(graph: Graph, plan: PrecisionPlan, sizes: SizeReport, device: Device, frames: int,
                chunk_frames: int | None, beam: int) -> ChipMemory:
    """Memory figures for utterances of up to `frames` input frames (`chunk_frames` when streaming)."""
    one = peak_footprint(graph, plan, sizes, device, frames, chunk_frames, beam)
    per_stream = one.hypothesis_states_bytes + one.logits_bytes
    if chunk_frames is not None:
        per_stream += streaming_cache_bytes(graph, plan)
    return ChipMemory(one.capacity_bytes, one.capacity_level, sizes.total_bits / BITS_PER_BYTE, per_stream,
                      one.activations_bytes)


def require_fits(memory: ChipMemory, device: Device) -> None:
    """A model that cannot serve even one stream on one chip is an error: sharding is out of scope."""
    if memory.batch_cap(1) < 1:
        raise SpecError(device.file, "memory", f"a chip whose {memory.capacity_level} "
                        f"({memory.capacity_bytes / 1e9:.3f} GB) holds the model's packed weights with metadata "
                        f"({memory.weights_bytes / 1e9:.3f} GB) plus one stream "
                        f"({(memory.per_stream_bytes + memory.activations_per_item_bytes) / 1e9:.3f} GB); "
                        "sharding a model across chips is out of scope for hwsim serve", device.name)
