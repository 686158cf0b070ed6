"""The numpy reference RNN-T as three ONNX models (encoder, prediction step, joint), built with the `onnx`
package from the same weights, for a second, independent runtime (onnxruntime; optional extra `onnx`).

Like sherpa-onnx's transducer models: the search loop (hwsim.decode) calls the decoder and joiner sessions.

| model      | inputs                                   | outputs                                         |
|------------|------------------------------------------|-------------------------------------------------|
| encoder    | features [T, 1, input_dim] float32       | encoded [T / frame_divisor, D]                  |
| enc_proj   | encoded [T', D]                          | enc_proj [T', J] (joint.enc_proj)               |
| prediction | labels [B] int64, h, c [L, B, H] float32 | pred_proj [B, J], h, c [L, B, H]                |
| joint      | enc_proj [B, J], pred_proj [B, J]        | log-probabilities [B, V]                        |

ONNX LSTM gates are ordered i, o, f, c (the graph's weights are PyTorch's i, f, g, o), its W and R are
[directions, 4H, in] (transposed), and the two biases are stored as Wb = b_ih + b_hh, Rb = 0.
"""

from __future__ import annotations

import numpy as np

from hwsim.reference.lstm import LstmWeights
from hwsim.reference.rnnt import RnntModel

OPSET = 17
ONNX_ACTIVATIONS = {"tanh": "Tanh", "relu": "Relu", "sigmoid": "Sigmoid"}  # workload joint.activation -> ONNX op
ONNX_GATE_ORDER = (0, 3, 1, 2)  # i, o, f, c from PyTorch's i, f, g, o


def _onnx():
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        from hwsim.errors import HwsimError
        raise HwsimError("the onnxruntime runtime needs the optional extra: pip install 'hwsim[onnx]' "
                         "(onnx and onnxruntime)") from None
    return onnx, TensorProto, helper, numpy_helper


def _gates(matrix: np.ndarray) -> np.ndarray:
    """[in, 4H] in i, f, g, o -> [4H, in] in i, o, f, c."""
    hidden = matrix.shape[1] // 4
    blocks = [matrix[:, g * hidden:(g + 1) * hidden] for g in ONNX_GATE_ORDER]
    return np.concatenate(blocks, axis=1).T.astype(np.float32)


def _lstm_initializers(prefix: str, directions: list[LstmWeights], numpy_helper) -> list:
    w = np.stack([_gates(d.w_ih) for d in directions])
    r = np.stack([_gates(d.w_hh) for d in directions])
    bias = np.stack([np.concatenate([_gates(d.bias[None, :])[:, 0], np.zeros(4 * d.hidden, np.float32)])
                     for d in directions])
    return [numpy_helper.from_array(w, f"{prefix}.W"), numpy_helper.from_array(r, f"{prefix}.R"),
            numpy_helper.from_array(bias.astype(np.float32), f"{prefix}.B")]


def _dense(name: str, x: str, weights: dict[str, np.ndarray], out: str, helper, numpy_helper, inits, nodes) -> None:
    inits.append(numpy_helper.from_array(weights[f"{name}.w"].astype(np.float32), f"{name}.w"))
    bias = weights.get(f"{name}.b")
    if bias is None:
        nodes.append(helper.make_node("MatMul", [x, f"{name}.w"], [out]))
        return
    inits.append(numpy_helper.from_array(np.asarray(bias, np.float32), f"{name}.b"))
    nodes.append(helper.make_node("MatMul", [x, f"{name}.w"], [f"{out}.mm"]))
    nodes.append(helper.make_node("Add", [f"{out}.mm", f"{name}.b"], [out]))


def _const(name: str, values, helper, TensorProto):
    return helper.make_node("Constant", [], [name], value=helper.make_tensor(name, TensorProto.INT64, [len(values)], values))


def _width(model: RnntModel, which: str) -> int:
    return int(model.weights[f"joint.{which}_proj.w"].shape[1])


def encoder_model(model: RnntModel):
    onnx, TensorProto, helper, numpy_helper = _onnx()
    nodes, inits, x = [], [], "features"
    for index, layer in enumerate(model.encoder_layers):
        prefix = f"enc{index}"
        inits += _lstm_initializers(prefix, [w for w, _ in layer], numpy_helper)
        hidden, directions = layer[0][0].hidden, len(layer)
        nodes.append(helper.make_node("LSTM", [x, f"{prefix}.W", f"{prefix}.R", f"{prefix}.B"], [f"{prefix}.Y"],
                                      hidden_size=hidden, direction="bidirectional" if directions == 2 else "forward"))
        nodes.append(helper.make_node("Transpose", [f"{prefix}.Y"], [f"{prefix}.T"], perm=[0, 2, 1, 3]))
        nodes.append(_const(f"{prefix}.shape", [0, 1, directions * hidden], helper, TensorProto))
        nodes.append(helper.make_node("Reshape", [f"{prefix}.T", f"{prefix}.shape"], [f"{prefix}.out"]))
        x = f"{prefix}.out"
    width = len(model.encoder_layers[-1]) * model.encoder_layers[-1][0][0].hidden
    nodes.append(_const("flat.shape", [-1, width], helper, TensorProto))
    nodes.append(helper.make_node("Reshape", [x, "flat.shape"], ["encoded.all"]))
    divisor = model.spec.encoder.frame_divisor
    for name, values in (("sl.start", [0]), ("sl.end", [2 ** 62]), ("sl.axes", [0]), ("sl.steps", [divisor])):
        nodes.append(_const(name, values, helper, TensorProto))
    nodes.append(helper.make_node("Slice", ["encoded.all", "sl.start", "sl.end", "sl.axes", "sl.steps"], ["encoded"]))
    graph = helper.make_graph(nodes, "encoder", [helper.make_tensor_value_info("features", TensorProto.FLOAT,
                                                                               ["T", 1, model.input_dim])],
                              [helper.make_tensor_value_info("encoded", TensorProto.FLOAT, ["frames", width])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def encoder_projection_model(model: RnntModel):
    """joint.enc_proj over all frames: its own session, timed as 'joint' (the graph's component of that op)."""
    onnx, TensorProto, helper, numpy_helper = _onnx()
    nodes, inits = [], []
    _dense("joint.enc_proj", "encoded", model.weights, "enc_proj", helper, numpy_helper, inits, nodes)
    width = model.weights["joint.enc_proj.w"].shape[0]
    graph = helper.make_graph(nodes, "enc_proj", [helper.make_tensor_value_info("encoded", TensorProto.FLOAT, ["frames", width])],
                              [helper.make_tensor_value_info("enc_proj", TensorProto.FLOAT, ["frames", _width(model, "enc")])],
                              inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def prediction_model(model: RnntModel):
    onnx, TensorProto, helper, numpy_helper = _onnx()
    layers = model.predictor_layers
    hidden = layers[0].hidden
    inits = [numpy_helper.from_array(model.embedding.astype(np.float32), "embedding")]
    nodes = [helper.make_node("Gather", ["embedding", "labels"], ["embedded"]),
             _const("axis0", [0], helper, TensorProto),
             helper.make_node("Unsqueeze", ["embedded", "axis0"], ["x0"])]
    x, outs_h, outs_c = "x0", [], []
    for index, weights in enumerate(layers):
        prefix = f"pred{index}"
        inits += _lstm_initializers(prefix, [weights], numpy_helper)
        nodes += [_const(f"{prefix}.lo", [index], helper, TensorProto), _const(f"{prefix}.hi", [index + 1], helper, TensorProto),
                  helper.make_node("Slice", ["h", f"{prefix}.lo", f"{prefix}.hi", "axis0"], [f"{prefix}.h0"]),
                  helper.make_node("Slice", ["c", f"{prefix}.lo", f"{prefix}.hi", "axis0"], [f"{prefix}.c0"]),
                  helper.make_node("LSTM", [x, f"{prefix}.W", f"{prefix}.R", f"{prefix}.B", "", f"{prefix}.h0",
                                            f"{prefix}.c0"], ["", f"{prefix}.h", f"{prefix}.c"], hidden_size=hidden)]
        x = f"{prefix}.h"  # [1, B, H]: the next layer's one-step input
        outs_h.append(f"{prefix}.h")
        outs_c.append(f"{prefix}.c")
    nodes += [helper.make_node("Concat", outs_h, ["h_out"], axis=0), helper.make_node("Concat", outs_c, ["c_out"], axis=0),
              helper.make_node("Squeeze", [x, "axis0"], ["pred"])]
    _dense("joint.pred_proj", "pred", model.weights, "pred_proj", helper, numpy_helper, inits, nodes)
    state = ["L", "B", hidden]
    graph = helper.make_graph(
        nodes, "prediction",
        [helper.make_tensor_value_info("labels", TensorProto.INT64, ["B"]),
         helper.make_tensor_value_info("h", TensorProto.FLOAT, state), helper.make_tensor_value_info("c", TensorProto.FLOAT, state)],
        [helper.make_tensor_value_info("pred_proj", TensorProto.FLOAT, ["B", _width(model, "pred")])]
        + [helper.make_tensor_value_info(n, TensorProto.FLOAT, state) for n in ("h_out", "c_out")], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def joint_model(model: RnntModel):
    onnx, TensorProto, helper, numpy_helper = _onnx()
    spec = model.spec.joint
    nodes = [helper.make_node("Mul" if spec.kind == "multiplicative" else "Add", ["enc", "pred"], ["combined"])]
    hidden = "combined"
    if spec.activation != "none":
        nodes.append(helper.make_node(ONNX_ACTIVATIONS[spec.activation], ["combined"], ["hidden"]))
        hidden = "hidden"
    inits: list = []
    _dense("joint.out", hidden, model.weights, "logits", helper, numpy_helper, inits, nodes)
    nodes.append(helper.make_node("LogSoftmax", ["logits"], ["logp"], axis=-1))
    width = model.weights["joint.out.w"].shape[0]
    graph = helper.make_graph(nodes, "joint", [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["B", width])
                                               for n in ("enc", "pred")],
                              [helper.make_tensor_value_info("logp", TensorProto.FLOAT, ["B", model.vocab])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def export_models(model: RnntModel) -> dict[str, bytes]:
    """{'encoder', 'enc_proj', 'prediction', 'joint'} -> serialized, checked ONNX models."""
    onnx = _onnx()[0]
    out = {}
    for name, build in (("encoder", encoder_model), ("enc_proj", encoder_projection_model),
                        ("prediction", prediction_model), ("joint", joint_model)):
        proto = build(model)
        onnx.checker.check_model(proto)
        out[name] = proto.SerializeToString()
    return out
