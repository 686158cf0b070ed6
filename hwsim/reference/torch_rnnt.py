"""The numpy reference RNN-T (hwsim.reference.rnnt) run in PyTorch, on a CUDA GPU or the CPU, for timing.

Same weights, layout and gate order as the numpy model, so outputs agree to float tolerance (tested on CPU):
encoder = input projection over all frames + one recurrent step per frame per direction; prediction network =
one batched step per call; joint = the two projections, combine, tanh, output layer, log-softmax. PyTorch is an
optional extra (`pip install 'hwsim[torch]'`); nothing here is imported unless `--backend torch` is asked for.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hwsim.errors import SpecError
from hwsim.reference.rnnt import BLANK, RnntModel

DTYPES = ("float32", "bfloat16", "float16")


def import_torch() -> Any:
    """torch, or the one-line error saying how to get it."""
    try:
        import torch
    except ImportError:
        raise SpecError(None, "--backend", "expected PyTorch installed for --backend torch "
                        "(pip install 'hwsim[torch]')", "torch") from None
    return torch


def torch_device(name: str) -> Any:
    """'cuda' (the default of the torch backend) or 'cpu'; a missing GPU is a one-line error."""
    torch = import_torch()
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise SpecError(None, "--torch-device", "expected a CUDA GPU visible to PyTorch (or --torch-device cpu)", name)
    return torch.device(name)


def synchronize(device: Any) -> None:
    torch = import_torch()
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class TorchRnnt:
    """RnntModel's three networks as torch tensors on `device` in `dtype`."""

    def __init__(self, model: RnntModel, device: Any, dtype: str = "float32"):
        torch = import_torch()
        if dtype not in DTYPES:
            raise SpecError(None, "--dtype", f"expected one of {', '.join(DTYPES)}", dtype)
        self.torch, self.device, self.dtype = torch, device, getattr(torch, dtype)
        self.model = model
        put = lambda a: torch.as_tensor(np.asarray(a, np.float32), device=device).to(self.dtype)
        proj = lambda w: None if w.w_proj is None else put(w.w_proj)
        self.encoder_layers = [[(put(w.w_ih), put(w.w_hh), put(w.bias), proj(w), rev) for w, rev in layer]
                               for layer in model.encoder_layers]
        self.predictor_layers = [(put(w.w_ih), put(w.w_hh), put(w.bias), proj(w)) for w in model.predictor_layers]
        self.embedding = put(model.embedding)
        weights = model.weights
        self.joint_w = {name: put(weights[name]) for name in ("joint.enc_proj.w", "joint.pred_proj.w", "joint.out.w")}
        self.joint_b = {name: put(weights[name]) for name in ("joint.enc_proj.b", "joint.pred_proj.b", "joint.out.b")
                        if name in weights}

    def _gates(self, z, c):
        torch, hidden = self.torch, c.shape[-1]
        i, f = torch.sigmoid(z[:, :hidden]), torch.sigmoid(z[:, hidden:2 * hidden])
        g, o = torch.tanh(z[:, 2 * hidden:3 * hidden]), torch.sigmoid(z[:, 3 * hidden:])
        c = f * c + i * g
        return o * torch.tanh(c), c

    def _sequence(self, x, w_ih, w_hh, bias, w_proj, reverse: bool):
        frames, hidden = x.shape[0], w_hh.shape[0]
        pre = x @ w_ih + bias
        h = x.new_zeros((1, hidden))
        c = x.new_zeros((1, w_hh.shape[1] // 4))
        out = x.new_empty((frames, hidden))
        for t in (range(frames - 1, -1, -1) if reverse else range(frames)):
            h, c = self._gates(pre[t:t + 1] + h @ w_hh, c)
            h = h if w_proj is None else h @ w_proj
            out[t] = h[0]
        return out

    def _stack(self, x, factor: int):
        """Time reduction, as hwsim.reference.rnnt.stack_frames (zero-padded to a multiple of `factor`)."""
        if factor == 1:
            return x
        pad = (-x.shape[0]) % factor
        if pad:
            x = self.torch.cat([x, x.new_zeros((pad, x.shape[1]))])
        return x.reshape(x.shape[0] // factor, factor * x.shape[1])

    def encode(self, features: np.ndarray):
        """features [T, input_dim] -> encoder output [T / frame_divisor, directions x H] (a device tensor)."""
        x = self.torch.as_tensor(features, device=self.device).to(self.dtype)
        encoder = self.model.spec.encoder
        for index, layer in enumerate(self.encoder_layers):
            x = self.torch.cat([self._sequence(x, *w) for w in layer], dim=1)
            x = self._stack(x, encoder.reduction_after(index))
        return x[::encoder.frame_divisor]

    def initial_state(self, batch: int):
        layers, w_hh = len(self.predictor_layers), self.predictor_layers[0][1]
        zeros = lambda width: self.torch.zeros((layers, batch, width), device=self.device, dtype=self.dtype)
        return zeros(w_hh.shape[0]), zeros(w_hh.shape[1] // 4)

    def predict(self, labels, h, c):
        """One prediction-network step for a batch: labels [B] (device int64), h and c [L, B, H]."""
        x = self.embedding[labels]
        new_h, new_c = [], []
        for l, (w_ih, w_hh, bias, w_proj) in enumerate(self.predictor_layers):
            hl, cl = self._gates(x @ w_ih + h[l] @ w_hh + bias, c[l])
            hl = hl if w_proj is None else hl @ w_proj
            new_h.append(hl)
            new_c.append(cl)
            x = hl
        return x, self.torch.stack(new_h), self.torch.stack(new_c)

    def _linear(self, x, name: str):
        y = x @ self.joint_w[f"{name}.w"]
        bias = self.joint_b.get(f"{name}.b")
        return y + bias if bias is not None else y

    def project_encoder(self, encoded):
        return self._linear(encoded, "joint.enc_proj")

    def project_prediction(self, pred):
        return self._linear(pred, "joint.pred_proj")

    def joint(self, enc_proj, pred_proj):
        """Projected pairs [B, J] each -> log-probabilities [B, V] (float32)."""
        spec = self.model.spec.joint
        hidden = enc_proj * pred_proj if spec.kind == "multiplicative" else enc_proj + pred_proj
        if spec.activation != "none":
            hidden = getattr(self.torch, spec.activation)(hidden)  # torch.tanh, torch.relu, torch.sigmoid
        return self.torch.log_softmax(self._linear(hidden, "joint.out").float(), dim=-1)

    def greedy(self, features: np.ndarray, max_symbols: int) -> tuple[list[int], dict[str, int]]:
        """Greedy RNN-T decode (the host reads each argmax: one sync per joint call); returns labels and call counts."""
        torch = self.torch
        enc = self.project_encoder(self.encode(features))
        h, c = self.initial_state(1)
        label = torch.tensor([BLANK], device=self.device)
        pred, h, c = self.predict(label, h, c)
        pred_proj = self.project_prediction(pred)
        labels, counts = [], {"prediction": 1, "joint": 0}
        for t in range(enc.shape[0]):
            for _ in range(max_symbols):
                best = int(self.joint(enc[t:t + 1], pred_proj).argmax(dim=-1)[0])
                counts["joint"] += 1
                if best == BLANK:
                    break
                labels.append(best)
                pred, h, c = self.predict(torch.tensor([best], device=self.device), h, c)
                pred_proj = self.project_prediction(pred)
                counts["prediction"] += 1
        return labels, counts
