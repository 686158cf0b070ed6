"""Which weights live in on-chip memory, and which stream from the operand memory on every use.

Policy (when the device names an `onchip_memory` and residency is on):
1. decoder weights (prediction network and joint, reused every beam-search step) are made resident first,
   largest reuse first, as long as they fit: serving keeps them there across utterances, so they are never
   re-loaded;
2. each encoder recurrent weight (reused at every frame of one layer) is *staged*: loaded once per utterance,
   then read on-chip at every step. While a recurrent block runs it owns the whole on-chip capacity (the
   decoder's resident weights are fetched back afterwards; that one-time refetch per utterance is not
   charged, a simplification). A weight larger than the on-chip capacity streams every step.
Everything else (batched GEMM weights read once per chunk anyway) streams from the operand memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.cost.hardware import Device
from hwsim.graph.model import Graph, Trigger
from hwsim.size.account import SizeReport
from hwsim.units import BITS_PER_BYTE

DECODER_TRIGGERS = (Trigger.PREDICTION_CALL, Trigger.JOINT_CALL)


@dataclass(frozen=True)
class Residency:
    onchip_level: str | None
    resident: frozenset[str]          # always on-chip, never re-loaded
    staged: frozenset[str]            # loaded once per utterance, then on-chip
    capacity_bytes: float
    resident_bytes: float

    def where(self, tensor: str) -> str:
        if tensor in self.resident or tensor in self.staged:
            return "onchip"
        return "stream"


def tensor_bytes(sizes: SizeReport) -> dict[str, float]:
    """Stored bytes of each tensor, quantization metadata and padding included."""
    return {t.name: t.total_bits / BITS_PER_BYTE for t in sizes.tensors}


def plan_residency(graph: Graph, sizes: SizeReport, device: Device, enabled: bool) -> Residency:
    level_name = device.modelling.onchip_memory
    if not enabled or level_name is None:
        return Residency(None, frozenset(), frozenset(), 0.0, 0.0)
    capacity = device.memory_level(level_name).capacity_bytes
    nbytes = tensor_bytes(sizes)
    decoder = [op.weight for op in graph.ops if op.trigger in DECODER_TRIGGERS and op.weight]
    resident, used = set(), 0.0
    for name in dict.fromkeys(decoder):
        if used + nbytes[name] <= capacity:
            resident.add(name)
            used += nbytes[name]
    recurrent = [op.weight for op in graph.ops if op.trigger is Trigger.ENCODER_RECURRENT and op.weight]
    staged = {name for name in recurrent if nbytes[name] <= capacity}
    return Residency(level_name, frozenset(resident), frozenset(staged), capacity, used)
