"""Conformer encoder (conv2d sub-sampling front end + macaron conformer layers with local attention)."""

from __future__ import annotations

import math

from hwsim.graph.builder import GraphBuilder
from hwsim.graph.model import Component, GemmShape, Op, OpKind, Role, Tensor, Trigger
from hwsim.specs.workload import ConformerEncoderSpec, ConvSubsamplingSpec

ENC = Component.ENCODER
FRAMES = Trigger.ENCODER_FRAMES


def build_frontend(b: GraphBuilder, spec: ConvSubsamplingSpec, input_dim: int, model_dim: int) -> int:
    """Conv2d sub-sampling over (time, freq) then a dense projection to model_dim; returns the time divisor."""
    in_channels, freq, divisor = 1, input_dim, 1
    kh, kw = spec.kernel
    for i, out_channels in enumerate(spec.channels):
        divisor *= spec.stride[0]
        freq_in = freq
        freq = math.ceil(freq / spec.stride[1])
        prefix = f"encoder.frontend.conv{i}"
        kernel = b.add(Tensor(f"{prefix}.kernel", (kh, kw, in_channels, out_channels), Role.CONV, ENC,
                              ("time", "freq", "in", "out"), (0, 1, 2), (3,)))
        bias = b.vector(f"{prefix}.bias", out_channels, ENC, Role.BIAS)
        b.ops.append(Op(
            name=prefix, component=ENC, kind=OpKind.CONV2D, trigger=FRAMES, weight=kernel,
            gemm=GemmShape(freq, kh * kw * in_channels, out_channels), vector_ops_per_row=freq * out_channels,
            in_elements_per_row=spec.stride[0] * freq_in * in_channels,
            out_elements_per_row=freq * out_channels, frame_divisor=divisor, extra_weights=(bias,),
        ))
        b.norm(f"{prefix}.norm", freq * out_channels, ENC, FRAMES, divisor, with_stats=spec.norm == "batch_norm",
               param_dim=out_channels)
        b.elementwise(f"{prefix}.relu", freq * out_channels, ENC, FRAMES, vector_ops=freq * out_channels,
                      frame_divisor=divisor)
        in_channels = out_channels
    b.linear("encoder.frontend.projection", freq * in_channels, model_dim, ENC, FRAMES, True, divisor)
    return divisor


def _ffn(b: GraphBuilder, prefix: str, spec: ConformerEncoderSpec, div: int) -> None:
    d, hidden = spec.model_dim, spec.model_dim * spec.ffn_multiplier
    b.norm(f"{prefix}.norm", d, ENC, FRAMES, div)
    b.linear(f"{prefix}.ffn_in", d, hidden, ENC, FRAMES, spec.linear_bias, div, "w", "b")
    b.elementwise(f"{prefix}.swish", hidden, ENC, FRAMES, vector_ops=hidden, sfu_ops=hidden, frame_divisor=div,
                  kind=OpKind.ACTIVATION)
    b.linear(f"{prefix}.ffn_out", hidden, d, ENC, FRAMES, spec.linear_bias, div, "w", "b")
    b.elementwise(f"{prefix}.residual", d, ENC, FRAMES, vector_ops=2 * d, frame_divisor=div)


def _attention(b: GraphBuilder, prefix: str, spec: ConformerEncoderSpec, div: int) -> None:
    """Local self-attention: each frame attends to left + right context + itself."""
    d, heads = spec.model_dim, spec.num_heads
    head_dim, window = d // heads, spec.attention_left_context + spec.attention_right_context + 1
    b.norm(f"{prefix}.norm", d, ENC, FRAMES, div)
    for proj in ("query", "key", "value"):
        b.linear(f"{prefix}.{proj}", d, d, ENC, FRAMES, spec.linear_bias, div)
    b.ops.append(Op(name=f"{prefix}.scores", component=ENC, kind=OpKind.ATTENTION, trigger=FRAMES,
                    gemm=GemmShape(1, head_dim, window, heads), in_elements_per_row=2 * d,
                    out_elements_per_row=heads * window, frame_divisor=div))
    b.elementwise(f"{prefix}.softmax", heads * window, ENC, FRAMES, vector_ops=4 * heads * window,
                  sfu_ops=heads * window, frame_divisor=div, kind=OpKind.SOFTMAX)
    b.ops.append(Op(name=f"{prefix}.context", component=ENC, kind=OpKind.ATTENTION, trigger=FRAMES,
                    gemm=GemmShape(1, window, head_dim, heads), in_elements_per_row=heads * window + d,
                    out_elements_per_row=d, frame_divisor=div))
    b.linear(f"{prefix}.post", d, d, ENC, FRAMES, spec.linear_bias, div)
    b.elementwise(f"{prefix}.residual", d, ENC, FRAMES, vector_ops=d, frame_divisor=div)


def _conv_module(b: GraphBuilder, prefix: str, spec: ConformerEncoderSpec, div: int) -> None:
    """Pointwise (GLU) -> depthwise -> norm -> swish -> pointwise. Pointwise convs are dense matmuls."""
    d, k = spec.model_dim, spec.conv_kernel
    b.norm(f"{prefix}.norm", d, ENC, FRAMES, div)
    b.linear(f"{prefix}.pointwise_in", d, 2 * d, ENC, FRAMES, spec.linear_bias, div)
    b.elementwise(f"{prefix}.glu", d, ENC, FRAMES, vector_ops=d, sfu_ops=d, frame_divisor=div,
                  kind=OpKind.ACTIVATION, in_elements=2 * d)
    kernel = b.add(Tensor(f"{prefix}.depthwise.kernel", (k, d), Role.CONV, ENC, ("time", "out"), (0,), (1,)))
    bias = b.vector(f"{prefix}.depthwise.bias", d, ENC, Role.BIAS)
    b.ops.append(Op(name=f"{prefix}.depthwise", component=ENC, kind=OpKind.DEPTHWISE_CONV, trigger=FRAMES,
                    weight=kernel, vector_ops_per_row=2 * k * d + d, in_elements_per_row=d,
                    out_elements_per_row=d, frame_divisor=div, extra_weights=(bias,)))
    b.norm(f"{prefix}.conv_norm", d, ENC, FRAMES, div, with_stats=spec.conv_norm == "batch_norm")
    b.elementwise(f"{prefix}.swish", d, ENC, FRAMES, vector_ops=d, sfu_ops=d, frame_divisor=div,
                  kind=OpKind.ACTIVATION)
    b.linear(f"{prefix}.pointwise_out", d, d, ENC, FRAMES, spec.linear_bias, div)
    b.elementwise(f"{prefix}.residual", d, ENC, FRAMES, vector_ops=d, frame_divisor=div)


def build_conformer_encoder(b: GraphBuilder, spec: ConformerEncoderSpec) -> tuple[int, int]:
    """Append the encoder; returns (output dim, frame divisor)."""
    div = build_frontend(b, spec.frontend, spec.input_dim, spec.model_dim)
    for layer in range(spec.num_layers):
        prefix = f"encoder.layers.{layer}"
        _ffn(b, f"{prefix}.ffn_start", spec, div)
        _attention(b, f"{prefix}.attention", spec, div)
        _conv_module(b, f"{prefix}.conv", spec, div)
        _ffn(b, f"{prefix}.ffn_end", spec, div)
        b.norm(f"{prefix}.final_norm", spec.model_dim, ENC, FRAMES, div)
    return spec.model_dim, div
