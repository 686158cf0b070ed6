"""hwsim against outputs of the real libraries (praxis 1.4.0, fms-model-optimizer 0.8.7).

The .npz files are produced by tools/make_quant_goldens.py; each key is "<case>__<field>".
Integer codes must match exactly, floats within 1e-6 relative (forward values and STE gradients).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwsim.quant import QuantSettings, quantize, quantize_backward

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "golden" / "quant"
RTOL = 1e-6
# Absolute floor for entries that are exactly zero in one result and a rounding residue (~1e-8 of the
# tensor's scale) in the other, e.g. the float zero point of praxis asym: q*scale - zp.
ATOL_FRACTION_OF_MAX = 1e-6


def _cases():
    for path in sorted(GOLDEN_DIR.glob("*.npz")):
        data = np.load(path)
        for case in sorted({k.split("__")[0] for k in data.files}):
            yield pytest.param(path.stem, case, id=f"{path.stem}:{case}")


def _settings(file_stem: str, fields: dict) -> tuple[str, QuantSettings]:
    library, _, name = file_stem.partition("_")
    kind = name.removesuffix("_block")
    block = int(fields.get("block", 0)) or None
    alpha = float(fields["alpha"]) if "alpha" in fields else None
    alpha_neg = float(fields["alpha_neg"]) if "alpha_neg" in fields and not np.isnan(fields["alpha_neg"]) else None
    axes = (1,) if library == "praxis" else tuple(range(1, fields["x"].ndim))
    return kind, QuantSettings(bits=int(fields["bits"]), contract_axes=axes, block_size=block,
                               alpha=alpha, alpha_neg=alpha_neg)


def _close(ours, theirs, name):
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    scale = max(float(np.max(np.abs(theirs))), 1e-30)
    np.testing.assert_allclose(ours.reshape(theirs.shape), theirs, rtol=RTOL, atol=ATOL_FRACTION_OF_MAX * scale,
                               err_msg=name)


@pytest.mark.parametrize("file_stem, case", list(_cases()))
def test_matches_library(file_stem, case):
    data = np.load(GOLDEN_DIR / f"{file_stem}.npz")
    fields = {k.split("__")[1]: data[k] for k in data.files if k.split("__")[0] == case}
    kind, settings = _settings(file_stem, fields)
    result = quantize(fields["x"], kind, settings)
    grads = quantize_backward(fields["x"], kind, settings, fields["G"])
    _close(result.dequant, fields["dequant"], "dequant")
    _close(grads.dx, fields["grad"], "grad")
    if "q" in fields:
        np.testing.assert_array_equal(np.asarray(result.q).reshape(fields["q"].shape), fields["q"], err_msg="q")
    if "scale" in fields:
        _close(np.broadcast_to(result.scale, fields["scale"].shape), fields["scale"], "scale")
    if "zp" in fields:
        _close(result.zero_point, fields["zp"], "zero_point")
    for key in ("dalpha", "dalpha_neg"):
        if key in fields:
            _close(getattr(grads, key), float(np.ravel(fields[key])[0]), key)
