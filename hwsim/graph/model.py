"""The workload graph: tensors (what is stored) and ops (what is computed), shared by size, cost and sim.

An op knows its work as a function of how many rows it processes in one invocation, so the same graph
serves a whole-utterance encoder (rows = encoder frames), a recurrent step (rows = 1, repeated per
frame) and a decoder call (rows = live hypotheses).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum


class Component(str, Enum):
    ENCODER = "encoder"
    PREDICTOR = "predictor"
    JOINT = "joint"
    OTHER = "other"


class Role(str, Enum):
    WEIGHT = "weight"          # matmul / 1x1-conv weights
    BIAS = "bias"
    NORM = "norm"              # layer/batch-norm scale and offset
    EMBEDDING = "embedding"    # lookup tables
    CONV = "conv"              # spatial/depthwise convolution kernels
    STATS = "stats"            # non-trainable statistics (batch-norm moving mean/variance)


class OpKind(str, Enum):
    MATMUL = "matmul"                  # activations x weight tensor
    CONV2D = "conv2d"                  # im2col GEMM over a weight kernel
    ATTENTION = "attention"            # activation x activation batched GEMM (no weight)
    DEPTHWISE_CONV = "depthwise_conv"  # per-channel MACs on the vector unit
    ELEMENTWISE = "elementwise"        # adds, multiplies, residuals
    ACTIVATION = "activation"          # transcendental (sigmoid/tanh/exp/swish) on the special-function unit
    NORM = "norm"                      # layer/batch norm
    SOFTMAX = "softmax"                # (log-)softmax over a row
    LOOKUP = "lookup"                  # embedding gather


class Trigger(str, Enum):
    """When an op runs and what its `rows` are."""

    ENCODER_FRAMES = "encoder_frames"        # once per utterance (or chunk), rows = frames at the op's rate
    ENCODER_RECURRENT = "encoder_recurrent"  # once per frame, sequentially, rows = 1
    PREDICTION_CALL = "prediction_call"      # once per prediction-network call, rows = hypotheses in the call
    JOINT_CALL = "joint_call"                # once per joint call, rows = (hypothesis, frame) pairs scored


@dataclass(frozen=True)
class Tensor:
    """A stored parameter tensor.

    Attributes:
        axes: one name per dimension, e.g. ("in", "out").
        contract_axes: indices of axes summed over by the op that uses it (a scale is shared along them).
        out_axes: indices of output-channel axes (one scale per output channel in per-channel quantization).
    """

    name: str
    shape: tuple[int, ...]
    role: Role
    component: Component
    axes: tuple[str, ...]
    contract_axes: tuple[int, ...]
    out_axes: tuple[int, ...]

    @property
    def params(self) -> int:
        return math.prod(self.shape)

    def __post_init__(self) -> None:
        if len(self.axes) != len(self.shape):
            raise ValueError(f"{self.name}: {len(self.axes)} axis names for shape {self.shape}")
        if any(d <= 0 for d in self.shape):
            raise ValueError(f"{self.name}: non-positive dimension in shape {self.shape}")


@dataclass(frozen=True)
class GemmShape:
    """Per-row GEMM: (rows*m_per_row x k) @ (k x n), repeated `batch` times (heads, directions)."""

    m_per_row: int
    k: int
    n: int
    batch: int = 1

    def m(self, rows: int) -> int:
        return rows * self.m_per_row


@dataclass(frozen=True)
class Op:
    """One computation of the model.

    Attributes:
        weight: name of the parameter tensor it multiplies by (None for activation-only ops).
        gemm: GEMM shape per row (None when the op is not a GEMM).
        vector_ops_per_row: element-wise multiply/add work on the vector unit per row (ops, not MACs).
        sfu_ops_per_row: transcendental evaluations per row (sigmoid, tanh, exp, ...).
        in_elements_per_row / out_elements_per_row: activation elements read / written per row.
        frame_divisor: encoder ops run at input frames / frame_divisor (sub-sampling).
        extra_weights: other tensors read by the op (biases, norm scales), counted in its bytes.
    """

    name: str
    component: Component
    kind: OpKind
    trigger: Trigger
    weight: str | None = None
    gemm: GemmShape | None = None
    vector_ops_per_row: int = 0
    sfu_ops_per_row: int = 0
    in_elements_per_row: int = 0
    out_elements_per_row: int = 0
    frame_divisor: int = 1
    extra_weights: tuple[str, ...] = ()

    def encoder_rows(self, frames: int) -> int:
        """Rows of one whole-utterance invocation for `frames` input frames."""
        return math.ceil(frames / self.frame_divisor)

    def invocations(self, frames: int) -> int:
        """Sequential invocations of an encoder op over an utterance (1 unless recurrent)."""
        if self.trigger is Trigger.ENCODER_RECURRENT:
            return math.ceil(frames / self.frame_divisor)
        return 1

    def rows_per_invocation(self, frames: int) -> int:
        if self.trigger is Trigger.ENCODER_RECURRENT:
            return 1
        return self.encoder_rows(frames)

    def macs(self, rows: int) -> int:
        """Multiply-accumulates of one invocation over `rows` rows (GEMM or depthwise)."""
        if self.gemm is not None:
            return self.gemm.m(rows) * self.gemm.k * self.gemm.n * self.gemm.batch
        if self.kind is OpKind.DEPTHWISE_CONV:
            return rows * self.vector_ops_per_row // 2
        return 0

    def flops(self, rows: int) -> int:
        """All arithmetic ops of one invocation: 2 per MAC plus vector and special-function work."""
        gemm_ops = 2 * self.gemm.m(rows) * self.gemm.k * self.gemm.n * self.gemm.batch if self.gemm else 0
        return gemm_ops + rows * (self.vector_ops_per_row + self.sfu_ops_per_row)

    def activation_elements(self, rows: int) -> int:
        """Activation elements read plus written by one invocation."""
        return rows * (self.in_elements_per_row + self.out_elements_per_row)


@dataclass(frozen=True)
class Graph:
    """A model: its tensors (by name, in build order) and ops (in execution order within a component)."""

    name: str
    architecture: str
    tensors: tuple[Tensor, ...]
    ops: tuple[Op, ...]
    input_frame_step_s: float
    encoder_frame_divisor: int
    vocab_size: int
    _by_name: dict[str, Tensor] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        names = [t.name for t in self.tensors]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate tensor names: {duplicates}")
        self._by_name.update({t.name: t for t in self.tensors})
        for op in self.ops:
            for ref in (op.weight, *op.extra_weights):
                if ref is not None and ref not in self._by_name:
                    raise ValueError(f"op {op.name} refers to unknown tensor {ref}")

    def tensor(self, name: str) -> Tensor:
        return self._by_name[name]

    @property
    def total_params(self) -> int:
        return sum(t.params for t in self.tensors)

    def params_by_component(self) -> dict[Component, int]:
        totals = {c: 0 for c in Component}
        for t in self.tensors:
            totals[t.component] += t.params
        return totals

    def ops_of(self, component: Component) -> tuple[Op, ...]:
        return tuple(op for op in self.ops if op.component is component)

    def ops_triggered_by(self, trigger: Trigger) -> tuple[Op, ...]:
        return tuple(op for op in self.ops if op.trigger is trigger)

    @property
    def has_decoder(self) -> bool:
        return any(op.trigger is Trigger.PREDICTION_CALL for op in self.ops)
