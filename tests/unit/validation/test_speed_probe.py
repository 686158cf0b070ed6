"""Speed normalisation: each decode is scaled by the probe timed next to it, not by an average."""

from __future__ import annotations

import pytest

from hwsim.validation.runner import COMPONENTS, speed_normalised


def _seconds(scale: float) -> dict[str, float]:
    return {c: scale * (i + 1) * 1e-3 for i, c in enumerate(COMPONENTS)}


def test_each_decode_is_scaled_by_its_own_probe():
    # the machine ran at half speed for one decode and at calibration speed for two: the same work each time
    samples = [(_seconds(1.0), 2e-3), (_seconds(2.0), 4e-3), (_seconds(1.0), 2e-3)]
    speed, normalised = speed_normalised(samples, probe_reference_s=2e-3)
    assert speed == pytest.approx(1.0)
    assert normalised == pytest.approx(_seconds(1.0))


def test_a_uniformly_slower_machine_is_reported_and_removed():
    samples = [(_seconds(1.5), 3e-3)] * 3
    speed, normalised = speed_normalised(samples, probe_reference_s=2e-3)
    assert speed == pytest.approx(1.5)
    assert normalised == pytest.approx(_seconds(1.0))


def test_work_is_scaled_to_the_reference_speed_by_the_probe_around_it(monkeypatch):
    from hwsim.calibrate.probe import AtReferenceSpeed, SpeedProbe

    probe = SpeedProbe()
    times = iter([2.0, 4.0])  # the probe before and after the work: the machine ran at 3 s per probe
    monkeypatch.setattr(probe, "seconds", lambda runs=3: next(times))
    speed = AtReferenceSpeed(probe, reference_s=1.5)
    result, factor = speed.run(lambda: "done")
    assert result == "done" and factor == 0.5 and speed.probes == [2.0, 4.0]
    assert AtReferenceSpeed(None, None).run(lambda: 7) == (7, 1.0)


def test_the_probe_is_timed_after_an_untimed_run(monkeypatch):
    """Its first run after other work finds the caches cold; only the runs after it are timed."""
    from hwsim import clock
    from hwsim.calibrate.probe import SpeedProbe

    probe = SpeedProbe()
    ticks = iter(range(100))
    monkeypatch.setattr(clock, "now", lambda: float(next(ticks)))
    runs: list[str] = []
    monkeypatch.setattr(probe, "run_once", lambda: runs.append("run") or 0.0)
    probe.seconds(3)
    assert len(runs) == 4  # one warm-up, three timed
    assert next(ticks) == 6  # clock read twice per timed run only
