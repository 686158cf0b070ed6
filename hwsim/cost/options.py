"""RunOptions: where the decoder's pieces run, what crosses the host link, and the numerics/fusion choices."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from hwsim.cost.engine_select import MatmulPrecision, check_compute_as
from hwsim.errors import SpecError

if TYPE_CHECKING:
    from hwsim.cost.hardware import Device


class Placement(str, enum.Enum):
    ACCELERATOR = "accelerator"
    HOST = "host"


class Fusion(str, enum.Enum):
    NONE = "none"            # every element-wise op is its own kernel and memory round trip (eager numpy)
    PER_LAYER = "per_layer"  # element-wise ops fused into their layer's kernel (XLA / a fusing compiler)


@dataclass(frozen=True)
class RunOptions:
    """Mapping choices of one run.

    Attributes:
        joint_placement: where the joint network's GEMMs run.
        softmax_placement: where log-softmax over the vocabulary runs.
        topk_placement: where the per-hypothesis top-k runs; on the accelerator only the top-k (value, index)
            pairs cross the host link, otherwise the full log-probabilities (or logits) do.
        topk: candidates kept per hypothesis.
        residency: keep weights resident in the device's on-chip memory when they fit.
        matmul_precision: float32 GEMMs on bf16 engines run 1, 3 or 6 bf16 passes (default, high, highest).
        search_on: where the beam search (log-softmax, top-k, bookkeeping, the step loop) runs; None = the
            device file's `modelling.search_on`. On the accelerator nothing crosses the link per step.
        fusion: element-wise fusion; None = the device file's `modelling.elementwise_fusion`.
        cuda_graphs: GPU kernels launched from CUDA graphs (hwsim.cost.gpu_launch); None = the device file's
            `gpu.cuda_graphs`.
        compute_as: a pair ('bf16xbf16') that pairs the device lacks are computed as (--compute-as); None = such a
            pair is an error naming the nearest pair the device runs.
    """

    joint_placement: Placement = Placement.ACCELERATOR
    softmax_placement: Placement = Placement.HOST
    topk_placement: Placement = Placement.HOST
    topk: int = 4
    residency: bool = True
    matmul_precision: MatmulPrecision = MatmulPrecision.DEFAULT
    search_on: Placement | None = None
    fusion: Fusion | None = None
    cuda_graphs: bool | None = None
    compute_as: str | None = None

    def __post_init__(self) -> None:
        if self.topk_placement is Placement.ACCELERATOR and self.softmax_placement is Placement.HOST:
            raise SpecError(None, "--topk-on", "expected --softmax-on accelerator when top-k runs on the accelerator "
                            "(scores need the log-normaliser of the full vocabulary)", "accelerator")
        if self.softmax_placement is Placement.ACCELERATOR and self.joint_placement is Placement.HOST:
            raise SpecError(None, "--softmax-on", "expected --joint-on accelerator for an accelerator log-softmax",
                            "accelerator")
        if self.topk < 1:
            raise SpecError(None, "--topk", "expected an integer >= 1", self.topk)

    @property
    def transfers_topk(self) -> bool:
        return self.topk_placement is Placement.ACCELERATOR

    @property
    def search_on_accelerator(self) -> bool:
        return self.search_on is Placement.ACCELERATOR

    @property
    def fuse_elementwise(self) -> bool:
        return self.fusion is Fusion.PER_LAYER

    def resolve(self, device: "Device") -> "RunOptions":
        """Fill the device's defaults; search on the accelerator puts log-softmax and top-k there too."""
        knobs = device.modelling
        search = self.search_on or (Placement.ACCELERATOR if knobs.search_on_accelerator else Placement.HOST)
        fusion = self.fusion or (Fusion.PER_LAYER if knobs.fuse_elementwise else Fusion.NONE)
        if self.compute_as is not None:
            check_compute_as(device, self.compute_as)
        resolved = replace(self, search_on=search, fusion=fusion)
        if search is Placement.ACCELERATOR:
            if self.joint_placement is Placement.HOST:
                raise SpecError(None, "--search-on", "expected --joint-on accelerator when the search runs on the "
                                "accelerator (its scores come from the joint)", search.value)
            resolved = replace(resolved, softmax_placement=Placement.ACCELERATOR, topk_placement=Placement.ACCELERATOR)
        return resolved
