"""Wall time of the foundation steps: build each graph, plan a precision, account its size, check all claims.

Run: python benchmarks/bench_size.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from hwsim.io.paths import CLAIMS_DIR
from hwsim.size import account_size
from hwsim.size.claims import check_claims
from hwsim.specs.claims import ClaimsSpec
from hwsim.specs.load import load_spec
from hwsim.precision.resolved import resolve_model

CASES = [("usm_rnnt_1b", "exp5"), ("ibm_rnnt_swb", "int4"), ("dblstm_hmm_2000", "int4")]


def median_time_s(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    for workload, precision in CASES:
        model = resolve_model(workload, precision)
        t_resolve = median_time_s(lambda: resolve_model(workload, precision))
        t_size = median_time_s(lambda: account_size(model.graph, model.plan))
        print(f"{workload:16s} {precision:6s} tensors={len(model.graph.tensors):4d} ops={len(model.graph.ops):4d} "
              f"load+build+plan {t_resolve * 1e3:7.1f} ms   size {t_size * 1e3:6.2f} ms")
    files = sorted(Path(CLAIMS_DIR).glob("*.yaml"))
    t_check = median_time_s(lambda: [check_claims(load_spec(ClaimsSpec, f), f) for f in files], repeats=3)
    print(f"all claims ({len(files)} files): {t_check:.2f} s")


if __name__ == "__main__":
    main()
