"""Chunked quantization of a .npy file gives byte-identical archives to the in-memory path, in bounded memory."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from hwsim.quant import QuantizerKind, QuantSettings, quantize
from hwsim.quant import stream
from hwsim.quant.stream import quantize_file, streamable, write_npz

CASES = [
    (QuantizerKind.ABSMEAN, 1, {}), (QuantizerKind.ABSMEAN_CENTERED, 1, {}), (QuantizerKind.ABSMAX, 4, {}),
    (QuantizerKind.ABSMAX_ASYM, 8, {}), (QuantizerKind.MAX_PER_CHANNEL, 4, {}),
    (QuantizerKind.SAWB_PER_CHANNEL, 4, {}), (QuantizerKind.PACT, 4, {"alpha": 1.5}),
    (QuantizerKind.PACT2, 4, {"alpha": 1.5, "alpha_neg": -0.7}), (QuantizerKind.MAX, 8, {}), (QuantizerKind.MAX, 2, {}),
]


def in_memory(array, kind, settings, path):
    result = quantize(array, kind, settings)
    arrays = {"q": result.q, "scale": result.scale}
    if result.zero_point is not None:
        arrays["zero_point"] = result.zero_point
    arrays["dequant"] = result.dequant
    write_npz(path, arrays)


@pytest.mark.parametrize("kind, bits, extra", CASES, ids=[f"{k.value}-{b}" for k, b, _ in CASES])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int8"])
def test_chunked_equals_in_memory_byte_for_byte(tmp_path, monkeypatch, kind, bits, extra, dtype):
    rng = np.random.default_rng(7)
    array = (rng.standard_normal((37, 3, 7)) * 3).astype(dtype)
    if kind is QuantizerKind.PACT:
        array = np.abs(array)  # one-sided PACT takes non-negative activations
    np.save(tmp_path / "x.npy", array)
    settings = QuantSettings(bits=bits, contract_axes=(1, 2), **extra)
    assert streamable(kind, settings, array.shape, False)
    monkeypatch.setattr(stream, "CHUNK_BYTES", 5 * 21 * array.itemsize)  # 5 rows per chunk, a partial last one
    quantize_file(tmp_path / "x.npy", kind, settings, tmp_path / "chunked.npz")
    in_memory(array, kind, settings, tmp_path / "whole.npz")
    assert (tmp_path / "chunked.npz").read_bytes() == (tmp_path / "whole.npz").read_bytes()
    assert [p.name for p in tmp_path.iterdir() if "spool" in p.name] == []


def test_per_tensor_statistics_and_column_axes_are_not_chunked():
    settings = QuantSettings(bits=4, contract_axes=(1,))
    assert not streamable(QuantizerKind.SAWB, settings, (10, 4), False)
    assert not streamable(QuantizerKind.ABSMAX, QuantSettings(bits=4, contract_axes=(0,)), (10, 4), False)
    assert not streamable(QuantizerKind.ABSMAX, settings, (10, 4), True)  # Fortran order


def test_output_is_deterministic(tmp_path, run_cli):
    np.save(tmp_path / "x.npy", np.linspace(-2, 2, 64, dtype=np.float32).reshape(8, 8))
    digests = []
    for name in ("a.npz", "b.npz"):
        assert run_cli("quantize", str(tmp_path / "x.npy"), "--quantizer", "sawb", "--bits", "4",
                       "-o", str(tmp_path / name)).code == 0
        digests.append((tmp_path / name).read_bytes())
    assert digests[0] == digests[1]


PEAK = """
    import resource, sys
    import numpy as np
    from hwsim.cli import main
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code = main(sys.argv[1:])
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(code, (after - before) * 1024)
"""


def test_peak_memory_is_at_most_twice_the_input(tmp_path):
    rows, cols = 4096, 8192  # 128 MiB of float32
    array = np.lib.format.open_memmap(tmp_path / "big.npy", mode="w+", dtype=np.float32, shape=(rows, cols))
    for start in range(0, rows, 512):
        array[start:start + 512] = np.random.default_rng(start).standard_normal((512, cols), dtype=np.float32)
    array.flush()
    del array
    child = subprocess.run([sys.executable, "-c", textwrap.dedent(PEAK), "quantize", str(tmp_path / "big.npy"),
                            "--quantizer", "absmax", "--bits", "4", "-o", str(tmp_path / "q.npz")],
                           capture_output=True, text=True)
    code, grown = child.stdout.split()
    assert code == "0", child.stderr
    assert int(grown) <= 2 * rows * cols * 4, f"peak grew by {int(grown) / 2**20:.0f} MiB"
    with np.load(tmp_path / "q.npz") as archive:
        assert archive["q"].shape == (rows, cols)
