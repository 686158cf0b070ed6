"""Machine facts recorded beside a calibration: CPU, cores, nominal clock, memory, BLAS and its threads.

BLAS threads are read (and set, for `--threads`) through threadpoolctl when it is installed, else through
OpenBLAS's own C entry points found among the loaded libraries (numpy wheels bundle scipy-openblas), else
from the *_NUM_THREADS environment variables. `blas_threads_via` says which one answered.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import platform
import re
from pathlib import Path

import numpy as np

_OPENBLAS_GET = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads")
_OPENBLAS_SET = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads")
_THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def cpu_model() -> str:
    found = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.M)
    return found.group(1).strip() if found else (platform.processor() or platform.machine())


def physical_cores() -> int:
    """Distinct (physical id, core id) pairs in /proc/cpuinfo; the logical CPU count when absent."""
    text = _read("/proc/cpuinfo")
    pairs = set(re.findall(r"physical id\s*:\s*(\d+).*?core id\s*:\s*(\d+)", text, re.S))
    return len(pairs) or (os.cpu_count() or 1)


def nominal_clock_hz() -> float | None:
    """The `cpu MHz` figure of /proc/cpuinfo (first CPU): the kernel's view, not a guaranteed sustained clock."""
    found = re.search(r"^cpu MHz\s*:\s*([\d.]+)$", _read("/proc/cpuinfo"), re.M)
    return float(found.group(1)) * 1e6 if found else None


def memory_bytes() -> int | None:
    found = re.search(r"^MemTotal:\s*(\d+) kB$", _read("/proc/meminfo"), re.M)
    return int(found.group(1)) * 1024 if found else None


def blas_library() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '?')}"
    except Exception:  # numpy < 1.26 or an unusual build: the fact is optional
        return "unknown"


def _openblas_function(names: tuple[str, ...]):
    for line in _read("/proc/self/maps").splitlines():
        path = line.split()[-1] if line.split() else ""
        if "openblas" not in path.lower():
            continue
        library = ctypes.CDLL(path)
        for name in names:
            if hasattr(library, name):
                return getattr(library, name)
    return None


def blas_threads() -> tuple[int | None, str]:
    """(threads, how it was read)."""
    try:
        import threadpoolctl  # optional
        info = [p for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
        if info:
            return int(info[0]["num_threads"]), "threadpoolctl"
    except ImportError:
        pass
    getter = _openblas_function(_OPENBLAS_GET)
    if getter is not None:
        return int(getter()), "openblas_get_num_threads"
    for name in _THREAD_ENV:
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name]), name
    return None, "unknown"


def set_blas_threads(threads: int) -> bool:
    """Limit BLAS to `threads` threads for the rest of the process; False when no way to do it was found."""
    try:
        import threadpoolctl
        threadpoolctl.threadpool_limits(limits=threads, user_api="blas")
        return True
    except ImportError:
        pass
    setter = _openblas_function(_OPENBLAS_SET)
    if setter is None:
        return False
    setter(int(threads))
    return True


def four_kib_pages() -> str:
    """Stop numpy advising huge pages for its large arrays (it does on Linux since numpy 1.20); returns how the
    process's arrays are backed: '4KiB' when set, or 'default' when this numpy has no such switch.

    Whether the kernel grants a 2 MiB page depends on its free memory at that moment, so the same 9 MiB weight
    GEMM ran 1.5-1.9x apart between two processes on this project's 2-core machine, the same within each.
    Calibration and validation both time on 4 KiB pages so that a figure does not depend on that draw."""
    for module in ("_core", "core"):
        switch = getattr(getattr(getattr(np, module, None), "multiarray", None), "_set_madvise_hugepage", None)
        if switch is not None:
            switch(False)
            return "4KiB"
    return "default"


def machine_facts() -> dict[str, str | int | float]:
    threads, via = blas_threads()
    facts: dict[str, str | int | float] = {
        "cpu_model": cpu_model(), "physical_cores": physical_cores(), "logical_cpus": os.cpu_count() or 1,
        "nominal_clock_hz": nominal_clock_hz() or 0.0, "memory_bytes": memory_bytes() or 0,
        "blas": blas_library(), "blas_threads": threads or 0, "blas_threads_via": via,
        "numpy_version": np.__version__, "python_version": platform.python_version(),
        "platform": platform.platform(), "date_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return facts
