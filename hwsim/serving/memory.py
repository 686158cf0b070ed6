"""Device memory of one serving chip: packed weights with metadata (from the size accountant), per-utterance state
and the largest batch's activations; how large a batch fits, which limit bound it, and how many utterances (or
streams) a chip can hold live at once. Bytes are decimal (1 GB = 1e9 bytes).

Per-utterance state (bytes, activation format unless noted; a stream counts as one utterance):
| part                         | per utterance                                                        |
|------------------------------|----------------------------------------------------------------------|
| encoder output               | frames held (below) x the joint's encoder projection width, its format |
| hypotheses' LSTM states      | beam x (h, c) of every prediction-network layer, f32 (h: R, c: H wide) |
| logit buffers                | 2 x beam x vocabulary, f32 (double-buffered, as in the footprint)    |
| streaming attention caches   | keys and values of the attention window's other frames, every layer  |
| streaming convolution caches | (kernel - 1) frames of every depthwise convolution                   |
| streaming encoder LSTM state | (h, c) of every recurrent encoder layer and direction, f32           |
The encoder output is held because every decoder step reads an encoder frame until the utterance finishes. What
is held is the joint's encoder projection, computed with the encoder once per frame, not the encoder output it
replaces (hwsim.cost.footprint.encoder_output_bytes). Frames held: offline and server, the run's longest
utterance's (a whole-utterance encoder hands the decoder all its frames at once); streaming, one chunk's, since
the decoder consumes encoder frames as each chunk produces them (assuming it keeps pace with the audio: a stream
that falls behind holds more, and its latency then grows without bound anyway). The look-ahead frames of a
chunked attention encoder are not held: their outputs are decoded only after the next chunk encodes them again,
and their keys and values are already in the attention caches.
Streaming caches count only when the encoder runs in chunks (a whole-utterance encoder keeps nothing between
calls). Activations per batch item: the largest encoder op's inputs + outputs over one chunk (or utterance).

A batch of B utterances needs weights + B x (per-utterance state + activations per item); `batch_cap` is the
largest B <= --max-batch that fits, and `batch_limited_by` says whether --max-batch or memory set it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from hwsim.cost.hardware import Device
from hwsim.cost.footprint import lstm_state_elements, peak_footprint
from hwsim.errors import SpecError
from hwsim.graph.model import Graph, OpKind, Trigger
from hwsim.precision.plan import PrecisionPlan
from hwsim.size.account import SizeReport
from hwsim.units import BITS_PER_BYTE

F32_BYTES = 4
LIMITED_BY_MAX_BATCH, LIMITED_BY_MEMORY = "max_batch", "memory"


@dataclass(frozen=True)
class UtteranceState:
    """What one live utterance (or stream) holds on the chip besides its batch's activations, in bytes."""

    encoder_output_bytes: float = 0.0
    hypothesis_states_bytes: float = 0.0
    logits_bytes: float = 0.0
    streaming_cache_bytes: float = 0.0

    @property
    def total_bytes(self) -> float:
        return (self.encoder_output_bytes + self.hypothesis_states_bytes + self.logits_bytes
                + self.streaming_cache_bytes)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class ChipMemory:
    """One chip's memory for a run: capacity (its largest level), resident weights, each live utterance's state and
    each batch member's activations. A batch of B with L utterances live uses weights + L x state + B x activations."""

    capacity_bytes: float
    capacity_level: str
    weights_bytes: float
    state: UtteranceState
    activations_per_item_bytes: float

    @property
    def per_utterance_bytes(self) -> float:
        """One live utterance's state (the sum of `state`'s parts)."""
        return self.state.total_bytes

    @property
    def per_stream_bytes(self) -> float:
        """The same figure under its first name (the `--json` key `per_stream_bytes`)."""
        return self.per_utterance_bytes

    @property
    def per_item_bytes(self) -> float:
        """What one more batch member costs: its state and its share of the batch's activations."""
        return self.per_utterance_bytes + self.activations_per_item_bytes

    def used_bytes(self, batch: int, streams: int) -> float:
        return self.weights_bytes + streams * self.per_utterance_bytes + batch * self.activations_per_item_bytes

    def max_batch_by_memory(self) -> int | None:
        """The largest batch whose members' state and activations fit next to the weights (None: no per-item
        memory, so memory sets no bound)."""
        if not self.per_item_bytes:
            return None
        return max(0, math.floor((self.capacity_bytes - self.weights_bytes) / self.per_item_bytes))

    def batch_cap(self, requested: int) -> int:
        """The largest batch <= requested whose members' state and activations fit next to the weights."""
        fits = self.max_batch_by_memory()
        return max(0, requested if fits is None else min(requested, fits))

    def batch_limited_by(self, requested: int) -> str:
        """Which limit set batch_cap(requested): "memory" when it holds fewer members, else "max_batch" (the flag)."""
        return LIMITED_BY_MEMORY if self.batch_cap(requested) < requested else LIMITED_BY_MAX_BATCH

    def max_live(self, batch: int) -> int:
        """Utterances (or streams) whose state fits beside the weights and a `batch`-item batch's activations:
        how many a chip may hold live at once (continuous batching admits work until memory is full)."""
        free = self.capacity_bytes - self.weights_bytes - batch * self.activations_per_item_bytes
        return max(0, math.floor(free / self.per_utterance_bytes)) if self.per_utterance_bytes else 0

    def max_concurrent_streams(self, batch: int) -> int:
        """max_live under its first name (streams are utterances that arrive chunk by chunk)."""
        return self.max_live(batch)

    def to_dict(self, batch: int, requested: int | None = None) -> dict[str, object]:
        """The `memory` block of `hwsim serve --json`: `batch` is the batch run (`batch_cap`), `requested` the
        --max-batch asked for (default: `batch`)."""
        requested = batch if requested is None else requested
        return {"weights_bytes": self.weights_bytes, "per_stream_bytes": self.per_stream_bytes,
                "max_concurrent_streams": self.max_concurrent_streams(batch),
                "activations_per_item_bytes": self.activations_per_item_bytes,
                "capacity_bytes": self.capacity_bytes, "capacity_level": self.capacity_level,
                "batch_cap": batch, "peak_bytes": self.used_bytes(batch, batch),
                "requested_batch": requested, "max_batch_by_memory": self.max_batch_by_memory(),
                "batch_limited_by": self.batch_limited_by(requested), **self.state.to_dict()}


def streaming_cache_bytes(graph: Graph, plan: PrecisionPlan) -> float:
    """What a chunked encoder keeps per stream between chunks (the table above): attention keys and values,
    depthwise-convolution frames and recurrent layers' (h, c)."""
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
            total += lstm_state_elements(op) * F32_BYTES
    return total


def chip_memory(graph: Graph, plan: PrecisionPlan, sizes: SizeReport, device: Device, frames: int,
                chunk_frames: int | None, beam: int) -> ChipMemory:
    """Memory figures for utterances of up to `frames` input frames (`chunk_frames` when streaming)."""
    one = peak_footprint(graph, plan, sizes, device, frames, chunk_frames, beam)
    caches = streaming_cache_bytes(graph, plan) if chunk_frames is not None else 0.0
    state = UtteranceState(float(one.encoder_output_bytes), float(one.hypothesis_states_bytes), float(one.logits_bytes),
                           caches)
    return ChipMemory(one.capacity_bytes, one.capacity_level, sizes.total_bits / BITS_PER_BYTE, state,
                      one.activations_bytes)


def require_fits(memory: ChipMemory, device: Device) -> None:
    """A model that cannot serve even one utterance on one chip is an error: sharding is out of scope."""
    if memory.batch_cap(1) < 1:
        raise SpecError(device.file, "memory", f"a chip whose {memory.capacity_level} "
                        f"({memory.capacity_bytes / 1e9:.3f} GB) holds the model's packed weights with metadata "
                        f"({memory.weights_bytes / 1e9:.3f} GB) plus one utterance "
                        f"({memory.per_item_bytes / 1e9:.3f} GB); "
                        "sharding a model across chips is out of scope for hwsim serve", device.name)
