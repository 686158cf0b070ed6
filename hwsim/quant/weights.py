"""Where the weights of a QAT error analysis come from: a user .npz keyed by tensor name, or synthetic.

Synthetic weights are drawn as the layer would be initialised (f32, one tensor at a time):

| tensor                                   | init                                              |
|------------------------------------------|---------------------------------------------------|
| LSTM weight (name contains w_ih / w_hh)  | U(-1/sqrt(H), 1/sqrt(H)), H = fan_out / 4 (PyTorch nn.LSTM) |
| other weight and conv kernel             | Glorot uniform, limit sqrt(6 / (fan_in + fan_out)) |
| embedding                                | N(0, 1) (PyTorch nn.Embedding)                    |
| bias                                     | 0                                                 |
| norm scale (name ends in 'scale')        | 1; other norm parameters (offsets) 0              |
| stats (moving variance: name has 'var')  | 1; other statistics (moving mean) 0               |

fan_in is the product of the contracting dims, fan_out the product of the rest. Each tensor has its
own generator seeded from (seed, crc32(name)), so a tensor's weights do not depend on which other
tensors are analysed (`--match`, `--max-tensors`).
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from hwsim.errors import SpecError, did_you_mean
from hwsim.graph.model import Graph, Role, Tensor
from hwsim.quant.layout import fan_in_out
from hwsim.quant.common import safe_magnitude
from hwsim.io.readers import load_npz_archive, npz_member, npz_shapes

LSTM_MARKERS = ("w_ih", "w_hh")
LSTM_GATES = 4


def init_name(tensor: Tensor) -> str:
    """A short description of the init `synthetic_weights` uses for this tensor."""
    if tensor.role in (Role.WEIGHT, Role.CONV):
        return "lstm_uniform" if any(m in tensor.name for m in LSTM_MARKERS) else "glorot_uniform"
    if tensor.role is Role.EMBEDDING:
        return "normal"
    if (tensor.role is Role.NORM and tensor.name.endswith("scale")) or (tensor.role is Role.STATS and "var" in tensor.name):
        return "ones"
    return "zeros"


def tensor_rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def synthetic_weights(tensor: Tensor, seed: int) -> np.ndarray:
    """One tensor's weights, drawn as its layer is initialised (see the module table)."""
    kind, rng = init_name(tensor), tensor_rng(seed, tensor.name)
    if kind == "zeros":
        return np.zeros(tensor.shape, np.float32)
    if kind == "ones":
        return np.ones(tensor.shape, np.float32)
    if kind == "normal":
        return rng.standard_normal(tensor.shape, dtype=np.float32)
    fan_in, fan_out = fan_in_out(tensor)
    limit = 1 / math.sqrt(fan_out / LSTM_GATES) if kind == "lstm_uniform" else math.sqrt(6 / (fan_in + fan_out))
    return (rng.random(tensor.shape, dtype=np.float32) * np.float32(2 * limit) - np.float32(limit))


class WeightSource:
    """Weights by tensor name: from a checked .npz (loaded one array at a time) or synthetic.

    Args:
        path: the .npz, or None for synthetic weights only.
        allow_missing: tensors absent from the .npz get synthetic weights (reported as such).
    """

    def __init__(self, graph: Graph, path: str | None, seed: int, allow_missing: bool = False):
        self.path, self.seed, self.allow_missing = path, seed, allow_missing
        self.shapes: dict[str, tuple[int, ...]] = {} if path is None else _npz_shapes(path)
        self._archive = None if path is None else load_npz_archive(path)
        names = [t.name for t in graph.tensors]
        known = set(names)
        for key in self.shapes:
            if key not in known:
                raise SpecError(path, key, f"a tensor name of workload {graph.name!r}{did_you_mean(key, names)}",
                                "an unknown key")

    def check(self, tensors: list[Tensor]) -> None:
        """Before any work: every used array has the graph's shape, and none is missing unless allowed."""
        if self.path is None:
            return
        for tensor in tensors:
            found = self.shapes.get(tensor.name)
            if found is None and not self.allow_missing:
                raise SpecError(self.path, tensor.name, f"an array of shape {tensor.shape} (missing key; "
                                "--allow-missing uses synthetic weights for it)", "no such key")
            if found is not None and found != tensor.shape:
                raise SpecError(self.path, tensor.name, f"shape {tensor.shape}", f"shape {found}")

    def origin(self, tensor: Tensor) -> str:
        return "npz" if tensor.name in self.shapes else "synthetic"

    def load(self, tensor: Tensor) -> np.ndarray:
        if tensor.name not in self.shapes:
            return synthetic_weights(tensor, self.seed)
        array = npz_member(self._archive, tensor.name, self.path)
        if array.dtype.kind not in "fiu":
            raise SpecError(self.path, tensor.name, "a numeric array", f"dtype {array.dtype}")
        array = array.astype(np.float32, copy=False)
        if not np.all(np.isfinite(array)):
            raise SpecError(self.path, tensor.name, "only finite values", f"{int(np.sum(~np.isfinite(array)))} NaN/inf")
        largest, limit = float(np.max(np.abs(array), initial=0.0)), safe_magnitude(np.dtype(np.float32))
        if largest > limit:  # named here, with the file and tensor (the quantizers' own check names only "input")
            raise SpecError(self.path, tensor.name, f"values of magnitude at most {limit:.3g} (squares and sums inside "
                            "the quantizers must stay finite in float32)", f"max |x| {largest:.3g}")
        return array


def _npz_shapes(path: str) -> dict[str, tuple[int, ...]]:
    """Every array's shape, read (and checked: numeric dtype, size limit) from the .npy headers without the data."""
    return npz_shapes(path, "--weights")
