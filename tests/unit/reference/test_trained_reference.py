"""The trained reference RNN-T: its synthetic speech, its shipped weights, and that it is trained (held-out label
error far below a random model's), which is what makes its searches a fair check of the emission model."""

import numpy as np
import pytest

from hwsim.graph.architecture import build_graph
from hwsim.reference import synthetic_speech as speech
from hwsim.reference.timed_decode import build_reference
from hwsim.reference.synthetic_speech import speech_features
from hwsim.reference.trained import (TRAINED_WORKLOAD, edit_distance, label_error_rate, load_trained_reference,
                                     weights_path)
from hwsim.specs.resolve import load_workload_spec


def test_utterances_are_seeded_and_streams_are_disjoint():
    a, labels_a = speech.utterance(80, 5)
    b, labels_b = speech.utterance(80, 5)
    assert a.tobytes() == b.tobytes() and labels_a.tolist() == labels_b.tolist()
    c, _ = speech.utterance(80, 5, speech.TRAIN_STREAM)
    assert not np.allclose(a, c)
    np.testing.assert_array_equal(speech_features(80, 5), a)


def test_label_rate_and_labels():
    counts = [len(speech.utterance(400, seed)[1]) for seed in range(10)]
    assert abs(np.mean(counts) / 400 - speech.LABEL_RATE) < 0.03
    _, labels = speech.utterance(400, 0)
    assert labels.min() >= 1 and labels.max() < speech.VOCAB


def test_bigram_is_sparse_and_never_blank():
    bigram = speech.speech_task().bigram
    np.testing.assert_allclose(bigram.sum(axis=1), 1.0)
    assert (bigram[:, 0] == 0).all()
    assert (np.sort(bigram, axis=1)[:, -speech.BIGRAM_SUCCESSORS:].sum(axis=1) > 0.85).all()


def test_edit_distance():
    assert edit_distance([1, 2, 3], [1, 2, 3]) == 0
    assert edit_distance([1, 3], [1, 2, 3]) == 1
    assert edit_distance([4, 1, 2, 3], [1, 2, 5]) == 2
    assert edit_distance([], [1, 2]) == 2


def test_shipped_weights_match_the_workload_graph():
    spec, _ = load_workload_spec(TRAINED_WORKLOAD)
    expected = {t.name: tuple(t.shape) for t in build_graph(spec).tensors}
    with np.load(weights_path()) as stored:
        assert {name: stored[name].shape for name in stored.files} == expected


def test_build_reference_loads_the_trained_weights_and_decodes_speech():
    reference = build_reference(TRAINED_WORKLOAD)
    assert reference.trained and reference.blank_bias == 0.0
    np.testing.assert_array_equal(reference.features(60, 3), speech_features(60, 3))
    random_weights = build_reference(TRAINED_WORKLOAD, ["encoder.hidden_dim=32"])
    assert not random_weights.trained


@pytest.mark.parametrize("algorithm, beam", [("greedy", 1), ("modified_beam", 4)])
def test_the_model_is_trained(algorithm, beam):
    """Held-out label error well under 20 % (a random or mis-loaded model is near 100 %)."""
    assert label_error_rate(load_trained_reference(), algorithm, beam, 120, range(9100, 9105)) < 0.2


def test_a_bad_weights_file_is_a_one_line_error(tmp_path):
    from hwsim.errors import SpecError

    with pytest.raises(SpecError, match="file not found: the trained weights"):
        load_trained_reference(tmp_path / "missing.npz")
    garbage = tmp_path / "garbage.npz"
    garbage.write_text("not an npz")
    with pytest.raises(SpecError, match=r"garbage.npz: expected an .npz of float tensors"):
        load_trained_reference(garbage)
    partial = tmp_path / "partial.npz"
    np.savez(partial, **{"predictor.embedding": np.zeros((40, 31), np.float32)})
    with pytest.raises(SpecError) as error:
        load_trained_reference(partial)
    assert str(error.value).endswith("encoder.layers.0.fwd.w_ih: expected a tensor of shape (24, 256) "
                                     "(tools/train_reference_rnnt.py writes the workload's tensors), got 'missing'")
    assert "\n" not in str(error.value)
