"""Peak device memory of a run: weights (with metadata), activations, hypothesis states, logit buffers and the
encoder output the decoder reads."""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.cost.hardware import Device
from hwsim.graph.model import Component, Graph, Op, Trigger
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
    encoder_output_bytes: float = 0.0

    @property
    def total_bytes(self) -> float:
        return (self.weights_bytes + self.activations_bytes + self.hypothesis_states_bytes + self.logits_bytes
                + self.encoder_output_bytes)

    @property
    def fits(self) -> bool:
        return self.total_bytes <= self.capacity_bytes

    def to_dict(self) -> dict[str, object]:
        return {"weights_bytes": self.weights_bytes, "activations_bytes": self.activations_bytes,
                "hypothesis_states_bytes": self.hypothesis_states_bytes, "logits_bytes": self.logits_bytes,
                "encoder_output_bytes": self.encoder_output_bytes,
                "total_bytes": self.total_bytes, "capacity_bytes": self.capacity_bytes,
                "capacity_level": self.capacity_level, "fits": self.fits}


def peak_footprint(graph: Graph, plan: PrecisionPlan, sizes: SizeReport, device: Device, frames: int,
                   chunk_frames: int | None, beam: int) -> Footprint:
    """Weights are all resident; the largest encoder op's inputs+outputs for one chunk; per hypothesis the
    prediction network's LSTM state (h and c of every layer, lstm_state_elements) and one logit row per scored
    hypothesis (x2, double-buffered); the encoder output the decoder reads (encoder_output_bytes: the utterance's,
    or one chunk's when streaming). Capacity is the largest memory level of the device."""
    weights = sizes.total_bits / BITS_PER_BYTE
    chunk = min(chunk_frames or frames, frames)
    activations = max((op.activation_elements(op.rows_per_invocation(chunk)) * plan.op(op.name).activation_format.bytes
                       for op in graph.ops if op.trigger in (Trigger.ENCODER_FRAMES, Trigger.ENCODER_RECURRENT)),
                      default=0.0)
    state_elements = sum(lstm_state_elements(op) for op in graph.ops
                         if op.trigger is Trigger.PREDICTION_CALL and op.name.endswith("recurrent_proj"))
    states = beam * state_elements * 4
    logits = 2 * beam * graph.vocab_size * 4 if graph.has_decoder else 0.0
    level = max(device.memory, key=lambda m: m.capacity_bytes)
    return Footprint(weights, activations, states, logits, level.capacity_bytes, level.name,
                     encoder_output_bytes(graph, plan, chunk))


def lstm_state_elements(recurrent_proj: Op) -> int:
    """(h, c) of one LSTM layer from its recurrent projection [R, 4H]: h is R wide (the projection's width in an
    LSTMP, else H) and c is H wide (an LSTMP projects h, never c)."""
    assert recurrent_proj.gemm is not None
    return recurrent_proj.gemm.k + recurrent_proj.gemm.n // 4


def encoder_output_bytes(graph: Graph, plan: PrecisionPlan, frames: int) -> float:
    """Encoder output an utterance holds while it is decoded, for `frames` input frames (the whole utterance, or
    one streaming chunk): every decoder step's joint call reads one encoder frame, until the utterance finishes.

    What is held is the joint's encoder projection (`joint.enc_proj`, the joint ops triggered per encoder frame):
    it runs with the encoder, once per frame, so the decoder reads the projected frames and the encoder's own
    output is dead once projected. Bytes = encoder frames x projection width x that op's activation format.
    A model without a decoder (hybrid HMM) holds none here."""
    return float(sum(op.encoder_rows(frames) * op.out_elements_per_row * plan.op(op.name).activation_format.bytes
                     for op in graph.ops if op.component is Component.JOINT and op.trigger is Trigger.ENCODER_FRAMES))
