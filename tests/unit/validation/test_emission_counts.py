"""validate's emission-model check: which counts it asserts for which algorithm, and that one off fails it."""

from dataclasses import replace

import pytest

from hwsim.decode.registry import Algorithm
from hwsim.decode.simulated import build_schedule
from hwsim.decode.synthetic import EmissionParams
from hwsim.validation.report import emission_section
from hwsim.validation.counts import CHECKED_COUNTS, asserted_counts, check_emission

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


def test_a_spread_counts_the_utterances_within_tolerance_and_sums_both_sides():
    from hwsim.validation.counts import CountSpread

    spread = CountSpread("cache_hits", real=(100, 40, 10, 200), simulated=(134, 60, 17, 120))
    # 100 -> 134 is within 35 %; 40 -> 60 is 20 counts over max(14, 8); 10 -> 17 is within the floor of 8; 200 -> 120 is not
    assert spread.within == 2
    assert spread.sum_ratio == pytest.approx(331 / 350)
    assert CountSpread("cache_hits", (0, 0), (3, 4)).sum_ratio is None


def test_the_spread_decodes_further_utterances_and_simulates_each_with_its_own_label_rate():
    """count_spreads' real side is the decoder on utterances no point or fit uses; its simulated side is each
    utterance's own emission schedule (not the point's utterance repeated, not one schedule for all)."""
    from hwsim.reference.compare import compare_counts
    from hwsim.reference.timed_decode import build_reference, run_utterance
    from hwsim.reference.decoder import random_features
    from hwsim.validation.counts import (FIT_SEED_OFFSET, count_spreads, spread_seeds, statistical_schedule,
                                         unasserted_counts)
    from hwsim.validation.grid import FIT_UTTERANCES, Point

    reference = build_reference("ibm_rnnt_swb", ["encoder.hidden_dim=32", "encoder.num_layers=2",
                                                 "predictor.hidden_dim=32"], seed=0)
    point = Point("ibm_rnnt_swb", 40, 3, Algorithm.MODIFIED_BEAM)
    seeds = spread_seeds(0, 3)
    spreads = count_spreads(point, reference, PARAMS, seeds)
    assert set(spreads) == set(unasserted_counts(Algorithm.MODIFIED_BEAM)) == {"prediction_rows", "cache_hits"}
    assert 0 not in seeds and not set(seeds) & {FIT_SEED_OFFSET + i for i in range(FIT_UTTERANCES)}
    for i, seed in enumerate(seeds):
        real = run_utterance(reference, random_features(reference.model, 40, seed), point.algorithm, 3).schedule
        table = compare_counts(real, statistical_schedule(point, reference, real, PARAMS))
        for name, spread in spreads.items():
            assert (spread.real[i], spread.simulated[i]) == (table[name]["real"], table[name]["simulated"])


def test_the_report_states_the_spread_it_was_given():
    from types import SimpleNamespace

    from hwsim.validation.counts import CountSpread
    from hwsim.validation.grid import Point
    from hwsim.validation.report import spread_lines

    point = Point("lstm_rnnt_small", 200, 4, Algorithm.ALSD)
    spreads = {"prediction_rows": CountSpread("prediction_rows", (100, 50, 80), (110, 90, 79)),
               "cache_hits": CountSpread("cache_hits", (40, 30, 20), (5, 6, 18))}
    text = "\n".join(spread_lines([SimpleNamespace(point=point, count_spreads=spreads),
                                   SimpleNamespace(point=point, count_spreads=None)]))
    assert "within the tolerance at 3 of 6" in text
    assert "| lstm_rnnt_small T=200 B=4 alsd | cache hits | 20 / 30 / 40 | 5 / 6 / 18 | 0.32 | 1 of 3 |" in text
    assert spread_lines([SimpleNamespace(point=point, count_spreads=None)]) == []
