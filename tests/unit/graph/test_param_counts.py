"""Parameter counts against formulas derived by hand from the papers' architecture descriptions."""

import pytest

from hwsim.graph.model import Component
from hwsim.precision.resolved import load_workload


def lstm_direction(in_dim: int, hidden: int, bias_vectors: int) -> int:
    return 4 * hidden * (in_dim + hidden) + bias_vectors * 4 * hidden


def conformer_layer(d: int, k: int) -> int:
    ffn = 2 * d + (d * 4 * d + 4 * d) + (4 * d * d + d)           # norm, in, out
    attention = 2 * d + 4 * (d * d + d)                             # norm, q, k, v, post
    conv = 2 * d + (d * 2 * d + 2 * d) + (k * d + d) + 4 * d + (d * d + d)  # norm, pw_in, dw, batch norm, pw_out
    return 2 * ffn + attention + conv + 2 * d                       # + final norm


def test_usm_total_matches_hand_formula():
    d, vocab, embed, hidden, joint = 1536, 16384, 128, 640, 640
    frontend = (9 * 1 * 128 + 128 + 2 * 128) + (9 * 128 * 32 + 32 + 2 * 32) + (1024 * d + d)  # conv, bias, norm
    encoder = frontend + 16 * conformer_layer(d, 5)
    predictor = vocab * embed + lstm_direction(embed, hidden, 1) + 2 * lstm_direction(hidden, hidden, 1)
    joint_params = (d * joint + joint) + (hidden * joint + joint) + (joint * vocab + vocab)
    graph = load_workload("usm_rnnt_1b")
    by_component = graph.params_by_component()
    assert by_component[Component.ENCODER] == encoder
    assert by_component[Component.PREDICTOR] == predictor
    assert by_component[Component.JOINT] == joint_params
    assert graph.total_params == encoder + predictor + joint_params


def test_usm_total_is_893m_within_half_percent():
    total = load_workload("usm_rnnt_1b").total_params
    assert abs(total - 893e6) / 893e6 < 0.005
    assert round(total * 32 / 1e9, 1) == 28.6


@pytest.mark.parametrize("name, layers, in_dim", [("dblstm_hmm_300", 4, 140), ("dblstm_hmm_2000", 6, 260)])
def test_dblstm_totals(name, layers, in_dim):
    lstm = 2 * lstm_direction(in_dim, 512, 2) + (layers - 1) * 2 * lstm_direction(1024, 512, 2)
    head = (1024 * 256 + 256) + (256 * 32000 + 32000)
    assert load_workload(name).total_params == lstm + head


def test_ibm_rnnt_total():
    encoder = 2 * lstm_direction(340, 640, 2) + 5 * 2 * lstm_direction(1280, 640, 2)
    predictor = 46 * 1 + lstm_direction(1, 768, 2)
    joint = (1280 * 256 + 256) + (768 * 256 + 256) + (256 * 46 + 46)
    assert load_workload("ibm_rnnt_swb").total_params == encoder + predictor + joint


def test_override_changes_only_that_hyper_parameter():
    base = load_workload("usm_rnnt_1b")
    wider = load_workload("usm_rnnt_1b", ["predictor.embed_dim=640"])
    assert wider.total_params - base.total_params == (16384 + 4 * 640) * (640 - 128)


def test_tensor_names_are_hierarchical_and_unique():
    graph = load_workload("usm_rnnt_1b")
    names = [t.name for t in graph.tensors]
    assert len(names) == len(set(names))
    assert "encoder.layers.3.ffn_start.ffn_in.w" in names
    assert graph.tensor("encoder.layers.3.ffn_start.ffn_in.w").shape == (1536, 6144)
