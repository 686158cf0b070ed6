"""`hwsim validate --backend torch`: the reference RNN-T run in PyTorch (on a GPU) against the simulator.

Per component, one call is timed on the device (median of repeats, synchronized) and set beside the simulator's
cost of the same call on `--device` (a datasheet GPU file, or the measured one `hwsim calibrate --backend torch`
wrote):

| component  | timed call                                          | predicted (hwsim.cost.calls.DeviceCallCosts)       |
|------------|-----------------------------------------------------|----------------------------------------------------|
| encoder    | encode(T frames) + joint.enc_proj                   | encoder(T) segments                                |
| prediction | one step for B hypotheses + joint.pred_proj         | prediction(B) segments                             |
| joint      | combine, tanh, output layer, log-softmax for B rows | joint(B) segments                                  |
| greedy     | a whole greedy decode (host reads each argmax)      | encoder + calls x (prediction(1), joint(1) +       |
|            |                                                     | transfer(1)) with the decode's own call counts     |

Components are summed serially (the eager decode does not overlap them).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hwsim.calibrate.torch_backend import time_torch
from hwsim.cost.options import Placement, RunOptions
from hwsim.reference.timed_decode import build_reference
from hwsim.reference.torch_rnnt import TorchRnnt, import_torch, synchronize
from hwsim.pipeline.point import RunRequest, prepare_point

PRECISION_OF = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}
OPTIONS = RunOptions(softmax_placement=Placement.ACCELERATOR, topk_placement=Placement.HOST)


@dataclass(frozen=True)
class TorchPoint:
    workload: str
    frames: int
    rows: tuple[int, ...]  # hypotheses per prediction/joint call


QUICK_POINTS = (TorchPoint("lstm_rnnt_small", 20, (1, 4)),)
FULL_POINTS = (TorchPoint("lstm_rnnt_small", 250, (1, 4, 8)), TorchPoint("ibm_rnnt_swb", 250, (1, 4, 8)))


def _sum(segments) -> float:
    return sum(s.duration_s for s in segments)


def validate_point(point: TorchPoint, device_name: str, torch_dev, dtype: str, repeats: int, seed: int,
                   cuda_graphs: bool | None = None) -> list[dict[str, object]]:
    torch = import_torch()
    reference = build_reference(point.workload, seed=seed)
    model = TorchRnnt(reference.model, torch_dev, dtype)
    features = reference.features(point.frames, seed)
    options = RunOptions(softmax_placement=OPTIONS.softmax_placement, topk_placement=OPTIONS.topk_placement,
                         cuda_graphs=cuda_graphs)
    request = RunRequest(workload=point.workload, precision=PRECISION_OF[dtype], device=device_name,
                         frames=point.frames, beam=max(point.rows), overlap=False, options=options)
    costs = prepare_point(request).costs
    time = lambda fn: time_torch(fn, torch_dev, repeats, 0.0)[0]
    rows = [_row(point, "encoder", point.frames, time(lambda: model.project_encoder(model.encode(features))),
                 _sum(costs.encoder(point.frames)))]
    enc = model.project_encoder(model.encode(features))
    for batch in point.rows:
        labels = torch.ones(batch, dtype=torch.int64, device=torch_dev)
        h, c = model.initial_state(batch)
        pred = lambda: model.project_prediction(model.predict(labels, h, c)[0])
        pred_proj = pred()
        enc_rows = enc[:1].expand(batch, -1)
        rows.append(_row(point, "prediction", batch, time(pred), _sum(costs.prediction(batch))))
        rows.append(_row(point, "joint", batch, time(lambda: model.joint(enc_rows, pred_proj)), _sum(costs.joint(batch))))
    synchronize(torch_dev)
    _, counts = model.greedy(features, reference.max_symbols)
    greedy_s = time(lambda: model.greedy(features, reference.max_symbols))
    predicted = (_sum(costs.encoder(point.frames)) + counts["prediction"] * _sum(costs.prediction(1))
                 + counts["joint"] * (_sum(costs.joint(1)) + _sum(costs.transfer(1))))
    rows.append(_row(point, "greedy_end_to_end", 1, greedy_s, predicted))
    return rows


def _row(point: TorchPoint, component: str, rows: int, measured_s: float, predicted_s: float) -> dict[str, object]:
    return {"workload": point.workload, "frames": point.frames, "component": component, "rows": rows,
            "measured_s": measured_s, "predicted_s": predicted_s,
            "error_pct": 100.0 * (predicted_s - measured_s) / measured_s}


def run_torch_points(points, device_name: str, torch_dev, dtype: str, repeats: int, seed: int,
                     cuda_graphs: bool | None = None) -> pd.DataFrame:
    records = []
    for point in points:
        records += validate_point(point, device_name, torch_dev, dtype, repeats, seed, cuda_graphs)
    return pd.DataFrame.from_records(records)


def torch_summary(frame: pd.DataFrame) -> dict[str, object]:
    per = {c: {"median_abs_error_pct": float(g.error_pct.abs().median()),
               "worst_abs_error_pct": float(g.error_pct.abs().max())} for c, g in frame.groupby("component", sort=False)}
    return {"points": int(len(frame)), "median_abs_error_pct": float(frame.error_pct.abs().median()),
            "per_component": per}
