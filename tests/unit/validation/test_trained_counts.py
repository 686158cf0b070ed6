"""validate's count check on the trained reference: what it asserts (each count's mean over a point's utterances,
all five counts of every algorithm), that it decodes held-out utterances of its own, and that the emission model
passes it."""

import pytest

from hwsim.decode.registry import Algorithm
from hwsim.reference.trained import load_trained_reference
from hwsim.validation import trained_counts
from hwsim.validation.counts import CHECKED_COUNTS, FIT_SEED_OFFSET, SPREAD_SEED_OFFSET, CountSpread
from hwsim.validation.grid import Point
from hwsim.validation.report import trained_section


def _counts(algorithm=Algorithm.ALSD, **spreads):
    full = {name: CountSpread(name, (10, 10), (10, 10)) for name in CHECKED_COUNTS}
    full.update({name: CountSpread(name, *values) for name, values in spreads.items()})
    return trained_counts.TrainedPointCounts(Point("rnnt_trained_tiny", 150, 4, algorithm), full)


def test_asserts_the_mean_over_utterances_not_each_utterance():
    # 10 -> 25 and 30 -> 20: one utterance off the tolerance, the means (20 -> 22.5) within it
    check = _counts(cache_hits=((10, 30), (25, 20)))
    assert check.spreads["cache_hits"].within == 1 and check.mean_ok("cache_hits") and check.ok
    off = _counts(prediction_rows=((100, 100), (150, 150)))  # +50 %
    assert not off.mean_ok("prediction_rows") and not off.ok
    # one utterance's floor (8 counts) applies to the mean: 4 -> 11 is within it, 4 -> 13 is not
    assert _counts(cache_hits=((2, 6), (10, 12))).ok and not _counts(cache_hits=((2, 6), (12, 14))).ok


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_every_algorithm_asserts_all_five_counts(algorithm):
    assert trained_counts.TRAINED_ASSERTED[algorithm] == CHECKED_COUNTS
    for count in CHECKED_COUNTS:
        assert not _counts(algorithm, **{count: ((100, 100), (150, 150))}).ok, count


def test_records_and_report_carry_the_verdict():
    check = _counts(prediction_rows=((100, 100), (150, 150)))
    records = {r["count"]: r for r in check.records()}
    assert records["prediction_rows"]["mean_within_tolerance"] is False and records["prediction_rows"]["asserted"]
    assert records["labels"]["mean_within_tolerance"] is True
    text = "\n".join(trained_section([check]))
    assert "FAILED at rnnt_trained_tiny T=150 B=4 alsd" in text
    assert ("| rnnt_trained_tiny T=150 B=4 alsd | prediction rows | 100 / 100 / 100 | 150 / 150 / 150 | 1.50 | 0 of 2 "
            "| FAIL |") in text
    assert "fitted per algorithm on 8 separate utterances at beams 4 and 8" in text.replace("\n", " ")
    assert trained_section([]) == []


def test_its_utterances_are_held_out(monkeypatch):
    seen = []
    reference = load_trained_reference()
    original = type(reference).features
    monkeypatch.setattr(type(reference), "features", lambda self, frames, seed: seen.append(seed) or original(self, frames, seed))
    trained_counts.check_point(Point("rnnt_trained_tiny", 30, 1, Algorithm.GREEDY), reference, 0, utterances=2)
    offset = trained_counts.TRAINED_SEED_OFFSET
    assert seen[-2:] == [offset, offset + 1]
    assert len({offset, FIT_SEED_OFFSET, SPREAD_SEED_OFFSET}) == 3 and all(s < offset for s in seen[:-2])


@pytest.mark.parametrize("algorithm", [Algorithm.BEAM, Algorithm.ALSD, Algorithm.MODIFIED_BEAM])
def test_the_emission_model_matches_the_trained_decoders(algorithm, quick_validation):
    """The check validate runs, at beam 4: all five counts' means over six held-out utterances within tolerance
    (the standard beam search's prediction rows and cache hits need the shape statistics: with one top_prob for
    every row they were 1.6x and 1.55x here). Read from the session's `validate --quick` run (tests/conftest.py),
    which makes exactly these checks (check_trained_counts: one fit per algorithm, then check_point)."""
    label = Point("rnnt_trained_tiny", 150, 4, algorithm).label
    records = [r for r in quick_validation.data["trained_counts"] if r["point"] == label]
    assert {r["count"] for r in records} == set(CHECKED_COUNTS)
    assert all(r["asserted"] and r["mean_within_tolerance"] for r in records), records
