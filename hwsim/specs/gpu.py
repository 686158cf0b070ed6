"""Cross-field checks of a GPU device file: what a tensor-core engine needs before the cost model can price it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hwsim.errors import SpecError

if TYPE_CHECKING:
    from hwsim.specs.device import DeviceSpec

SOURCED = "{value: ..., source: ...} or {value: ..., assumption: ...}"


def check_gpu_spec(spec: "DeviceSpec", path: Path | str) -> None:
    """A tensor_core engine needs `tiling` and the file a `gpu.kernel_launch_s`; tiling only on tensor cores;
    a CUDA-graphs default needs the graph figures; peak_fraction is a fraction."""
    gpu_engines = [i for i, e in enumerate(spec.matrix_engines) if e.kind == "tensor_core"]
    for i, engine in enumerate(spec.matrix_engines):
        if engine.kind == "tensor_core" and engine.tiling is None:
            raise SpecError(path, f"matrix_engines[{i}].tiling", "expected a tiling section {tile_m, tile_n, "
                            "min_tile_m, tiles_per_sm, peak_fraction} for kind tensor_core, got nothing")
        if engine.kind != "tensor_core" and engine.tiling is not None:
            raise SpecError(path, f"matrix_engines[{i}].tiling", "expected no tiling for kind "
                            f"{engine.kind} (tiling is for kind tensor_core)", "a tiling section")
        if engine.tiling is not None and engine.tiling.peak_fraction.value > 1:
            raise SpecError(path, f"matrix_engines[{i}].tiling.peak_fraction.value", "expected a fraction in (0, 1]",
                            engine.tiling.peak_fraction.value)
    if not gpu_engines:
        return
    gpu = spec.gpu
    if gpu is None or gpu.kernel_launch_s is None:
        raise SpecError(path, "gpu.kernel_launch_s", f"expected a kernel launch latency {SOURCED} for a device "
                        "with tensor_core engines, got nothing")
    if gpu.cuda_graphs.value:
        for key in ("graph_kernel_s", "graph_launch_s"):
            if getattr(gpu, key) is None:
                raise SpecError(path, f"gpu.{key}", f"expected {SOURCED} because gpu.cuda_graphs is true, got nothing")
