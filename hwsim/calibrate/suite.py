"""Which micro-benchmarks `hwsim calibrate` runs, and how much work each call does.

| benchmark         | call                                             | work per call          |
|-------------------|--------------------------------------------------|------------------------|
| gemm              | a[M, K] @ b[K, N]                                | 2 M K N flop           |
| copy              | np.copyto(dst, src), src larger than the L3      | 2 x nbytes (read+write)|
| scale_add         | dst = src * s; dst += other (numpy's "triad")    | 5 x nbytes (2 passes)  |
| sigmoid/tanh/exp  | the reference LSTM's formulas, out= preallocated | elements               |
| argpartition      | top-4 of each row (np.argpartition, axis -1)     | rows                   |
| argsort           | full sort of each row                            | rows                   |
| matmul_call       | (1 x 8) @ (8 x 8) float32: per-call overhead     | 1 call                 |
| loop_iteration    | one Python loop iteration doing x += 1 on 8 elts | 1 call                 |
| candidate         | beam-search bookkeeping: 8 hypotheses x (4 label | candidates (40)        |
|                   | + 1 blank) hypothesis records (labels, score,    |                        |
|                   | state, frame, in_frame), log-add merge by label  |                        |
|                   | history, sort by score, prune to 8               |                        |

GEMM shapes are the IBM RNN-T's: K = 340 (encoder layer 0 input), 640 (recurrent), 768 (predictor),
1280 (encoder layers 1-5 input); N = 2560 (4 x 640 encoder gates), 3072 (4 x 768 predictor gates); M is the
number of rows per call (1-16 in beam search, T frames in the encoder).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterator

import numpy as np

from hwsim.calibrate.microbench import Measurement, time_call
from hwsim.units import MIB, OPS_PER_MAC

GEMM_KN = ((340, 2560), (640, 2560), (1280, 2560), (768, 3072))
TOPK = 4


@dataclass(frozen=True)
class SuitePlan:
    """Sizes and repeats: `quick` keeps a run under ~10 s (tests), the full run about a minute."""

    gemm_m: tuple[int, ...]
    gemm_kn: tuple[tuple[int, int], ...]
    gemm_dtypes: tuple[str, ...]
    stream_bytes: int
    elementwise_sizes: tuple[int, ...]
    sort_rows: tuple[int, ...]
    sort_lengths: tuple[int, ...]
    repeats: int
    min_repeat_s: float


FULL = SuitePlan(gemm_m=(1, 4, 16, 64, 256), gemm_kn=GEMM_KN, gemm_dtypes=("float32", "float64"),
                 stream_bytes=256 * MIB, elementwise_sizes=(4 * 2560, 1 << 20), sort_rows=(1, 4, 16),
                 sort_lengths=(46, 16384), repeats=7, min_repeat_s=0.02)
QUICK = SuitePlan(gemm_m=(1, 16, 256), gemm_kn=((640, 2560), (768, 3072)), gemm_dtypes=("float32", "float64"),
                  stream_bytes=32 * MIB, elementwise_sizes=(1 << 18,), sort_rows=(1, 16), sort_lengths=(46, 16384),
                  repeats=3, min_repeat_s=0.003)


@dataclass(frozen=True)
class Bench:
    benchmark: str
    dtype: str
    shape: tuple[int, ...]
    work: float
    work_unit: str
    make: Callable[[], Callable[[], object]]  # allocates operands, returns the timed call


def sigmoid(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Logistic function as the reference LSTM computes it: 0.5 (1 + tanh(x / 2)), overflow-free."""
    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _gemm(m: int, k: int, n: int, dtype: str) -> Callable[[], object]:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    out = np.empty((m, n), dtype)
    return lambda: np.matmul(a, b, out=out)


def _gemm_onnxruntime(m: int, k: int, n: int, dtype: str) -> Callable[[], object]:
    """a[M, K] @ b[K, N] as a one-node onnxruntime session (b an initializer, as weights are), single-threaded."""
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((k, n)).astype(np.float32)
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["y"])], "gemm",
                              [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
                              [numpy_helper.from_array(b, "b")])
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
                                           .SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = {"a": a}
    return lambda: session.run(None, feed)


GEMMS = {"numpy": _gemm, "onnxruntime": _gemm_onnxruntime}


def _stream(nbytes: int, kind: str) -> Callable[[], object]:
    src = np.ones(nbytes // 8)
    other, dst = np.ones_like(src), np.empty_like(src)
    if kind == "copy":
        return lambda: np.copyto(dst, src)
    return lambda: (np.multiply(src, 3.0, out=dst), np.add(dst, other, out=dst))


def _elementwise(size: int, kind: str) -> Callable[[], object]:
    x = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    out = np.empty_like(x)
    if kind == "sigmoid":
        return lambda: sigmoid(x, out)
    return lambda: getattr(np, kind)(x, out=out)


def _sort(rows: int, length: int, kind: str) -> Callable[[], object]:
    x = np.random.default_rng(0).standard_normal((rows, length)).astype(np.float32)
    if kind == "argpartition":
        return lambda: np.argpartition(x, length - TOPK, axis=-1)
    return lambda: np.argsort(x, axis=-1)


def _loop_iteration() -> Callable[[], object]:
    x = np.zeros(8, np.float32)

    def run() -> None:
        for _ in range(100):
            x.__iadd__(1.0)
    return run


@dataclass(frozen=True)
class _Candidate:
    """A typical Python hypothesis record: label history, score, decoder-state reference, alignment position."""

    labels: tuple[int, ...]
    score: float
    state: object
    frame: int
    in_frame: int


CANDIDATE_PARENTS, CANDIDATE_LABELS = 8, TOPK


def _candidates() -> Callable[[], object]:
    """Generic hypothesis bookkeeping of one beam-search step: per parent, k label extensions (new records with
    an extended label tuple) and one blank extension (`dataclasses.replace`, the usual idiom), log-add merge of
    equal label histories, sort by score, prune to the beam."""
    rng = np.random.default_rng(0)
    state = np.zeros(8, np.float32)
    parents = [_Candidate(tuple(int(v) for v in rng.integers(1, 46, size=12)), float(-i), state, 0, 0)
               for i in range(CANDIDATE_PARENTS)]
    scores = rng.standard_normal((CANDIDATE_PARENTS, CANDIDATE_LABELS + 1)).astype(np.float32)
    labels = rng.integers(1, 46, size=(CANDIDATE_PARENTS, CANDIDATE_LABELS))

    def run() -> list[_Candidate]:
        pool: dict[tuple[int, ...], _Candidate] = {}
        for i, parent in enumerate(parents):
            row = scores[i]
            extended = [_Candidate(parent.labels + (int(labels[i, j]),), parent.score + float(row[j + 1]), state,
                                   parent.frame, parent.in_frame + 1) for j in range(CANDIDATE_LABELS)]
            for cand in [replace(parent, score=parent.score + float(row[0]), frame=parent.frame + 1, in_frame=0)] + extended:
                other = pool.get(cand.labels)
                pool[cand.labels] = cand if other is None else replace(other, score=float(np.logaddexp(other.score, cand.score)))
        return sorted(pool.values(), key=lambda c: c.score, reverse=True)[:CANDIDATE_PARENTS]
    return run


def benches(plan: SuitePlan, runtime: str = "numpy") -> Iterator[Bench]:
    """The suite; with runtime 'onnxruntime' the GEMMs and the per-call overhead are onnxruntime sessions
    (float32 only), the element-wise, copy and bookkeeping figures stay numpy's (the search loop is Python)."""
    gemm = GEMMS[runtime]
    for dtype in plan.gemm_dtypes if runtime == "numpy" else ("float32",):
        for k, n in plan.gemm_kn:
            for m in plan.gemm_m:
                yield Bench("gemm", dtype, (m, k, n), OPS_PER_MAC * m * k * n, "flop",
                            lambda m=m, k=k, n=n, d=dtype: gemm(m, k, n, d))
    elements = plan.stream_bytes // 8
    yield Bench("copy", "float64", (elements,), 2 * plan.stream_bytes, "byte", lambda: _stream(plan.stream_bytes, "copy"))
    yield Bench("scale_add", "float64", (elements,), 5 * plan.stream_bytes, "byte",
                lambda: _stream(plan.stream_bytes, "scale_add"))
    for kind in ("sigmoid", "tanh", "exp"):
        for size in plan.elementwise_sizes:
            yield Bench(kind, "float32", (size,), size, "element", lambda s=size, k=kind: _elementwise(s, k))
    for kind in ("argpartition", "argsort"):
        for length in plan.sort_lengths:
            for rows in plan.sort_rows:
                yield Bench(kind, "float32", (rows, length), rows, "row", lambda r=rows, n=length, k=kind: _sort(r, n, k))
    yield Bench("matmul_call", "float32", (1, 8, 8), 1, "call", lambda: gemm(1, 8, 8, "float32"))
    yield Bench("loop_iteration", "float32", (8,), 100, "call", _loop_iteration)
    yield Bench("candidate", "float32", (CANDIDATE_PARENTS, CANDIDATE_LABELS + 1),
                CANDIDATE_PARENTS * (CANDIDATE_LABELS + 1), "candidate", _candidates)


def run_bench(bench: Bench, plan: SuitePlan) -> Measurement:
    call = bench.make()
    timing = time_call(call, plan.repeats, plan.min_repeat_s)
    return Measurement(bench.benchmark, bench.dtype, bench.shape, timing.repeats, timing.median_s,
                       bench.work, bench.work_unit, timing.spread_pct)


NOISE_GEMM = (64, 640, 2560)


def noise_floor_pct(plan: SuitePlan) -> float:
    """This machine's timing noise right now: the spread of 3 x `repeats` timings of one mid-size GEMM."""
    return time_call(_gemm(*NOISE_GEMM, "float32"), 3 * plan.repeats, plan.min_repeat_s).spread_pct


def run_suite(plan: SuitePlan, progress: bool = True, runtime: str = "numpy") -> list[Measurement]:
    """Run every benchmark of `plan`, showing a tqdm bar on stderr."""
    from tqdm import tqdm

    todo = list(benches(plan, runtime))
    bar = tqdm(todo, desc="calibrate", unit="bench", disable=not progress, leave=False)
    results = []
    for bench in bar:
        bar.set_postfix_str(f"{bench.benchmark} {bench.dtype} {'x'.join(map(str, bench.shape))}")
        results.append(run_bench(bench, plan))
    return results
