"""Decode schedules: the ordered network calls and CPU work of one utterance, independent of timing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DecodeStep:
    """One synchronous step of a decoder.

    Attributes:
        frame: encoder frame (0-based) the step needs; the step cannot start before that frame is encoded.
        prediction_rows: label histories run through the prediction network before the joint (after cache hits).
        cache_hits: label histories served from the prediction-network cache instead.
        joint_rows: (hypothesis, frame) pairs scored by the joint network.
        hyps: live hypotheses the CPU search sorts/prunes after the joint.
    """

    frame: int
    prediction_rows: int
    cache_hits: int
    joint_rows: int
    hyps: int


@dataclass(frozen=True)
class DecodeSchedule:
    algorithm: str
    beam: int
    frames: int
    steps: tuple[DecodeStep, ...]
    labels: int  # labels on the best path
    max_symbols: int | None = None  # the search's per-frame label cap, when recorded
    vocab: int | None = None  # joint outputs incl. blank, when recorded

    @property
    def prediction_calls(self) -> int:
        """Prediction-network calls (one per step that runs it, batched over its rows)."""
        return sum(1 for s in self.steps if s.prediction_rows)

    @property
    def prediction_rows(self) -> int:
        return sum(s.prediction_rows for s in self.steps)

    @property
    def joint_calls(self) -> int:
        return sum(1 for s in self.steps if s.joint_rows)

    @property
    def joint_rows(self) -> int:
        return sum(s.joint_rows for s in self.steps)

    @property
    def cache_hits(self) -> int:
        return sum(s.cache_hits for s in self.steps)


def schedule_to_dict(schedule: DecodeSchedule) -> dict[str, object]:
    """JSON-ready form of a schedule (the decode-trace file format: `hwsim simulate --replay FILE`; read back and
    validated by hwsim.decode.schedule_io)."""
    return {"algorithm": schedule.algorithm, "beam": schedule.beam, "frames": schedule.frames,
            "labels": schedule.labels,
            **{key: getattr(schedule, key) for key in ("max_symbols", "vocab") if getattr(schedule, key) is not None},
            "steps": [[s.frame, s.prediction_rows, s.cache_hits, s.joint_rows, s.hyps] for s in schedule.steps],
            "step_fields": ["frame", "prediction_rows", "cache_hits", "joint_rows", "hyps"]}
