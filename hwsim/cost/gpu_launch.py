"""GPU kernel launches: eager (every kernel launched by the host) or captured in CUDA graphs.

    mode        | per kernel (modelling.overhead_s += ) | per network call (modelling.dispatch_latency_s += )
    eager       | gpu.kernel_launch_s                    | 0 (its kernels' launches are already charged)
    cuda graphs | gpu.graph_kernel_s                     | gpu.graph_launch_s (one graph launch per call)

Every GEMM and every unfused element-wise op is one kernel, so eager launches are paid on every op of every
decoder step; CUDA graphs replace them by one graph launch per call. Launches are charged in series with the
kernel (an upper bound: a host that runs ahead of the GPU hides launches behind longer kernels).
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class GpuLaunch:
    """Launch figures of a GPU file, and the modelling values the file gave before launches were added."""

    kernel_launch_s: float
    graph_kernel_s: float | None
    graph_launch_s: float | None
    cuda_graphs: bool
    file_overhead_s: float
    file_dispatch_s: float

    @property
    def per_kernel_s(self) -> float:
        return self.graph_kernel_s if self.cuda_graphs else self.kernel_launch_s

    @property
    def per_call_s(self) -> float:
        return self.graph_launch_s if self.cuda_graphs else 0.0


def launch_modelling(modelling, launch: GpuLaunch):
    """The device's Modelling with the launch mode's per-kernel and per-call latency added to the file's."""
    return replace(modelling, overhead_s=launch.file_overhead_s + launch.per_kernel_s,
                   dispatch_latency_s=launch.file_dispatch_s + launch.per_call_s)
