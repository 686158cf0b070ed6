"""Seeded load generation: Poisson arrivals, lognormal lengths, lengths files, streams."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.errors import SpecError
from hwsim.serving.load import Framing, Lengths, poisson_arrivals, read_lengths, server_load, streaming_load
from hwsim.decode.schedule import DecodeSchedule, DecodeStep


def fake_schedule(frames: int, uid: int) -> DecodeSchedule:
    return DecodeSchedule("greedy", 1, 1, (DecodeStep(0, 1, 0, 1, 1),), 0)


def test_poisson_arrivals_are_seeded_and_have_the_rate():
    a = poisson_arrivals(50.0, 200.0, seed=3)
    assert np.array_equal(a, poisson_arrivals(50.0, 200.0, seed=3))
    assert not np.array_equal(a, poisson_arrivals(50.0, 200.0, seed=4))
    # 10,000 expected; a Poisson count's standard deviation is 100, so +-400 fails only on a broken generator
    assert abs(len(a) - 10_000) < 400
    assert np.all(np.diff(a) > 0) and a[-1] < 200.0
    gaps = np.diff(a)
    assert np.std(gaps) / np.mean(gaps) == pytest.approx(1.0, abs=0.05)   # exponential gaps: cv 1


def test_a_higher_rate_compresses_the_same_arrival_pattern():
    slow, fast = poisson_arrivals(10.0, 100.0, 0), poisson_arrivals(20.0, 100.0, 0)
    assert np.allclose(fast[: len(slow) // 2], slow[: len(slow) // 2] / 2)


def test_lognormal_lengths_have_the_mean_and_cv():
    draws = np.array(Lengths(10.0, 0.5).draw(100_000, seed=1))
    assert draws.mean() == pytest.approx(10.0, rel=0.02)
    assert draws.std() / draws.mean() == pytest.approx(0.5, rel=0.05)
    assert Lengths(7.0, 0.0).draw(3, 0) == [7.0, 7.0, 7.0]
    assert Lengths(table_s=(1.0, 2.0)).draw(5, 0) == [1.0, 2.0, 1.0, 2.0, 1.0]


def test_lengths_file(tmp_path):
    good = tmp_path / "ok.csv"
    good.write_text("# seconds\n1.5\n\n2\n")
    assert read_lengths(good) == (1.5, 2.0)
    for name, text, match in (("text.csv", "1.0\nabc\n", r"row 2: expected a duration in seconds > 0 \(a decimal number such as 2\.5 or 1e3\), got 'abc'"),
                              ("neg.csv", "1.0\n-2\n", "row 2: expected a duration in seconds > 0, got -2.0"),
                              ("empty.csv", "# nothing\n", "no rows")):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(SpecError, match=match):
            read_lengths(path)


def test_server_load_uses_whole_utterances_at_their_arrival():
    framing = Framing(0.01, 4)
    utts = server_load(5.0, 10.0, Lengths(2.0, 0.0), framing, fake_schedule, seed=0)
    assert all(len(u.chunks) == 1 and u.chunks[0].arrival_s == u.arrival_s for u in utts)
    assert all(u.chunks[0].input_frames == 200 and u.chunks[0].encoder_frames == 50 for u in utts)


def test_streams_speak_chunk_by_chunk_in_real_time():
    framing = Framing(0.01, 4, chunk_frames=32)
    utts = streaming_load(3, 5.0, Lengths(1.0, 0.0), framing, fake_schedule, seed=0)
    by_stream = {s: [u for u in utts if u.stream == s] for s in range(3)}
    for stream, own in by_stream.items():
        assert len(own) == 5                                           # 1-s utterances back to back for 5 s
        first = own[0]
        assert 0.0 <= first.arrival_s < 0.32
        assert [c.input_frames for c in first.chunks] == [32, 32, 32, 4]
        assert [c.arrival_s - first.arrival_s for c in first.chunks] == pytest.approx([0.32, 0.64, 0.96, 1.0])
        assert own[1].arrival_s == pytest.approx(first.arrival_s + 1.0)
        assert not first.whole
