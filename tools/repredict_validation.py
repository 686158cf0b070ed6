"""Predict a validation report's points again with the current cost model, against that run's measured times.

`hwsim validate` keeps the calibrated device it predicted with next to its report (`device.yaml`) and the
measured seconds per point and component in `results.csv`. This replays each point's real decoder schedule
(decoded again: the same seeded model and utterance give the same schedule, counts only, nothing timed) on that
device with today's cost model and prints the errors against the stored measurements, beside the report's own:

    python tools/repredict_validation.py reports/validation
    python tools/repredict_validation.py reports/validation_onnxruntime

A cost-model change is then judged on real measurements without a new, noisy calibrate + validate run. It is a
check on a change, not a fit: several reports (runs) should agree before a change is kept.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import pandas as pd
import yaml

from hwsim.decode.registry import Algorithm
from hwsim.reference.timed_decode import build_reference, run_utterance
from hwsim.validation.grid import Point
from hwsim.validation.runner import COMPONENTS, error_pct, predict_point

ALL = COMPONENTS + ("end_to_end",)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a folder written by hwsim validate --out")
    args = parser.parse_args()
    config = yaml.safe_load((args.report / "resolved_config.yaml").read_text())
    device = str(args.report / config.get("device_copy", "device.yaml"))
    runtime, seed = config.get("runtime", "numpy"), int(config.get("seed", 0))
    frame = pd.read_csv(args.report / "results.csv")
    errors = {c: ([], []) for c in ALL}  # (report's own, re-predicted)
    references = {}
    for key, rows in frame.groupby(["workload", "frames", "beam", "algorithm"], sort=False):
        point = Point(key[0], int(key[1]), int(key[2]), Algorithm(key[3]))
        if point.workload not in references:
            references[point.workload] = build_reference(point.workload, seed=seed)
        reference = references[point.workload]
        schedule = run_utterance(reference, reference.features(point.frames, seed), point.algorithm,
                                 point.beam).schedule
        predicted, _ = predict_point(point, reference.model.vocab, schedule, device, runtime)
        predicted["end_to_end"] = sum(predicted[c] for c in COMPONENTS)
        for component in ALL:
            row = rows[rows.component == component].iloc[0]
            errors[component][0].append(abs(row.error_pct))
            errors[component][1].append(abs(error_pct(predicted[component], row.measured_s)))
    print(f"{args.report} ({runtime}): median / worst |error| over {len(errors['end_to_end'][0])} points, "
          "the report's own -> the current cost model's")
    for component, (before, after) in errors.items():
        print(f"  {component:11s} {statistics.median(before):5.1f} / {max(before):5.1f} %  ->  "
              f"{statistics.median(after):5.1f} / {max(after):5.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
