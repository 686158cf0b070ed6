"""The per-op cost table of one workload x precision x device at given frames and beam.

Encoder ops are costed over the whole utterance (recurrent ops once per step, `count` = steps). Decoder ops
are costed for one call on `beam` rows, with `count` = that call's number in the run's decode schedule, so
`total_time_s` is the serial (no-overlap) estimate; `hwsim simulate` uses each step's exact rows. Launch
latencies, recurrent-step latency and the host's per-row gathers are rows of their own (kind `latency` /
`gather`), so the breakdown shows what per-call costs add.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from hwsim.cost.calls import DeviceCallCosts
from hwsim.cost.ops import OpCost

COLUMNS = ["name", "component", "engine", "kind", "rows", "count", "time_s", "total_time_s", "flops", "bytes",
           "bound", "utilization", "compute_s", "memory_s", "conversion_s", "overhead_s", "weight_format",
           "activation_format", "compute_pair", "weight_location"]


class CallCounts(Protocol):
    """What the table needs of a decode schedule (hwsim.decode.schedule.DecodeSchedule has these): cost/ sits
    below decode/ in the layers, so it names the counts it reads instead of importing the schedule."""

    @property
    def prediction_calls(self) -> int: ...

    @property
    def joint_calls(self) -> int: ...

    @property
    def labels(self) -> int: ...


def _row(cost: OpCost, count: int) -> dict[str, object]:
    return {"name": cost.op, "component": cost.component, "engine": cost.resource, "kind": cost.kind,
            "rows": cost.rows, "count": count, "time_s": cost.time_s, "total_time_s": cost.time_s * count,
            "flops": cost.flops, "bytes": cost.bytes, "bound": cost.bound, "utilization": cost.utilization,
            "compute_s": cost.compute_s, "memory_s": cost.memory_s, "conversion_s": cost.conversion_s,
            "overhead_s": cost.overhead_s, "weight_format": cost.weight_format,
            "activation_format": cost.activation_format, "compute_pair": cost.compute_pair,
            "weight_location": cost.weight_location, **{f"gemm_{k}": v for k, v in cost.breakdown.items()}}


def cost_table(costs: DeviceCallCosts, frames: int, beam: int, schedule: CallCounts | None) -> pd.DataFrame:
    """One row per op and per latency (launches, recurrent-step latency, gathers), each with its call count."""
    rows = [_row(costs.latency_cost("encoder"), 1), _row(costs.step_latency_cost(), costs.recurrent_steps(frames))]
    for op in costs.encoder_ops:
        rows.append(_row(costs.op_cost(op, op.rows_per_invocation(frames)), op.invocations(frames)))
    if schedule is not None:
        calls = {"prediction": schedule.prediction_calls, "joint": schedule.joint_calls}
        for component, ops in (("prediction", costs.prediction_ops), ("joint", costs.joint_ops)):
            rows += [_row(costs.latency_cost(component, beam), calls[component]),
                     _row(costs.gather_cost(component, beam), calls[component])]
            rows += [_row(costs.op_cost(op, beam), calls[component]) for op in ops]
        if costs.search_on_accelerator:
            rows.append(_row(costs.final_transfer_cost(beam, schedule.labels), 1))
            rows.append(_row(costs.latency_cost("search"), schedule.joint_calls))
        else:
            rows.append(_row(costs.transfer_cost(beam), schedule.joint_calls))
        rows.append(_row(costs.search_cost(beam), schedule.joint_calls))
    frame = pd.DataFrame(rows)
    ordered = COLUMNS + [c for c in frame.columns if c not in COLUMNS]
    return frame[ordered]


def component_totals(frame: pd.DataFrame) -> dict[str, float]:
    return {str(k): float(v) for k, v in frame.groupby("component", sort=False)["total_time_s"].sum().items()}
