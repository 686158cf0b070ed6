"""LSTM layers: (bi/uni)directional encoder stacks and the RNN-T prediction network.

Each direction has w_ih [in, 4H], w_hh [R, 4H] and its biases (two vectors as in PyTorch/cuDNN, one, or
none; the workload's `lstm_bias` says which). The input projection of an encoder layer is batched over
all frames; the recurrent projection is one sequential step per frame. With a projection (LSTMP, as
torch.nn.LSTM(proj_size=P)), each step also projects h through w_proj [H, P] and R = P, else R = H.

A time reduction after layer l stacks `factor` consecutive frames of its output: a reshape, no op of its own;
later layers read factor x the width at 1 / factor of the frames (their ops' frame_divisor grows).
"""

from __future__ import annotations

from hwsim.graph.builder import GraphBuilder
from hwsim.graph.model import Component, GemmShape, Op, OpKind, Role, Trigger

BIAS_VECTORS = {"two": ("b_ih", "b_hh"), "one": ("b",), "none": ()}


def _gate_work(hidden: int) -> tuple[int, int]:
    """(vector ops, SFU ops) per row of one cell update.

    Vector: add input + recurrent projections (4H), biases (4H per bias vector, folded in here as 4H),
    c = f*c + i*g (3H), h = o*tanh(c) (1H). SFU: 3 sigmoids + tanh(g) over 4H, tanh(c) over H.
    """
    return 12 * hidden, 5 * hidden


def lstm_cell(b: GraphBuilder, prefix: str, in_dim: int, hidden: int, component: Component, bias: str,
              input_trigger: Trigger, step_trigger: Trigger, frame_divisor: int = 1,
              projection: int | None = None) -> int:
    """One LSTM direction: its tensors, the input-projection op and the per-step recurrent ops; returns its
    output width (the projection's, if any)."""
    recurrent = projection or hidden
    w_ih = b.matrix(f"{prefix}.w_ih", in_dim, 4 * hidden, component)
    w_hh = b.matrix(f"{prefix}.w_hh", recurrent, 4 * hidden, component)
    biases = tuple(b.vector(f"{prefix}.{name}", 4 * hidden, component, Role.BIAS) for name in BIAS_VECTORS[bias])
    b.ops.append(Op(name=f"{prefix}.input_proj", component=component, kind=OpKind.MATMUL, trigger=input_trigger,
                    weight=w_ih, gemm=GemmShape(1, in_dim, 4 * hidden), in_elements_per_row=in_dim,
                    out_elements_per_row=4 * hidden, frame_divisor=frame_divisor))
    b.ops.append(Op(name=f"{prefix}.recurrent_proj", component=component, kind=OpKind.MATMUL, trigger=step_trigger,
                    weight=w_hh, gemm=GemmShape(1, recurrent, 4 * hidden), in_elements_per_row=recurrent,
                    out_elements_per_row=4 * hidden, frame_divisor=frame_divisor))
    vector_ops, sfu_ops = _gate_work(hidden)
    b.elementwise(f"{prefix}.gates", hidden, component, step_trigger, vector_ops=vector_ops, sfu_ops=sfu_ops,
                  frame_divisor=frame_divisor, kind=OpKind.ACTIVATION, extra_weights=biases,
                  in_elements=8 * hidden + hidden)
    if projection is not None:
        w_proj = b.matrix(f"{prefix}.w_proj", hidden, projection, component)
        b.ops.append(Op(name=f"{prefix}.output_proj", component=component, kind=OpKind.MATMUL, trigger=step_trigger,
                        weight=w_proj, gemm=GemmShape(1, hidden, projection), in_elements_per_row=hidden,
                        out_elements_per_row=projection, frame_divisor=frame_divisor))
    return recurrent


def build_blstm_encoder(b: GraphBuilder, input_dim: int, hidden: int, num_layers: int, bidirectional: bool,
                        bias: str, frame_divisor: int, projection: int | None = None,
                        reductions: dict[int, int] | None = None) -> tuple[int, int]:
    """Stacked (bi)LSTM encoder; returns (output dim, input frames per output frame).

    `reductions` maps a layer index to the stacking factor applied to its output (time reduction)."""
    directions = ("fwd", "bwd") if bidirectional else ("fwd",)
    in_dim, divisor, out_dim = input_dim, frame_divisor, input_dim
    for layer in range(num_layers):
        for direction in directions:
            width = lstm_cell(b, f"encoder.layers.{layer}.{direction}", in_dim, hidden, Component.ENCODER, bias,
                              Trigger.ENCODER_FRAMES, Trigger.ENCODER_RECURRENT, divisor, projection)
        out_dim = width * len(directions)
        factor = (reductions or {}).get(layer, 1)  # stack `factor` frames of this layer's output
        in_dim, divisor = out_dim * factor, divisor * factor
    return out_dim, divisor


def build_lstm_predictor(b: GraphBuilder, vocab: int, embed: int, hidden: int, num_layers: int, bias: str,
                         projection: int | None = None) -> int:
    """Embedding lookup + stacked LSTM run once per prediction-network call; returns its output dim."""
    table = b.add_embedding("predictor.embedding", vocab, embed, Component.PREDICTOR)
    b.ops.append(Op(name="predictor.embedding", component=Component.PREDICTOR, kind=OpKind.LOOKUP,
                    trigger=Trigger.PREDICTION_CALL, weight=table, in_elements_per_row=1,
                    out_elements_per_row=embed))
    in_dim = embed
    for layer in range(num_layers):
        in_dim = lstm_cell(b, f"predictor.layers.{layer}", in_dim, hidden, Component.PREDICTOR, bias,
                           Trigger.PREDICTION_CALL, Trigger.PREDICTION_CALL, projection=projection)
    return in_dim
