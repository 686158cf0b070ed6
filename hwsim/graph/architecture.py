"""build_graph: WorkloadSpec -> Graph, dispatching on the encoder kind and architecture (the layer builders append to
hwsim.graph.builder.GraphBuilder)."""

from __future__ import annotations

from hwsim.graph.builder import GraphBuilder
from hwsim.graph.conformer import build_conformer_encoder
from hwsim.graph.heads import build_bottleneck_output, build_joint
from hwsim.graph.lstm import build_blstm_encoder, build_lstm_predictor
from hwsim.graph.model import Graph
from hwsim.specs.workload import BlstmEncoderSpec, ConformerEncoderSpec, WorkloadSpec


def _build_encoder(b: GraphBuilder, spec: WorkloadSpec) -> tuple[int, int]:
    encoder = spec.encoder
    if isinstance(encoder, ConformerEncoderSpec):
        return build_conformer_encoder(b, encoder)
    if isinstance(encoder, BlstmEncoderSpec):
        reductions = {r.after_layer: r.factor for r in encoder.time_reduction}
        return build_blstm_encoder(b, encoder.input_dim, encoder.hidden_dim, encoder.num_layers, encoder.bidirectional,
                                   encoder.lstm_bias, encoder.frame_divisor, encoder.projection_dim, reductions)
    raise TypeError(f"no builder for encoder {type(encoder).__name__}")


def build_graph(spec: WorkloadSpec) -> Graph:
    """Expand a workload's hyper-parameters into its named tensors and ops."""
    b = GraphBuilder()
    encoder_dim, divisor = _build_encoder(b, spec)
    vocab = 0
    if spec.architecture == "rnnt":
        assert spec.predictor is not None and spec.joint is not None  # guaranteed by WorkloadSpec
        p = spec.predictor
        vocab = spec.joint.vocab_size
        predictor_dim = build_lstm_predictor(b, vocab, p.embed_dim, p.hidden_dim, p.num_layers, p.lstm_bias,
                                             p.projection_dim)
        build_joint(b, spec.joint, encoder_dim, predictor_dim, divisor)
    else:
        assert spec.output is not None
        vocab = spec.output.output_dim
        build_bottleneck_output(b, spec.output, encoder_dim, divisor)
    return Graph(name=spec.name, architecture=spec.architecture, tensors=tuple(b.tensors), ops=tuple(b.ops),
                 input_frame_step_s=spec.input_frame_step_s, encoder_frame_divisor=divisor, vocab_size=vocab)
