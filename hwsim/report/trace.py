"""Chrome-trace JSON (Perfetto / chrome://tracing): one lane per resource, one slice per segment."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from hwsim.jsonout import dumps
from hwsim.sim.engine import TraceRecord
from hwsim.units import US_PER_S


def chrome_trace(records: Iterable[TraceRecord], title: str = "hwsim") -> dict[str, object]:
    records = list(records)
    lanes = {name: index for index, name in enumerate(sorted({r.resource for r in records}), start=1)}
    events: list[dict[str, object]] = [{"name": "process_name", "ph": "M", "pid": 1, "args": {"name": title}}]
    events += [{"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": lane}}
               for lane, tid in lanes.items()]
    events += [{
        "name": r.op, "cat": r.component, "ph": "X", "pid": 1, "tid": lanes[r.resource],
        "ts": r.start_s * US_PER_S, "dur": (r.end_s - r.start_s) * US_PER_S,
        "args": {"process": r.process, "component": r.component},
    } for r in records]
    return {"traceEvents": events, "displayTimeUnit": "ms"}


def write_chrome_trace(records: Iterable[TraceRecord], path: Path, title: str = "hwsim") -> None:
    Path(path).write_text(dumps(chrome_trace(records, title), indent=None))
