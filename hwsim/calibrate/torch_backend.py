"""`hwsim calibrate --backend torch`: measure a GPU (or the CPU) through PyTorch and write a measured device file.

The measured file is a datasheet device file (`--like h100_sxm`) with the figures the benchmarks measure replaced
by `measured:` ones; every other figure keeps its source. What is measured and what it replaces:

| benchmark        | call (timed with a device synchronize around `number` back-to-back calls)  | replaces              |
|------------------|----------------------------------------------------------------------------|-----------------------|
| gemm DTYPE       | a[M, K] @ b[K, N] (bf16, fp16, float32 as TF32 when allowed)               | calibration table;    |
|                  |                                                                            | tiling.peak_fraction  |
|                  |                                                                            | (largest bf16 GEMM)   |
| copy             | dst.copy_(src), 256 MiB, on the device: 2 x bytes per copy                 | operand memory GB/s   |
| h2d / d2h        | pinned host <-> device copy of 64 MiB: bytes per copy                      | host_link bandwidth   |
| small_copy       | 4-byte host -> device copy + synchronize                                   | host_link.latency_s   |
| launch           | x.add_(1) on one element, eager: time per kernel                           | gpu.kernel_launch_s   |
| graph_kernel     | 64 of those kernels captured in one CUDA graph, replayed: time per kernel  | gpu.graph_kernel_s    |
| graph_launch     | a one-kernel CUDA graph replayed: time per replay                          | gpu.graph_launch_s    |

The GEMM rate of the largest bf16 shape over the datasheet peak becomes `peak_fraction` (the achievable fraction
the tensor-core model uses); the datasheet device's prediction for the same shapes is printed beside each
measurement so a regression is visible. On `--torch-device cpu` (tests) the CUDA-only rows are skipped.
"""

from __future__ import annotations

import copy
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from hwsim.calibrate.microbench import Measurement
from hwsim.errors import SpecError
from hwsim.io.outputs import atomic_write_text
from hwsim.io.paths import DEVICES_DIR, resolve_spec_path
from hwsim.reference.torch_rnnt import import_torch, synchronize
from hwsim.specs.device import validate_device_spec
from hwsim.specs.load import read_yaml
from hwsim.units import GIGA, MIB

LARGE = (8192, 8192, 8192)
DECODER_KN = ((640, 2560), (1280, 2560), (768, 3072), (1536, 6144))


@dataclass(frozen=True)
class TorchPlan:
    gemm_m: tuple[int, ...]
    gemm_kn: tuple[tuple[int, int], ...]
    large: tuple[int, int, int]
    dtypes: tuple[str, ...]
    copy_bytes: int
    link_bytes: int
    repeats: int
    min_repeat_s: float


FULL = TorchPlan((1, 4, 16, 64, 256, 1024), DECODER_KN, LARGE, ("bfloat16", "float16", "float32"),
                 256 * MIB, 64 * MIB, 7, 0.05)
QUICK = TorchPlan((1, 16), ((64, 128),), (256, 256, 256), ("float32",), 4 * MIB, 1 * MIB, 2, 0.002)


def time_torch(fn: Callable[[], object], device: Any, repeats: int, min_repeat_s: float) -> tuple[float, int]:
    """Median seconds per call over `repeats` repeats of `number` back-to-back calls, synchronized around each."""
    fn()
    synchronize(device)
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        synchronize(device)
        if time.perf_counter() - start >= min_repeat_s or number >= 1 << 16:
            break
        number *= 2
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        synchronize(device)
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples), repeats


def _measure(name: str, dtype: str, shape: tuple[int, ...], fn, work: float, unit: str, device, plan) -> Measurement:
    median, repeats = time_torch(fn, device, plan.repeats, plan.min_repeat_s)
    return Measurement(name, dtype, tuple(shape), repeats, median, work, unit)


def gemm_benchmarks(device: Any, plan: TorchPlan) -> list[Measurement]:
    torch = import_torch()
    torch.backends.cuda.matmul.allow_tf32 = True  # float32 GEMMs as TF32, as the device files model them
    shapes = [(m, k, n) for k, n in plan.gemm_kn for m in plan.gemm_m] + [plan.large]
    rows = []
    for dtype in plan.dtypes:
        for m, k, n in shapes:
            a = torch.randn((m, k), device=device).to(getattr(torch, dtype))
            b = torch.randn((k, n), device=device).to(getattr(torch, dtype))
            rows.append(_measure("gemm", dtype, (m, k, n), lambda a=a, b=b: a @ b, 2.0 * m * k * n, "flop",
                                 device, plan))
    return rows


def memory_benchmarks(device: Any, plan: TorchPlan) -> list[Measurement]:
    torch = import_torch()
    src = torch.empty(plan.copy_bytes // 4, device=device)
    dst = torch.empty_like(src)
    rows = [_measure("copy", "float32", (src.numel(),), lambda: dst.copy_(src), 2.0 * plan.copy_bytes, "byte",
                     device, plan)]
    if device.type != "cuda":
        return rows
    host = torch.empty(plan.link_bytes // 4, pin_memory=True)
    on_device = torch.empty(plan.link_bytes // 4, device=device)
    rows.append(_measure("h2d", "float32", (host.numel(),), lambda: on_device.copy_(host, non_blocking=True),
                         float(plan.link_bytes), "byte", device, plan))
    rows.append(_measure("d2h", "float32", (host.numel(),), lambda: host.copy_(on_device, non_blocking=True),
                         float(plan.link_bytes), "byte", device, plan))
    tiny_host, tiny = torch.zeros(1, pin_memory=True), torch.zeros(1, device=device)

    def small_copy() -> None:
        tiny.copy_(tiny_host)
        torch.cuda.synchronize(device)
    rows.append(_measure("small_copy", "float32", (1,), small_copy, 1.0, "call", device, plan))
    return rows


def launch_benchmarks(device: Any, plan: TorchPlan) -> list[Measurement]:
    torch = import_torch()
    x = torch.zeros(1, device=device)
    rows = [_measure("launch", "float32", (1,), lambda: x.add_(1), 1.0, "call", device, plan)]
    if device.type != "cuda":
        return rows
    kernels = 64
    many, one = torch.cuda.CUDAGraph(), torch.cuda.CUDAGraph()
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        x.add_(1)  # warm-up on a side stream before capture
    torch.cuda.current_stream().wait_stream(stream)
    with torch.cuda.graph(many):
        for _ in range(kernels):
            x.add_(1)
    with torch.cuda.graph(one):
        x.add_(1)
    rows.append(_measure("graph_kernel", "float32", (kernels,), many.replay, float(kernels), "call", device, plan))
    rows.append(_measure("graph_launch", "float32", (1,), one.replay, 1.0, "call", device, plan))
    return rows


def run_torch_suite(device: Any, plan: TorchPlan) -> list[Measurement]:
    return gemm_benchmarks(device, plan) + memory_benchmarks(device, plan) + launch_benchmarks(device, plan)


def _measured(value: float, how: str) -> dict[str, Any]:
    return {"value": float(value), "measured": how}


def _find(rows: list[Measurement], name: str, dtype: str | None = None, shape: tuple | None = None) -> Measurement | None:
    for row in rows:
        if row.benchmark == name and (dtype is None or row.dtype == dtype) and (shape is None or row.shape == shape):
            return row
    return None


def measured_document(like: str, name: str, facts: dict[str, Any], rows: list[Measurement],
                      plan: TorchPlan) -> dict[str, Any]:
    """The `like` device file with every figure this suite measures replaced (see the module table)."""
    doc = copy.deepcopy(read_yaml(resolve_spec_path(like, DEVICES_DIR, "device")))
    doc["name"], doc["description"] = name, f"{doc.get('description', like)}; measured by hwsim calibrate --backend torch"
    operand = doc["modelling"]["operand_memory"]["value"]
    level = next(level for level in doc["memory"] if level["name"] == operand)
    copy_row = _find(rows, "copy")
    level["bandwidth_gb_per_s"] = _measured(copy_row.rate_per_s / GIGA, f"device copy: {copy_row.describe()}")
    _measured_link(doc, rows)
    _measured_launch(doc, rows)
    _measured_peak_fraction(doc, rows, plan)
    doc["calibration"] = {"machine": facts, "measurements": [r.as_dict() for r in rows]}
    return doc


def _measured_link(doc: dict[str, Any], rows: list[Measurement]) -> None:
    h2d, d2h, small = _find(rows, "h2d"), _find(rows, "d2h"), _find(rows, "small_copy")
    if h2d is None or "host_link" not in doc:
        return
    slower = min(h2d, d2h, key=lambda r: r.rate_per_s)
    doc["host_link"]["bandwidth_gb_per_s"] = _measured(slower.rate_per_s / GIGA, f"slower direction of pinned "
                                                       f"copies: {slower.describe()}")
    doc["host_link"]["latency_s"] = _measured(small.median_s, f"4-byte copy + synchronize: {small.describe()}")


def _measured_launch(doc: dict[str, Any], rows: list[Measurement]) -> None:
    gpu = doc.get("gpu")
    if gpu is None:
        return
    launch = _find(rows, "launch")
    gpu["kernel_launch_s"] = _measured(launch.median_s, f"eager one-element add_: {launch.describe()}")
    kernel, graph = _find(rows, "graph_kernel"), _find(rows, "graph_launch")
    if kernel is not None:
        gpu["graph_kernel_s"] = _measured(kernel.median_s / kernel.work, f"per kernel of a replayed graph: "
                                          f"{kernel.describe()}")
        gpu["graph_launch_s"] = _measured(graph.median_s, f"one-kernel graph replay: {graph.describe()}")


def _measured_peak_fraction(doc: dict[str, Any], rows: list[Measurement], plan: TorchPlan) -> None:
    """Largest bf16 GEMM's rate / the datasheet bf16 peak of the first tensor-core engine (capped at 1)."""
    engine = doc["matrix_engines"][0]
    big = _find(rows, "gemm", "bfloat16", plan.large)
    pair = engine.get("precisions", {}).get("bf16xbf16")
    if big is None or "tiling" not in engine or pair is None or pair.get("support") != "native":
        return
    peak = (pair["ops_per_cycle"]["value"] * engine["cores"]["value"] * engine["arrays_per_core"]["value"]
            * engine["clock_hz"]["value"])
    fraction = min(1.0, big.rate_per_s / peak)
    engine["tiling"]["peak_fraction"] = _measured(fraction, f"{big.describe()} / datasheet bf16 peak "
                                                  f"{peak / 1e12:.1f} TFLOP/s")


def write_measured_device(path: str | Path, document: dict[str, Any]) -> None:
    """Validate, then write atomically (a file that would not load is never written)."""
    validate_device_spec(document, str(path))
    atomic_write_text(Path(path), yaml.safe_dump(document, sort_keys=False, width=120))


def machine_facts_torch(device: Any) -> dict[str, Any]:
    torch = import_torch()
    facts: dict[str, Any] = {"torch": str(torch.__version__), "torch_device": str(device)}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        facts.update({"gpu": str(props.name), "sms": int(props.multi_processor_count),
                      "memory_bytes": int(props.total_memory), "cuda": str(torch.version.cuda)})
    return facts


def require_gpu_like(like: str) -> None:
    doc = read_yaml(resolve_spec_path(like, DEVICES_DIR, "device"))
    if "gpu" not in doc:
        raise SpecError(None, "--like", "expected a GPU device file (one with a gpu section), e.g. h100_sxm", like)
