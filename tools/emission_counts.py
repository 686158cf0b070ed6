"""The emission model's counts vs the real decoder's at validate's grid points, without timing anything.

`hwsim validate` checks the same counts but also times every decode (minutes); this prints only the count
tables of reports/validation's section "The simulator's own schedule vs the real decoder" (the point's own
utterance, and the reported-only counts over further utterances; under a minute), for work on
hwsim.decode.synthetic or hwsim.calibrate.decoding:

    python tools/emission_counts.py            # the full grid
    python tools/emission_counts.py --quick    # validate --quick's points

Exit 1 when an asserted count is off (as validate does).
"""

from __future__ import annotations

import argparse
from types import SimpleNamespace

from hwsim.reference.timed_decode import build_reference, run_utterance
from hwsim.validation.grid import FULL_GRID, QUICK_GRID
from hwsim.validation.counts import (check_emission, count_spreads, fit_emission, spread_seeds, statistical_schedule,
                                     unasserted_counts)
from hwsim.validation.report import asserted_lines, emission_table, spread_lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="validate --quick's points")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    references, fits, results = {}, {}, []
    for point in QUICK_GRID if args.quick else FULL_GRID:
        if point.workload not in references:
            references[point.workload] = build_reference(point.workload, seed=args.seed)
        reference = references[point.workload]
        key = (point.workload, point.algorithm)
        if key not in fits:
            fits[key] = fit_emission(reference, point.algorithm, args.seed)
        features = reference.features(point.frames, args.seed)
        real = run_utterance(reference, features, point.algorithm, point.beam).schedule
        table, ok = check_emission(point.algorithm, real,
                                   statistical_schedule(point, reference, real, fits[key]))
        spreads = count_spreads(point, reference, fits[key], spread_seeds(args.seed)) if unasserted_counts(point.algorithm) else None
        results.append(SimpleNamespace(point=point, emission_counts=table, emission_ok=ok, count_spreads=spreads))
    print("\n".join(["Asserted:", *asserted_lines(), "", emission_table(results), "", *spread_lines(results)]))
    failed = sum(not r.emission_ok for r in results)
    print(f"\nasserted counts within tolerance at {len(results) - failed}/{len(results)} points")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
