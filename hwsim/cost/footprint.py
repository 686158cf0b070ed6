"""Peak device memory of a run: weights (with metadata), activations, hypothesis states and logit buffers."""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.cost.device import Device
from hwsim.graph.model import Graph, Trigger
from hwsim.precision.plan import PrecisionPlan
from hwsim.size.account import SizeReport
from hwsim.units import BITS_PER_BYTE


@dataclass(frozen=True)
class Footprint:
    weights_bytes: float
    activations_bytes: float
    hypothesis_states_bytes: float
    logits_bytes: float
    capacity_bytes: float
    capacity_level: str

    @property
    def total_bytes(self) -> float:
        return self.weights_bytes + self.activations_bytes + self.hypothesis_states_bytes + self.logits_bytes

    @property
    def fits(self) -> bool:
        return self.total_bytes <= self.capacity_bytes

    def to_dict(self) -> dict[str, object]:
        return {"weights_bytes": self.weights_bytes, "activations_bytes": self.activations_bytes,
                "hypothesis_states_bytes": self.hypothesis_states_bytes, "logits_bytes": self.logits_bytes,
                "total_bytes": self.total_bytes, "capacity_bytes": self.capacity_bytes,
                "capacity_level": self.capacity_level, "fits": self.fits}


def peak_footprint(graph: Graph, plan: PrecisionPlan, sizes: SizeReport, device: Device, frames: int,
                   chunk_frames: int | None, beam: int) -> Footprint:
    """Weights are all resident; the largest encoder op's inputs+outputs for one chunk; per hypothesis the
    prediction network's LSTM state (h and c of every layer) and one logit row per scored hypothesis (x2,
    double-buffered). Capacity is the largest memory level of the device."""
    weights = sizes.total_bits / BITS_PER_BYTE
    chunk = min(chunk_frames or frames, frames)
    activations = max((op.activation_elements(op.rows_per_invocation(chunk)) * plan.op(op.name).activation_format.bytes
                       for op in graph.ops if op.trigger in (Trigger.ENCODER_FRAMES, Trigger.ENCODER_RECURRENT)),
                      default=0.0)
    state_elements = sum(2 * op.gemm.k for op in graph.ops
                         if op.trigger is Trigger.PREDICTION_CALL and op.name.endswith("recurrent_proj"))
    states = beam * state_elements * 4
    logits = 2 * beam * graph.vocab_size * 4 if graph.has_decoder else 0.0
    level = max(device.memory, key=lambda m: m.capacity_bytes)
    return Footprint(weights, activations, states, logits, level.capacity_bytes, level.name)
