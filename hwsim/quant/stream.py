"""Quantize a .npy file into a .npz in bounded memory: rows are read, quantized and spooled to disk in chunks.

A 1.2 GB input used to peak at ~4x its size (input, codes, dequant, temporaries, then np.savez). Here the input
is read CHUNK_BYTES of rows at a time (no memory map, so the pages do not stay resident), each output array is
spooled to its own .npy file on disk, and the archive is assembled from those files. Peak memory is a few chunks
plus the per-row scales, whatever the input size.

Which quantizers can be chunked, and how (the results are identical to the in-memory path; tested):

| kind                                    | statistic            | chunking                                 |
|-----------------------------------------|----------------------|------------------------------------------|
| absmean, absmean_centered, absmax(_asym) | per row (axis 0 kept) | rows independent                         |
| max_per_channel, sawb_per_channel       | per row              | rows independent                         |
| pact, pact2                             | fixed --alpha        | element-wise                             |
| max                                     | max|x| of the tensor | two passes: exact max, then the grid     |
| sawb, sawb_plus, sawb_unaligned, others | tensor means         | in memory: chunked float32 sums would    |
|                                         |                      | not match the library's pairwise sums    |
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from contextlib import ExitStack
from pathlib import Path
from typing import Iterator

import numpy as np

from hwsim.errors import SpecError
from hwsim.quant.api import quantize
from hwsim.quant.common import QuantizerKind, QuantResult, QuantSettings, as_float_array, normalize_axes
from hwsim.quant.fms_weights import shifted_grid_forward
from hwsim.io.readers import check_array_header, read_npy_header

CHUNK_BYTES = 8 * 2**20
PER_ROW = {QuantizerKind.ABSMEAN, QuantizerKind.ABSMEAN_CENTERED, QuantizerKind.ABSMAX, QuantizerKind.ABSMAX_ASYM,
           QuantizerKind.MAX_PER_CHANNEL, QuantizerKind.SAWB_PER_CHANNEL}
ELEMENTWISE = {QuantizerKind.PACT, QuantizerKind.PACT2}
TWO_PASS_MAX = {QuantizerKind.MAX}
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: same input, same bytes


def streamable(kind: QuantizerKind, settings: QuantSettings, shape: tuple[int, ...], fortran: bool) -> bool:
    """Whether `quantize_file` gives exactly the in-memory result for this request."""
    if fortran or len(shape) < 1 or shape[0] < 2 or settings.mimic_praxis_block_fallback:
        return False
    if kind in ELEMENTWISE or kind in TWO_PASS_MAX:
        return True
    if kind in PER_ROW and len(shape) >= 2:
        return 0 not in normalize_axes(settings.contract_axes, len(shape))
    return False


def npy_layout(path: str | Path, key: str = "input") -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, fortran_order, dtype, data offset) of a .npy file, checked like load_npy."""
    try:
        with open(path, "rb") as handle:
            shape, fortran, dtype = read_npy_header(handle)
            offset = handle.tell()
    except (ValueError, OSError, EOFError) as error:
        raise SpecError(path, key, "expected a numpy .npy array", str(error).splitlines()[0]) from None
    check_array_header(tuple(shape), dtype, path, key)
    return tuple(shape), fortran, dtype, offset


def row_chunks(path: str | Path, shape: tuple[int, ...], dtype: np.dtype, offset: int) -> Iterator[np.ndarray]:
    """The array's rows, CHUNK_BYTES at a time (at least one row), read with plain file reads."""
    row_items = int(np.prod(shape[1:], dtype=np.int64)) if len(shape) > 1 else 1
    rows_per_chunk = max(1, CHUNK_BYTES // max(1, row_items * dtype.itemsize))
    with open(path, "rb") as handle:
        handle.seek(offset)
        for start in range(0, shape[0], rows_per_chunk):
            rows = min(rows_per_chunk, shape[0] - start)
            chunk = np.fromfile(handle, dtype=dtype, count=rows * row_items)
            if chunk.size != rows * row_items:
                raise SpecError(path, "input", "expected a complete .npy file", "a truncated one")
            yield chunk.reshape((rows,) + shape[1:])


class Spool:
    """One output array written to a .npy file chunk by chunk (its header written once the dtype is known)."""

    def __init__(self, path: Path, shape: tuple[int, ...]):
        self.path, self.shape, self.handle = path, shape, None

    def write(self, chunk: np.ndarray) -> None:
        if self.handle is None:
            self.handle = open(self.path, "wb")
            header = {"descr": np.lib.format.dtype_to_descr(chunk.dtype), "fortran_order": False, "shape": self.shape}
            np.lib.format.write_array_header_1_0(self.handle, header)  # what np.save writes: identical bytes
        self.handle.write(np.ascontiguousarray(chunk).tobytes())

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def _tensor_max(path: str | Path, shape: tuple[int, ...], dtype: np.dtype, offset: int) -> np.floating:
    largest = None
    for chunk in row_chunks(path, shape, dtype, offset):
        value = np.max(np.abs(as_float_array(chunk)))
        largest = value if largest is None else max(largest, value)
    return largest


def _quantize_chunk(chunk: np.ndarray, kind: QuantizerKind, settings: QuantSettings, clip) -> QuantResult:
    if clip is None:
        return quantize(chunk, kind, settings)
    quantize(chunk[:1], kind, settings)  # the request's checks (bits, layout) on a one-row view
    return shifted_grid_forward(as_float_array(chunk), clip, 2**settings.bits - 2, aligned=True)


def quantize_file(path: str | Path, kind: QuantizerKind, settings: QuantSettings, out_npz: Path) -> None:
    """Quantize the .npy at `path` into `out_npz` (q, scale, [zero_point], dequant) chunk by chunk."""
    shape, _, dtype, offset = npy_layout(path)
    clip = _tensor_max(path, shape, dtype, offset) if kind in TWO_PASS_MAX else None
    spool_dir = Path(tempfile.mkdtemp(prefix=f".{out_npz.name}.hwsim-spool-", dir=out_npz.parent))
    try:
        with ExitStack() as stack:
            spools = {name: Spool(spool_dir / f"{name}.npy", shape) for name in ("q", "dequant")}
            for spool in spools.values():
                stack.callback(spool.close)
            scales, zero_points = [], []
            for chunk in row_chunks(path, shape, dtype, offset):
                result = _quantize_chunk(chunk, kind, settings, clip)
                if not (np.all(np.isfinite(result.dequant)) and np.all(np.isfinite(result.scale))):
                    raise SpecError(path, "", "expected values this quantizer can represent; the result overflows")
                spools["q"].write(result.q)
                spools["dequant"].write(result.dequant)
                scales.append(result.scale)
                zero_points.append(result.zero_point)
        small = {"scale": _combine(kind, scales)}
        if zero_points[0] is not None:
            small["zero_point"] = _combine(kind, zero_points)
        write_npz(out_npz, {"q": spools["q"].path, "scale": small["scale"], **(
            {"zero_point": small["zero_point"]} if "zero_point" in small else {}), "dequant": spools["dequant"].path})
    finally:
        shutil.rmtree(spool_dir, ignore_errors=True)


def _combine(kind: QuantizerKind, parts: list[np.ndarray]) -> np.ndarray:
    if kind in PER_ROW:
        return np.concatenate(parts, axis=0)
    return parts[0]  # one value for the whole tensor (fixed alpha, or the two-pass max)


def write_npz(path: Path, arrays: dict[str, np.ndarray | Path]) -> None:
    """np.savez's layout (stored members NAME.npy) with fixed timestamps; Path values are spooled .npy files."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, value in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE)
            with archive.open(info, "w", force_zip64=True) as member:
                if isinstance(value, Path):
                    with open(value, "rb") as source:
                        shutil.copyfileobj(source, member, 2**20)
                else:
                    np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)
