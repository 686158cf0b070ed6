"""Start-up time of the CLI: `hwsim --help` and every `hwsim VERB --help` must stay under 0.3 s on a 2-core
machine (issues 13 and 29), so verbs import pandas, matplotlib and the cost model only when they run.

Run: python benchmarks/bench_cli.py [--repeats N]
Reports the median and worst wall time of each command as a fresh process (the installed console script when
it is on PATH, else `python -m hwsim.cli`), next to a bare `python -c pass` for the interpreter's own share.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

BUDGET_S = 0.3
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hwsim.cli import COMMANDS as VERBS  # noqa: E402  (light: the verb table only)

COMMANDS = (["--help"], ["--version"], ["schema", "workload"], ["devices"], *([verb, "--help"] for verb in VERBS))


def wall_times_s(argv: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    script = shutil.which("hwsim")
    base = [script] if script else [sys.executable, "-m", "hwsim.cli"]
    rows = [("python -c pass", wall_times_s([sys.executable, "-c", "pass"], args.repeats))]
    rows += [("hwsim " + " ".join(cmd), wall_times_s(base + cmd, args.repeats)) for cmd in COMMANDS]
    for label, times in rows:
        print(f"{label:28s} median {statistics.median(times) * 1e3:7.1f} ms   worst {max(times) * 1e3:7.1f} ms")
    helps = [(label, statistics.median(times)) for label, times in rows[1:] if label.endswith("--help")]
    over = [label for label, median in helps if median >= BUDGET_S]
    print(f"{len(helps) - len(over)} of {len(helps)} --help commands within the {BUDGET_S} s budget"
          + (f"; OVER: {', '.join(over)}" if over else ""))
    return 0 if not over else 1


if __name__ == "__main__":
    sys.exit(main())
