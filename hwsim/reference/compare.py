"""How far the simulator's statistical emission model is from a real decode at the same label rate."""

from __future__ import annotations

from hwsim.decode.schedule import DecodeSchedule

COUNTS = ("steps", "prediction_rows", "prediction_calls", "joint_rows", "joint_calls", "cache_hits", "labels")


def _count(schedule: DecodeSchedule, name: str) -> int:
    return len(schedule.steps) if name == "steps" else int(getattr(schedule, name))


def compare_counts(real: DecodeSchedule, simulated: DecodeSchedule) -> dict[str, dict[str, float | None]]:
    """{count: {real, simulated, diff (simulated - real), diff_pct (of real; None when real is 0)}}."""
    table = {}
    for name in COUNTS:
        r, s = _count(real, name), _count(simulated, name)
        table[name] = {"real": r, "simulated": s, "diff": s - r, "diff_pct": 100.0 * (s - r) / r if r else None}
    return table
