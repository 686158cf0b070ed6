"""validate's emission-model check: which counts it asserts for which algorithm, and that one off fails it."""

from dataclasses import replace

import pytest

from hwsim.decode.registry import Algorithm
from hwsim.sim.decode import build_schedule
from hwsim.sim.emission import EmissionParams
from hwsim.validation.report import emission_section
from hwsim.validation.run import CHECKED_COUNTS, asserted_counts, check_emission

PARAMS = EmissionParams(0.4, 0.9, 0.75, seed=1)


def _schedule(algorithm):
    return build_schedule(algorithm, 80, 1 if algorithm is Algorithm.GREEDY else 4, PARAMS, 3, vocab=46)


def _scaled(schedule, field, factor):
    return replace(schedule, steps=tuple(replace(s, **{field: int(getattr(s, field) * factor)}) for s in schedule.steps))


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_a_schedule_passes_against_itself_and_every_count_is_checked(algorithm):
    table, ok = check_emission(algorithm, _schedule(algorithm), _schedule(algorithm))
    assert ok and set(CHECKED_COUNTS) <= set(table)


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_labels_off_fail_every_algorithm(algorithm):
    real = _schedule(algorithm)
    _, ok = check_emission(algorithm, real, replace(real, labels=real.labels * 2 + 10))
    assert not ok


@pytest.mark.parametrize("algorithm, asserted", [(Algorithm.TSD, True), (Algorithm.GREEDY, True),
                                                 (Algorithm.ALSD, False), (Algorithm.MODIFIED_BEAM, False),
                                                 (Algorithm.BEAM, False)])
def test_prediction_rows_off_fail_where_they_are_asserted(algorithm, asserted):
    real = _schedule(algorithm)
    assert real.prediction_rows > 8 / 0.35  # big enough that doubling leaves the tolerance
    _, ok = check_emission(algorithm, real, _scaled(real, "prediction_rows", 2.0))
    assert ok is not asserted
    assert ("prediction_rows" in asserted_counts(algorithm)) is asserted


def test_steps_off_fail_every_algorithm():
    real = _schedule(Algorithm.MODIFIED_BEAM)
    _, ok = check_emission(Algorithm.MODIFIED_BEAM, real, replace(real, steps=real.steps[: len(real.steps) // 2]))
    assert not ok


def test_the_report_section_lists_what_is_asserted():
    text = "\n".join(emission_section([], {"points": 0, "emission_points_failed": 0, "emission_counts_ok": True,
                                           "emission_all_counts_within_tolerance": 0}))
    assert "- tsd: steps, joint rows, prediction rows, cache hits, labels" in text
    assert "- alsd: steps, joint rows, labels" in text
    assert "reported, not asserted" in text
