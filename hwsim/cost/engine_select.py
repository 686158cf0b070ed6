"""Which matrix engine runs a weight x activation pair, and in which compute precision.

Rules, tried on each engine in file order (the first engine that can run the pair wins):

    declared entry for W x A  | W vs A bits   | result
    native                    | any           | native: runs at the declared rate
    emulated (via P, s)       | any           | emulated: runs as P, s times slower (e.g. float32 as multi-pass bf16)
    rejected (reason)         | any           | error naming the device file and the reason
    none                      | W <= A, W!=A  | promoted: weights converted to A on the vector unit, runs as A x A
                              |               |   (weight-only quantization: memory traffic in W, compute in A)
    none                      | W > A         | promoted: activations converted to W, runs as W x W
    none                      | W == A        | error: unsupported, never silently treated as supported

The promoted pair must itself be native or emulated on the engine, else the error names what is declared.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hwsim.cost.device import Device, MatrixEngine, Support
from hwsim.cost.formats import NumberFormat, format_names, pair_name, parse_format, split_pair
from hwsim.errors import SpecError, did_you_mean


class ComputeMode(str, enum.Enum):
    NATIVE = "native"
    EMULATED = "emulated"
    PROMOTED = "promoted"


@dataclass(frozen=True)
class EngineChoice:
    """How a requested pair runs: on `engine`, as `compute_pair` (always native there), `passes` times over."""

    engine: MatrixEngine
    weight_fmt: NumberFormat
    act_fmt: NumberFormat
    compute_pair: str
    mode: ComputeMode
    passes: float  # emulation slowdown (1 for native)
    converted_operand: str | None  # "weights" or "activations" converted on the vector unit, else None
    convert_to: NumberFormat | None

    @property
    def requested_pair(self) -> str:
        return pair_name(self.weight_fmt, self.act_fmt)

    @property
    def macs_per_pe_per_cycle(self) -> float:
        return self.engine.macs_per_pe_per_cycle(self.compute_pair)

    @property
    def peak_ops_per_s(self) -> float:
        """Effective chip peak for the requested pair (native peak of the compute pair / passes)."""
        return self.engine.peak_ops_per_s(self.compute_pair) / self.passes


def select_engine(device: Device, weight_fmt: NumberFormat, act_fmt: NumberFormat) -> EngineChoice:
    """Apply the rules of the module docstring; raise SpecError naming the device file when nothing fits."""
    pair = pair_name(weight_fmt, act_fmt)
    for engine in device.matrix_engines:
        entry = engine.precisions.get(pair)
        if entry is not None and entry.support is Support.REJECTED:
            raise SpecError(device.file, f"matrix_engines[{engine.index}].precisions.{pair}",
                            f"expected a precision {device.name} supports; rejected because {entry.reason}", pair)
        choice = _direct(engine, weight_fmt, act_fmt) or _promoted(engine, weight_fmt, act_fmt)
        if choice is not None:
            return choice
    raise _unsupported(device, pair)


def _direct(engine: MatrixEngine, weight_fmt: NumberFormat, act_fmt: NumberFormat,
            mode: ComputeMode | None = None, converted: str | None = None, to: NumberFormat | None = None) -> EngineChoice | None:
    entry = engine.precisions.get(pair_name(weight_fmt, act_fmt))
    if entry is None or entry.support is Support.REJECTED:
        return None
    if entry.support is Support.NATIVE:
        return EngineChoice(engine, weight_fmt, act_fmt, entry.pair, mode or ComputeMode.NATIVE, 1.0, converted, to)
    return EngineChoice(engine, weight_fmt, act_fmt, entry.via, mode or ComputeMode.EMULATED, entry.slowdown, converted, to)


def _promoted(engine: MatrixEngine, weight_fmt: NumberFormat, act_fmt: NumberFormat) -> EngineChoice | None:
    if weight_fmt == act_fmt:
        return None
    wider, operand = (act_fmt, "weights") if weight_fmt.bits <= act_fmt.bits else (weight_fmt, "activations")
    found = _direct(engine, wider, wider, ComputeMode.PROMOTED, operand, wider)
    if found is None:
        return None
    # keep the requested formats (they set memory traffic); passes carry any emulation of the wider pair
    return EngineChoice(engine, weight_fmt, act_fmt, found.compute_pair, ComputeMode.PROMOTED, found.passes, operand, wider)


def _unsupported(device: Device, pair: str) -> SpecError:
    declared = sorted({p for e in device.matrix_engines for p, s in e.precisions.items() if s.support is not Support.REJECTED})
    where = "matrix_engines[0].precisions" if len(device.matrix_engines) == 1 else "matrix_engines[*].precisions"
    return SpecError(device.file, where,
                     f"expected a weight x activation pair an engine runs natively, emulated or by promotion "
                     f"(declared: {', '.join(declared)}; to model {pair} add '{pair}: {{support: emulated, via: ..., "
                     f"slowdown: {{value: ..., assumption: ...}}}}')", pair)


def parse_precision(text: str, device: Device) -> tuple[NumberFormat, NumberFormat]:
    """CLI precision -> (weight format, activation format).

    Accepted spellings:
        FMT            both operands in FMT: int8, bf16, int4, hfp8, float32
        WFMTxAFMT      explicit pair: int2xbf16, int4xint8
        wNaM           shorthand: N, M in 1, 2, 4, 8 mean intN (1 = binary); 16 means the device's
                       16-bit float (bf16 if an engine declares bf16xbf16, else fp16); 32 means float32
    """
    spelled = text.strip().lower()
    single = parse_format(spelled)
    if single is not None:
        return single, single
    pair = split_pair(spelled)
    if pair is not None:
        return pair
    shorthand = _parse_shorthand(spelled, device)
    if shorthand is not None:
        return shorthand
    choices = format_names() + ["WFMTxAFMT (e.g. int2xbf16)", "wNaM (e.g. w4a16)"]
    raise SpecError(None, "--precision", f"expected one of {', '.join(choices)}, got {text!r}{did_you_mean(spelled, format_names())}")


_INT_BY_BITS = {8: NumberFormat.INT8, 4: NumberFormat.INT4, 2: NumberFormat.INT2, 1: NumberFormat.BINARY}


def _parse_shorthand(text: str, device: Device) -> tuple[NumberFormat, NumberFormat] | None:
    if not text.startswith("w") or "a" not in text:
        return None
    w_bits, _, a_bits = text[1:].partition("a")
    if not (w_bits.isdigit() and a_bits.isdigit()):
        return None
    weight, act = _shorthand_format(int(w_bits), device), _shorthand_format(int(a_bits), device)
    if weight is None or act is None:
        return None
    return weight, act


def _shorthand_format(bits: int, device: Device) -> NumberFormat | None:
    if bits == 16:
        return _device_half_float(device)
    if bits == 32:
        return NumberFormat.FLOAT32
    return _INT_BY_BITS.get(bits)


def _device_half_float(device: Device) -> NumberFormat:
    declared = {p for e in device.matrix_engines for p in e.precisions}
    return NumberFormat.BF16 if pair_name(NumberFormat.BF16, NumberFormat.BF16) in declared else NumberFormat.FP16
