"""Chrome-trace JSON (Perfetto / chrome://tracing) of one simulated utterance.

Lanes follow the data flow: encoder, prediction network and joint on the accelerator (one lane per resource
each: matrix, vector, memory), then the host link, then the host CPU (one lane per component it works for).
Every event is one op with its full name; its args carry FLOPs, bytes, what bounds it and the precision pair
it is computed in. Recurrent encoder steps that the simulator ran as one block ("x152") stay one event per op
group unless `steps=True`, which writes every step (exact: the block is that many identical steps back to back).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from hwsim.io.jsonout import dumps
from hwsim.cost.segments import OpInfo
from hwsim.sim.records import TraceRecord
from hwsim.units import US_PER_S

LANE_GROUPS = ("encoder", "prediction", "joint", "link", "host")
RESOURCE_ORDER = ("matrix", "vector", "memory")
ACCELERATOR_COMPONENTS = ("encoder", "prediction", "joint")
TIME_TOLERANCE = 1e-9  # relative: an op list whose times do not add up to the segment is not split


def lane_of(record: TraceRecord) -> tuple[str, str]:
    """(group, lane name): accelerator work by component and resource, the link, host work by component."""
    if record.resource == "link":
        return "link", "link"
    if record.resource == "cpu" or record.component not in ACCELERATOR_COMPONENTS:
        return "host", f"host: {record.component}"
    return record.component, f"{record.component}: {record.resource}"


def _lane_key(record: TraceRecord) -> tuple[int, int, str]:
    group, name = lane_of(record)
    resource = RESOURCE_ORDER.index(record.resource) if record.resource in RESOURCE_ORDER else len(RESOURCE_ORDER)
    return LANE_GROUPS.index(group), resource, name


def _args(record: TraceRecord, ops: tuple[OpInfo, ...], repeat: int) -> dict[str, object]:
    args: dict[str, object] = {"process": record.process, "component": record.component, "resource": record.resource}
    if ops:
        slowest = max(ops, key=lambda op: op.time_s)
        args.update({"flops": sum(op.flops for op in ops) * repeat, "bytes": sum(op.bytes for op in ops) * repeat,
                     "bound": slowest.bound,
                     "precision": ", ".join(dict.fromkeys(op.precision for op in ops if op.precision)) or "n/a"})
    if repeat > 1:
        args["steps"] = repeat
    if len(ops) > 1:
        args["ops"] = [op.name for op in ops]
    return args


def _splittable(record: TraceRecord) -> bool:
    segment = record.segment
    if segment is None or not segment.ops:
        return False
    total = sum(op.time_s for op in segment.ops) * segment.repeat
    return abs(total - (record.end_s - record.start_s)) <= TIME_TOLERANCE * max(total, 1e-30) + 1e-15


def _pieces(record: TraceRecord, steps: bool) -> Iterator[tuple[str, float, float, dict[str, object]]]:
    """(name, start_s, end_s, args) of each event one trace record becomes."""
    segment = record.segment
    if not _splittable(record):
        ops = segment.ops if segment is not None else ()
        repeat = segment.repeat if segment is not None else 1
        yield record.op, record.start_s, record.end_s, _args(record, ops, repeat)
        return
    if segment.repeat > 1 and not steps:
        name = " + ".join(op.name for op in segment.ops) + f" x{segment.repeat}"
        yield name, record.start_s, record.end_s, _args(record, segment.ops, segment.repeat)
        return
    start = record.start_s
    for step in range(segment.repeat):
        for op in segment.ops:
            args = _args(record, (op,), 1)
            if segment.repeat > 1:
                args["step"] = step
            yield op.name, start, start + op.time_s, args
            start += op.time_s


def chrome_trace(records: Iterable[TraceRecord], title: str = "hwsim", steps: bool = False) -> dict[str, object]:
    records = sorted(records, key=lambda r: r.start_s)
    lanes: dict[str, int] = {}
    for record in sorted(records, key=_lane_key):
        lanes.setdefault(lane_of(record)[1], len(lanes) + 1)
    events: list[dict[str, object]] = [{"name": "process_name", "ph": "M", "pid": 1, "args": {"name": title}}]
    for lane, tid in lanes.items():
        events.append({"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": lane}})
        events.append({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": tid, "args": {"sort_index": tid}})
    for record in records:
        tid = lanes[lane_of(record)[1]]
        events += [{"name": name, "cat": record.component, "ph": "X", "pid": 1, "tid": tid,
                    "ts": start * US_PER_S, "dur": (end - start) * US_PER_S, "args": args}
                   for name, start, end, args in _pieces(record, steps)]
    return {"traceEvents": events, "displayTimeUnit": "ms"}


def write_chrome_trace(records: Iterable[TraceRecord], path: Path, title: str = "hwsim", steps: bool = False) -> None:
    Path(path).write_text(dumps(chrome_trace(records, title, steps), indent=None))
