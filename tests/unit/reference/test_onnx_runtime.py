"""The onnxruntime runtime: the exported sessions compute what numpy computes, decode the same schedule, and
`validate --runtime onnxruntime` runs end to end; skipped cleanly without the optional 'onnx' extra."""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest

from hwsim.cli import main
from hwsim.decode.registry import Algorithm
from hwsim.reference.timed_decode import build_reference, run_utterance
from hwsim.reference.decoder import random_features

SMALL = ["encoder.hidden_dim=32", "encoder.num_layers=2", "predictor.hidden_dim=32"]


def test_missing_extra_is_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["validate", "--quick", "--runtime", "onnxruntime"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--runtime" in err and "hwsim[onnx]" in err


HAVE_ONNX = all(importlib.util.find_spec(name) is not None for name in ("onnx", "onnxruntime"))
needs_onnx = pytest.mark.skipif(not HAVE_ONNX, reason="optional extra 'onnx' (onnx, onnxruntime) not installed")


@pytest.fixture(scope="module")
def ref():
    return build_reference("ibm_rnnt_swb", SMALL, seed=0)


@pytest.fixture(scope="module")
def sessions(ref):
    from hwsim.reference.onnx_runtime import OrtModel
    return OrtModel(ref.model)


@needs_onnx
def test_sessions_compute_the_numpy_networks(ref, sessions):
    model, features = ref.model, random_features(ref.model, 30, 1)
    np.testing.assert_allclose(sessions.encode_projected(features), model.project_encoder(model.encode(features)),
                               rtol=1e-4, atol=1e-4)
    labels = np.array([0, 7, 3])
    out, states = model.predict(labels, [model.initial_state()] * 3)
    zeros = np.zeros((1, 3, 32), np.float32)
    proj, h, c = sessions.predict(labels, zeros, zeros)
    np.testing.assert_allclose(proj, model.project_prediction(out), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h[:, 1], states[1].h, rtol=1e-4, atol=1e-5)
    enc = model.project_encoder(model.encode(features))[:3]
    np.testing.assert_allclose(sessions.joint(enc, proj), model.joint(enc, model.project_prediction(out)),
                               rtol=1e-4, atol=1e-4)


@needs_onnx
@pytest.mark.parametrize("algorithm", [Algorithm.TSD, Algorithm.ALSD])
def test_onnxruntime_decodes_the_same_schedule(ref, sessions, algorithm):
    features = random_features(ref.model, 40, 0)
    numpy_run = run_utterance(ref, features, algorithm, 3)
    ort_run = run_utterance(ref, features, algorithm, 3, ort_model=sessions)
    assert ort_run.schedule == numpy_run.schedule
    assert all(ort_run.seconds[c] > 0 for c in ("encoder", "prediction", "joint"))


@needs_onnx
def test_validate_with_onnxruntime_end_to_end(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["validate", "--quick", "--runtime", "onnxruntime"]) == 2  # not calibrated yet: one line
    assert "calibrate --runtime onnxruntime" in capsys.readouterr().err
    assert main(["calibrate", "--quick", "--no-progress", "--runtime", "onnxruntime"]) == 0
    capsys.readouterr()
    code = main(["validate", "--quick", "--runtime", "onnxruntime", "--json", "--repeats", "2"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["counts_match"] and data["points"] == 3
    assert set(data["per_component"]) == {"encoder", "prediction", "joint", "search"}
