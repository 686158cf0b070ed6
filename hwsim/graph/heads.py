"""Output heads: the RNN-T joint network and the hybrid model's FC bottleneck + HMM-state output."""

from __future__ import annotations

from hwsim.graph.builder import GraphBuilder
from hwsim.graph.model import Component, OpKind, Trigger
from hwsim.specs.workload import BottleneckOutputSpec, JointSpec

JOINT = Component.JOINT

# Vector-unit work per element of the joint's non-linearity: (plain vector ops, transcendental evaluations).
#   tanh     0, 1   one special-function evaluation
#   sigmoid  0, 1   one special-function evaluation (as the LSTM gates count theirs)
#   relu     1, 0   max(x, 0): one compare-select, no transcendental
#   none     0, 0
JOINT_ACTIVATION_WORK: dict[str, tuple[int, int]] = {"tanh": (0, 1), "sigmoid": (0, 1), "relu": (1, 0), "none": (0, 0)}


def build_joint(b: GraphBuilder, spec: JointSpec, encoder_dim: int, predictor_dim: int, frame_divisor: int) -> None:
    """Joint network. The encoder projection runs once per encoder frame and the predictor projection once
    per prediction call (both cacheable); combine + output + log-softmax run for every scored hypothesis."""
    j, v = spec.hidden_dim, spec.vocab_size
    b.linear("joint.enc_proj", encoder_dim, j, JOINT, Trigger.ENCODER_FRAMES, spec.bias, frame_divisor)
    b.linear("joint.pred_proj", predictor_dim, j, JOINT, Trigger.PREDICTION_CALL, spec.bias)
    vector, sfu = JOINT_ACTIVATION_WORK[spec.activation]
    b.elementwise("joint.combine", j, JOINT, Trigger.JOINT_CALL, vector_ops=j * (1 + vector), sfu_ops=j * sfu,
                  in_elements=2 * j)
    b.linear("joint.out", j, v, JOINT, Trigger.JOINT_CALL, spec.bias)
    b.elementwise("joint.log_softmax", v, JOINT, Trigger.JOINT_CALL, vector_ops=4 * v, sfu_ops=v,
                  kind=OpKind.SOFTMAX)


def build_bottleneck_output(b: GraphBuilder, spec: BottleneckOutputSpec, encoder_dim: int, frame_divisor: int) -> None:
    """FC bottleneck then FC to the HMM states and a softmax, all once per frame (part of the acoustic model)."""
    enc, frames = Component.ENCODER, Trigger.ENCODER_FRAMES
    b.linear("encoder.output.bottleneck", encoder_dim, spec.bottleneck_dim, enc, frames, spec.bias, frame_divisor)
    b.linear("encoder.output.states", spec.bottleneck_dim, spec.output_dim, enc, frames, spec.bias, frame_divisor)
    b.elementwise("encoder.output.log_softmax", spec.output_dim, enc, frames, vector_ops=4 * spec.output_dim,
                  sfu_ops=spec.output_dim, frame_divisor=frame_divisor, kind=OpKind.SOFTMAX)
