"""The numpy reference runs unidirectional LSTMP encoders with time reduction (streaming_rnnt_mobile, shrunk)."""

import numpy as np

from hwsim.reference.lstm import LstmWeights, lstm_cell
from hwsim.reference.rnnt import stack_frames
from hwsim.reference.timed_decode import build_reference
from hwsim.reference.decoder import random_features

SMALL = ["encoder.hidden_dim=64", "encoder.projection_dim=32", "predictor.hidden_dim=64",
         "predictor.projection_dim=32", "joint.vocab_size=64", "joint.hidden_dim=32", "predictor.embed_dim=16"]


def test_stack_frames_concatenates_and_zero_pads():
    x = np.arange(10, dtype=np.float32).reshape(5, 2)  # frames [0,1] [2,3] [4,5] [6,7] [8,9]
    got = stack_frames(x, 2)
    np.testing.assert_array_equal(got, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 0]])
    assert stack_frames(x, 1) is x


def test_lstmp_cell_projects_h_but_not_c():
    rng = np.random.default_rng(0)
    w = LstmWeights(rng.standard_normal((3, 16)), rng.standard_normal((2, 16)), np.zeros(16), rng.standard_normal((4, 2)))
    h, c = lstm_cell(np.ones((1, 3)), np.zeros((1, 2)), np.zeros((1, 4)), w)
    assert h.shape == (1, 2) and c.shape == (1, 4) and (w.hidden, w.cells) == (2, 4)
    unprojected, _ = lstm_cell(np.ones((1, 3)), np.zeros((1, 2)), np.zeros((1, 4)),
                               LstmWeights(w.w_ih, w.w_hh, w.bias))
    np.testing.assert_allclose(h, unprojected @ w.w_proj)


def test_encoder_output_has_the_graphs_frame_count_and_width():
    ref = build_reference("streaming_rnnt_mobile", SMALL)
    encoded = ref.model.encode(random_features(ref.model, 15, 0))
    assert encoded.shape == (8, 32)  # ceil(15 / 2) frames after the time reduction; projection width 32
    state = ref.model.initial_state()
    assert state.h.shape == (2, 32) and state.c.shape == (2, 64)
