"""Calibration results -> a device YAML whose every figure is `measured:` (or a stated assumption).

How the measured rates become the schema's per-cycle figures (the cost model multiplies them back):

| figure                                  | value                                                          |
|-----------------------------------------|----------------------------------------------------------------|
| clock_hz (engine, vector unit, host)    | nominal clock from /proc/cpuinfo `cpu MHz` (1 GHz if absent)   |
| matrix engine cores                     | BLAS threads during the run                                    |
| float32xfloat32 ops_per_cycle           | best float32 GEMM FLOP/s / (BLAS threads x clock)              |
| matrix engine rows x cols               | 1 x 1: one "PE" per thread, so MACs / peak = measured time     |
| vector unit count, ops_per_cycle        | 1 (numpy ufuncs are single-threaded); median sigmoid/tanh/exp   |
|                                         | elements/s on the largest array / clock                        |
| dram bandwidth_gb_per_s                 | large-array np.copyto, 2 x nbytes per copy                     |
| modelling.overhead_s                    | median time of a (1 x 8) @ (8 x 8) float32 np.matmul call      |
| host_cpu.search_step_overhead_s         | the same per-call overhead: one numpy call of fixed cost a step |
| host_cpu.per_candidate_s                | the `candidate` benchmark: bookkeeping time per candidate       |
| modelling.transcendental_ops_per_element| 1: the vector rate is itself measured on sigmoid/tanh/exp       |

With the runtime benchmarks (hwsim.calibrate.runtime_calls, run by `hwsim calibrate` after the suite), four
figures are replaced by fits on a tiny RNN-T run through the runtime's own code: host_cpu.search_step_overhead_s
and per_candidate_s (the registry's searches), modelling.step_latency_s (the encoder's per-step Python loop) and
modelling.runtime_calls (per prediction / joint call: fixed and per-row glue).

So peak_ops_per_s('float32', 'float32') equals the best measured GEMM rate; small-M GEMMs are far below it,
and the raw table under `calibration.measurements` keeps every shape for a shape-aware cost model.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import yaml

from hwsim.calibrate.microbench import Measurement
from hwsim.calibrate.runtime_calls import LinearFit as RuntimeFit, RuntimeCalibration
from hwsim.io.outputs import atomic_write_text
from hwsim.specs.device import validate_device_spec
from hwsim.specs.schema import modeline
from hwsim.units import GIGA

FALLBACK_CLOCK_HZ = 1e9


class _PlainDumper(yaml.SafeDumper):
    """No &id001 anchors: the clock figure is repeated in full wherever it is used."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _measured(value: float, how: str) -> dict[str, Any]:
    return {"value": float(value), "measured": how}


def _count(value: int, how: str) -> dict[str, Any]:
    return {"value": int(value), "measured": how}


def _best(measurements: list[Measurement], benchmark: str, dtype: str | None = None) -> Measurement:
    found = [m for m in measurements if m.benchmark == benchmark and (dtype is None or m.dtype == dtype)]
    return max(found, key=lambda m: m.rate_per_s)


def _clock(facts: dict[str, Any]) -> dict[str, Any]:
    if facts.get("nominal_clock_hz"):
        return _measured(facts["nominal_clock_hz"], "nominal clock read from /proc/cpuinfo 'cpu MHz' (not a "
                                                    "sustained-clock measurement; per-cycle figures are derived from it)")
    return {"value": FALLBACK_CLOCK_HZ, "assumption": "no clock in /proc/cpuinfo; 1 GHz normalises per-cycle figures, "
                                                      "which are measured rate / clock, so peak rates stay measured"}


def _vector_rate(measurements: list[Measurement]) -> tuple[float, str]:
    largest = max(m.shape[0] for m in measurements if m.benchmark == "tanh")
    picked = [m for m in measurements if m.benchmark in ("sigmoid", "tanh", "exp") and m.shape[0] == largest]
    rate = statistics.median(m.rate_per_s for m in picked)
    how = "; ".join(m.describe() for m in picked)
    return rate, f"median element rate of sigmoid, tanh, exp over {largest} float32 elements: {how}"


def _fused_recurrence(facts: dict[str, Any]) -> dict[str, Any]:
    if facts.get("runtime") == "onnxruntime":
        return {"value": True, "assumption": "the exported encoder is one ONNX LSTM op per layer and direction: "
                "onnxruntime runs its steps inside one kernel, with no per-op call overhead"}
    return {"value": False, "assumption": "numpy runs each op of a recurrent step as its own call"}


def _vector_overhead(facts: dict[str, Any]) -> dict[str, Any]:
    if facts.get("runtime") == "onnxruntime":
        return {"value": "per_op", "assumption": "onnxruntime's kernels (LSTM, fused element-wise) pay the measured "
                "per-call overhead once per op, not once per element-wise pass"}
    return {"value": "per_pass", "assumption": "numpy evaluates element-wise work one ufunc call per operation, "
            "each paying the measured per-call overhead"}


def device_document(name: str, facts: dict[str, Any], measurements: list[Measurement],
                    runtime: RuntimeCalibration | None = None) -> dict[str, Any]:
    """The device file as a mapping (validated by the caller before it is written). With `runtime` (the tiny-model
    fits of hwsim.calibrate.runtime_calls) the per-call, per-step and search figures come from it."""
    clock = _clock(facts)
    threads = int(facts.get("blas_threads") or 1)
    gemm = _best(measurements, "gemm", "float32")
    per_thread_cycle = gemm.rate_per_s / (threads * clock["value"])
    gemm_how = f"best float32 GEMM {gemm.describe()} / ({threads} BLAS threads x clock)"
    vector_rate, vector_how = _vector_rate(measurements)
    copy, call = _best(measurements, "copy"), _best(measurements, "matmul_call")
    candidate = _best(measurements, "candidate")
    threads_how = f"BLAS threads during the run ({facts.get('blas_threads_via')}); {facts.get('blas')}"
    document = {
        "schema_version": 1,
        "name": name,
        "description": f"this machine as measured by hwsim calibrate: {facts.get('cpu_model')}, "
                       f"{facts.get('physical_cores')} cores, numpy {facts.get('numpy_version')} on {facts.get('blas')}",
        "matrix_engines": [{
            "name": "numpy_blas",
            "cores": _count(threads, threads_how),
            "arrays_per_core": {"value": 1, "assumption": "one BLAS thread = one array"},
            "rows": {"value": 1, "assumption": "1 x 1 'array' per thread, so the cost model's MACs / peak is the measured time"},
            "cols": {"value": 1, "assumption": "see rows"},
            "clock_hz": clock,
            "precisions": {"float32xfloat32": {"support": "native", "ops_per_cycle": _measured(per_thread_cycle, gemm_how)}},
        }],
        "vector_units": [{
            "name": "numpy_ufunc",
            "count": {"value": 1, "assumption": "numpy element-wise ufuncs run on one thread"},
            "clock_hz": clock,
            "ops_per_cycle": _measured(vector_rate / clock["value"], f"{vector_how}; divided by the clock"),
            "formats": ["float32"],
        }],
        "memory": [{
            "name": "dram",
            "capacity_bytes": _measured(facts.get("memory_bytes") or 1, "MemTotal in /proc/meminfo"),
            "bandwidth_gb_per_s": _measured(copy.rate_per_s / GIGA, f"{copy.describe()}; 2 x nbytes per copy"),
        }],
        "host_cpu": {
            "cores": _count(facts.get("physical_cores") or 1, "distinct (physical id, core id) in /proc/cpuinfo"),
            "clock_hz": clock,
            "flops_per_cycle_per_core": _measured(per_thread_cycle, gemm_how),
            "memory_bandwidth_gb_per_s": _measured(copy.rate_per_s / GIGA, copy.describe()),
            "search_step_overhead_s": _measured(1.0 / call.rate_per_s, f"fixed numpy-call overhead per step: {call.describe()}"),
            "per_candidate_s": _measured(1.0 / candidate.rate_per_s, f"beam-search bookkeeping per candidate: {candidate.describe()}"),
        },
        "modelling": {
            "dataflow": {"value": "os", "assumption": "BLAS micro-kernels keep a C tile in registers: output stationary"},
            "weight_load": {"value": "overlapped", "assumption": "no stationary weight tile in the os dataflow; knob unused"},
            "fill_drain": {"value": "once", "assumption": "1 x 1 arrays have no skew; knob unused"},
            "overhead_s": _measured(call.median_s, f"per-call overhead: {call.describe()}"),
            "operand_memory": {"value": "dram", "assumption": "the only measured level"},
            "conversion_ops_per_element": {"value": 2, "assumption": "convert + multiply by the scale"},
            "transcendental_ops_per_element": _measured(1, f"the vector-unit rate is measured on sigmoid/tanh/exp ({vector_how})"),
            "vector_overhead": _vector_overhead(facts),
            "fused_recurrence": _fused_recurrence(facts),
        },
        "calibration": {"machine": dict(facts), "measurements": [m.as_dict() for m in measurements]},
    }
    return document if runtime is None else _with_runtime(document, runtime)


def _fitted(value: float, fit: RuntimeFit, what: str) -> dict[str, Any]:
    return _measured(value, fit.describe(what))


def _with_runtime(document: dict[str, Any], runtime: RuntimeCalibration) -> dict[str, Any]:
    """The runtime's own per-call glue, per recurrent step and search costs, measured on a tiny model."""
    calls = {}
    for component, fit in (("prediction", runtime.prediction), ("joint", runtime.joint)):
        fixed, per_row = fit.coefficients
        calls[component] = {"fixed_s": _fitted(fixed, fit, f"fixed host time of one {component} call beyond its ops"),
                            "per_row_s": _fitted(per_row, fit, f"host time per row of a {component} call beyond its ops")}
    if runtime.cold is not None:
        calls["cold_cache_factor"] = _measured(runtime.cold.value, runtime.cold.describe())
    modelling = document["modelling"]
    modelling["step_latency_s"] = _fitted(runtime.encoder_step.coefficients[0], runtime.encoder_step,
                                          "host time per recurrent encoder step beyond its ops (the Python loop)")
    modelling["runtime_calls"] = calls
    step, candidate = runtime.search.coefficients
    host = document["host_cpu"]
    host["search_step_overhead_s"] = _fitted(step, runtime.search, "search time per step (the registry's five searches)")
    host["per_candidate_s"] = _fitted(candidate, runtime.search, "search time per candidate (rows x (k + 1))")
    host["search_by_algorithm"] = {
        name: {"step_s": _fitted(fit.coefficients[0], fit, f"{name} search time per step"),
               "per_candidate_s": _fitted(fit.coefficients[1], fit, f"{name} search time per candidate")}
        for name, fit in runtime.search_by_algorithm}
    document["calibration"]["measurements"] += [m.as_dict() for m in runtime.measurements]
    return document


HEADER = ("# Written by `hwsim calibrate`; every figure is measured on this machine (see calibration.machine)\n"
          "# or a stated assumption. Rerun the command rather than editing. Raw benchmark table: calibration.measurements.\n")


def write_device(path: str | Path, facts: dict[str, Any], measurements: list[Measurement],
                 runtime: RuntimeCalibration | None = None) -> dict[str, Any]:
    """Validate the document against DeviceSpec, then write it atomically; returns the document."""
    path = Path(path)
    document = device_document(path.stem, facts, measurements, runtime)
    validate_device_spec(document, path)  # never write a file load_device would reject
    atomic_write_text(path, modeline("device", path) + "\n" + HEADER + yaml.dump(document, Dumper=_PlainDumper, sort_keys=False, width=120))
    return document
