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

The promoted pair must itself be native or emulated on the engine, else the error names what is declared and
the nearest pair the device runs. With the run's `--compute-as PAIR` (RunOptions.compute_as), a pair nothing
above runs (or one the file rejects) is computed as PAIR instead, on the first engine that runs PAIR: memory
traffic stays in the requested formats, an operand narrower than PAIR's is converted on the vector unit (as in
promotion), and a same-width float swap (fp16 -> bf16) is a cast when the weights are loaded, free per call.

float32 emulated on a bf16 engine takes its passes from the run's matmul precision (JAX semantics,
`jax.lax.Precision`: DEFAULT = 1 bf16 pass, HIGH = 3 (bf16_3x), HIGHEST = 6 (bf16_6x)); the device file's
slowdown for that pair is the HIGHEST count. Each engine's `kind` picks its compute model from COMPUTE_MODELS.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from hwsim.cost.compute_model import ComputeModel
from hwsim.cost.hardware import Device, MatrixEngine, Support
from hwsim.formats import NumberFormat, format_names, pair_name, parse_format, split_pair
from hwsim.cost.systolic import SystolicModel
from hwsim.cost.tensorcore import TensorCoreModel
from hwsim.errors import SpecError, did_you_mean, unknown_choice


class MatmulPrecision(str, enum.Enum):
    """float32 matmul precision on bf16 engines, as `jax.lax.Precision` names it (DEFAULT, HIGH, HIGHEST)."""

    DEFAULT = "default"
    HIGH = "high"
    HIGHEST = "highest"


# bf16 passes per float32 matmul (JAX on TPU: DEFAULT = one bf16 pass, HIGH = bf16_3x, HIGHEST = bf16_6x)
BF16_PASSES = {MatmulPrecision.DEFAULT: 1.0, MatmulPrecision.HIGH: 3.0, MatmulPrecision.HIGHEST: 6.0}

COMPUTE_MODELS: dict[str, ComputeModel] = {}


def register_compute_model(kind: str, model: ComputeModel) -> None:
    """Make `kind` usable as `matrix_engines[i].kind`; registering a kind twice is an error."""
    if kind in COMPUTE_MODELS:
        raise ValueError(f"compute model {kind!r} registered twice")
    COMPUTE_MODELS[kind] = model


register_compute_model("systolic", SystolicModel())
register_compute_model("tensor_core", TensorCoreModel())


def parse_matmul_precision(text: str) -> MatmulPrecision:
    try:
        return MatmulPrecision(text.strip().lower())
    except ValueError:
        raise unknown_choice(None, "--matmul-precision", "matmul precision", text,
                             [p.value for p in MatmulPrecision]) from None


class ComputeMode(str, enum.Enum):
    NATIVE = "native"
    EMULATED = "emulated"
    PROMOTED = "promoted"
    SUBSTITUTED = "substituted"  # the device lacks the pair; computed as the run's --compute-as pair


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
    matmul_precision: MatmulPrecision = MatmulPrecision.DEFAULT

    @property
    def model(self) -> ComputeModel:
        return COMPUTE_MODELS[self.engine.kind]

    def describe(self, device: str) -> str:
        """'int4 weights x float32 activations computed as bf16 x bf16 (1 pass) on tpu_v5e mxu'."""
        weights, acts = self.weight_fmt.value, self.act_fmt.value
        what = f"{weights} weights x {acts} activations" if weights != acts else f"{weights} x {acts}"
        computed = self.compute_pair.replace("x", " x ", 1)
        passes = f", {self.passes:g} pass{'es' if self.passes != 1 else ''}" if self.mode is ComputeMode.EMULATED \
            or self.passes != 1 else ""
        converted = f", {self.converted_operand} converted" if self.converted_operand else ""
        how = {ComputeMode.NATIVE: "natively", ComputeMode.EMULATED: f"emulated{passes}",
               ComputeMode.PROMOTED: f"{self.converted_operand} converted{passes}",
               ComputeMode.SUBSTITUTED: f"--compute-as: {device} runs no {self.requested_pair}{converted}{passes}",
               }[self.mode]
        return f"{what} computed as {computed} ({how}) on {device} {self.engine.name}"

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


def select_engine(device: Device, weight_fmt: NumberFormat, act_fmt: NumberFormat,
                  matmul_precision: MatmulPrecision = MatmulPrecision.DEFAULT,
                  compute_as: str | None = None) -> EngineChoice:
    """Apply the rules of the module docstring; raise SpecError naming the device file when nothing fits.

    Args:
        compute_as: a pair ('bf16xbf16') to compute any pair the device lacks as (the run's --compute-as).
    """
    pair = pair_name(weight_fmt, act_fmt)
    for engine in device.matrix_engines:
        entry = engine.precisions.get(pair)
        if entry is not None and entry.support is Support.REJECTED:
            if compute_as is not None:
                return _substituted(device, weight_fmt, act_fmt, compute_as, matmul_precision)
            raise SpecError(device.file, f"matrix_engines[{engine.index}].precisions.{pair}",
                            f"expected a precision {device.name} supports; rejected because {entry.reason}"
                            f"{_nearest_hint(device, pair)}", pair)
        choice = _direct(engine, weight_fmt, act_fmt) or _promoted(engine, weight_fmt, act_fmt)
        if choice is not None:
            return _with_precision(choice, matmul_precision)
    if compute_as is not None:
        return _substituted(device, weight_fmt, act_fmt, compute_as, matmul_precision)
    raise _unsupported(device, pair)


def runnable_pairs(device: Device) -> list[str]:
    """Pairs some engine of the device runs natively or emulated, in file order."""
    return list(dict.fromkeys(p for e in device.matrix_engines for p, s in e.precisions.items()
                              if s.support is not Support.REJECTED))


def check_compute_as(device: Device, compute_as: str) -> None:
    """--compute-as must name a pair the device runs itself (else nothing could be computed as it)."""
    pairs = runnable_pairs(device)
    if compute_as not in pairs:
        raise SpecError(None, "--compute-as", f"a pair {device.name} runs ({', '.join(pairs)})", compute_as)


def _substituted(device: Device, weight_fmt: NumberFormat, act_fmt: NumberFormat, compute_as: str,
                 precision: MatmulPrecision) -> EngineChoice:
    """The requested pair computed as `compute_as` on the first engine that runs it (module docstring)."""
    check_compute_as(device, compute_as)
    weight_to, act_to = split_pair(compute_as)  # type: ignore[misc]  (validated by check_compute_as)
    engine = next(e for e in device.matrix_engines if compute_as in e.precisions
                  and e.precisions[compute_as].support is not Support.REJECTED)
    direct = _direct(engine, weight_to, act_to)
    assert direct is not None  # noqa: S101 -- the engine declares the pair runnable
    found = _with_precision(direct, precision)  # float32 as bf16 passes: the run's matmul precision, as unsubstituted
    converted = [name for name, have, want in (("weights", weight_fmt, weight_to), ("activations", act_fmt, act_to))
                 if have.bits < want.bits or have.is_float != want.is_float]
    operand = " and ".join(converted) or None
    choice = EngineChoice(engine, weight_fmt, act_fmt, found.compute_pair, ComputeMode.SUBSTITUTED, found.passes,
                          operand, act_to if operand else None)
    return replace(choice, matmul_precision=precision)


def nearest_pair(device: Device, pair: str) -> str | None:
    """The runnable pair closest to `pair`, ranked by: operands of the same kind (float or integer), then no
    operand narrower than asked (a wider one loses no precision), then fewest bits apart, then file order.

        fp16xfp16 on a TPU (bf16, f32, int8, int4)  -> bf16xbf16   same kind, same width
        int2xint2 on a TPU                          -> int4xint4   the next wider integer
    """
    wanted = split_pair(pair)
    candidates = runnable_pairs(device)
    if wanted is None or not candidates:
        return None

    def distance(candidate: str) -> tuple[int, int, int]:
        have = split_pair(candidate)
        assert have is not None  # noqa: S101 -- device pairs are validated names
        kinds = sum(w.is_float != h.is_float for w, h in zip(wanted, have))
        bits = sum(abs(w.bits - h.bits) for w, h in zip(wanted, have))
        narrower = sum(h.bits < w.bits for w, h in zip(wanted, have))
        return kinds, narrower, bits

    return min(candidates, key=lambda c: (distance(c), candidates.index(c)))


def _nearest_hint(device: Device, pair: str) -> str:
    near = nearest_pair(device, pair)
    return f"; the nearest pair it runs is {near}: --compute-as {near} computes {pair} as {near}" if near else ""


def _with_precision(choice: EngineChoice, precision: MatmulPrecision) -> EngineChoice:
    """float32 computed on a bf16 engine: the passes are the matmul precision's, not the file's HIGHEST count."""
    computed = pair_name(choice.convert_to or choice.weight_fmt, choice.convert_to or choice.act_fmt)
    float32 = pair_name(NumberFormat.FLOAT32, NumberFormat.FLOAT32)
    bf16 = pair_name(NumberFormat.BF16, NumberFormat.BF16)
    if computed == float32 and choice.compute_pair == bf16:
        return replace(choice, passes=BF16_PASSES[precision], matmul_precision=precision)
    return replace(choice, matmul_precision=precision)


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
    weight, act = split_pair(pair)  # type: ignore[misc]  (a pair name built by pair_name)
    wider = max(weight, act, key=lambda f: f.bits)
    model = pair if weight == act else pair_name(wider, wider)  # a mixed pair runs by promotion once that one runs
    return SpecError(device.file, where,
                     f"expected a weight x activation pair an engine runs natively, emulated or by promotion "
                     f"(declared: {', '.join(declared)}){_nearest_hint(device, pair)}, or model {model} in your own "
                     f"copy of the device (hwsim devices --template {device.name}) with '{model}: {{support: emulated, "
                     f"via: ..., slowdown: {{value: ..., assumption: ...}}}}'", pair)


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
