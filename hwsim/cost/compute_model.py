"""The compute-model seam: what a matrix engine's model answers, whatever the engine is.

A compute model turns one GEMM pass on one engine into cycles at the engine clock. The systolic array
(hwsim.cost.systolic.SystolicModel) is the one shipped today; a GPU tensor-core model or a CPU SIMD/AMX model
implements the same protocol, registers its `kind` in hwsim.cost.engine_select.COMPUTE_MODELS, and is named by
`matrix_engines[i].kind` in a device file. Nothing else changes: `hwsim.cost.gemm` adds memory, conversion,
output scaling, passes and overhead around it, and the simulator only ever sees the resulting segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Protocol

if TYPE_CHECKING:
    from hwsim.cost.hardware import Dataflow, MatrixEngine, Modelling


@dataclass(frozen=True)
class ArrayTime:
    """One pass of a GEMM on an engine.

    Attributes:
        cycles: engine cycles of one pass (the makespan over the engine's arrays).
        ideal_cycles: MACs / peak MACs per cycle (the roofline compute time of one pass).
        stream_cycles: cycles spent doing useful-shaped work (ideal + spatial under-use); the rest is pipeline.
        details: engine-specific breakdown for `hwsim gemm --json` (folds, fill/drain, ...).
    """

    cycles: float
    ideal_cycles: float
    stream_cycles: float
    clock_hz: float
    details: Mapping[str, object] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def seconds(self) -> float:
        return self.cycles / self.clock_hz


class ComputeModel(Protocol):
    """Cycles of (M x K) @ (K x N) on `engine` at `macs_per_pe` MACs per processing element per cycle."""

    def matmul(self, engine: "MatrixEngine", modelling: "Modelling", m: int, k: int, n: int, *,
               macs_per_pe: float, dataflow: "Dataflow") -> ArrayTime: ...
