"""tools/train_reference_rnnt.py (needs the torch extra; skips without it): its RNN-T loss against the sum over
every alignment by hand, and its export against the numpy reference's forward pass."""

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

TOOL = Path(__file__).resolve().parents[3] / "tools" / "train_reference_rnnt.py"


def _tool():
    spec = importlib.util.spec_from_file_location("train_reference_rnnt", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _brute_force_nll(logp: np.ndarray, labels: list[int]) -> float:
    """-log of the sum over every alignment of T blanks and U labels (the last symbol a blank at frame T - 1)."""
    frames, total = logp.shape[0], []
    for where in itertools.combinations(range(frames + len(labels)), len(labels)):
        t = u = 0
        score = 0.0
        for step in range(frames + len(labels)):
            if t == frames:
                score = -np.inf
                break
            if step in where:
                score += logp[t, u, labels[u]]
                u += 1
            else:
                score += logp[t, u, 0]
                t += 1
        total.append(score)
    return -float(np.logaddexp.reduce(total))


def test_rnnt_loss_is_the_sum_over_alignments():
    tool = _tool()
    generator = torch.Generator().manual_seed(0)
    logp = torch.log_softmax(torch.randn(2, 4, 4, 5, generator=generator), dim=-1)
    labels, lengths = torch.tensor([[2, 3, 1], [4, 0, 0]]), torch.tensor([3, 1])
    expected = [_brute_force_nll(logp[0].numpy(), [2, 3, 1]), _brute_force_nll(logp[1].numpy(), [4])]
    assert tool.rnnt_loss(logp, labels, lengths).item() == pytest.approx(np.mean(expected), rel=1e-5)


def test_export_matches_the_numpy_reference():
    from hwsim.reference.rnnt import RnntModel
    from hwsim.specs.resolve import load_workload_spec

    tool = _tool()
    torch.manual_seed(0)
    spec, _ = load_workload_spec("rnnt_trained_tiny")
    model = tool.TorchTransducer(spec)
    numpy_model = RnntModel(spec, tool.export(model, spec))
    features, labels, _ = tool.batch(0, 1, 20)
    with torch.no_grad():
        expected = model(features, labels)[0].numpy()  # [T, U + 1, V]
    enc_proj = numpy_model.project_encoder(numpy_model.encode(features[0].numpy()))
    state, history = numpy_model.initial_state(), [0] + labels[0].tolist()
    for u in range(3):
        out, (state,) = numpy_model.predict(np.array([history[u]]), [state])
        pred_proj = numpy_model.project_prediction(out)
        got = numpy_model.joint(enc_proj, np.repeat(pred_proj, len(enc_proj), axis=0))
        np.testing.assert_allclose(got, expected[:, u], atol=1e-4)
