"""The PyTorch backend (optional extra): numerics against the numpy reference on CPU torch, the calibrate and
validate code paths on CPU, and the one-line error without a GPU. Skips cleanly without torch."""

import json

import numpy as np
import pytest

from hwsim.cli import main

torch = pytest.importorskip("torch")


def test_no_gpu_is_one_line(capsys):
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    code = main(["validate", "--backend", "torch", "--device", "h100_sxm", "--quick"])
    err = capsys.readouterr().err
    assert code == 2 and err == ("hwsim: error: --torch-device: expected a CUDA GPU visible to PyTorch (or "
                                 "--torch-device cpu), got 'cuda'\n")


def test_torch_model_matches_the_numpy_reference():
    from hwsim.reference.timed_decode import build_reference
    from hwsim.reference.decoder import random_features
    from hwsim.reference.torch_rnnt import TorchRnnt

    ref = build_reference("lstm_rnnt_small", seed=0)
    model = TorchRnnt(ref.model, torch.device("cpu"))
    features = random_features(ref.model, 12, 0)
    encoded = ref.model.encode(features)
    np.testing.assert_allclose(model.encode(features).numpy(), encoded, atol=1e-4)
    labels = np.array([3, 7])
    pred, _ = ref.model.predict(labels, [ref.model.initial_state()] * 2)
    h, c = model.initial_state(2)
    got, _, _ = model.predict(torch.as_tensor(labels), h, c)
    np.testing.assert_allclose(got.numpy(), pred, atol=1e-5)
    enc_proj, pred_proj = ref.model.project_encoder(encoded[:2]), ref.model.project_prediction(pred)
    np.testing.assert_allclose(model.joint(torch.as_tensor(enc_proj), torch.as_tensor(pred_proj)).numpy(),
                               ref.model.joint(enc_proj, pred_proj), atol=1e-4)


def test_calibrate_writes_a_loadable_measured_device(tmp_path, capsys):
    from hwsim.cost.hardware import load_device

    out = tmp_path / "h100_cpu.yaml"
    code = main(["calibrate", "--backend", "torch", "--torch-device", "cpu", "--quick", "--like", "h100_sxm",
                 "--out", str(out), "--report", str(tmp_path / "report")])
    assert code == 0, capsys.readouterr().err
    device = load_device(out)
    text = out.read_text()
    assert "measured: 'eager one-element add_" in text and "measured: 'device copy" in text
    assert device.gpu.kernel_launch_s > 0 and device.name == "h100_sxm_measured"
    assert device.memory_bandwidth_bytes_per_s() != load_device("h100_sxm").memory_bandwidth_bytes_per_s()
    assert (tmp_path / "report" / "comparison.csv").exists()


def test_validate_runs_per_component_on_cpu(capsys):
    code = main(["validate", "--backend", "torch", "--torch-device", "cpu", "--device", "local_cpu", "--quick", "--json"])
    assert code == 0
    stats = json.loads(capsys.readouterr().out)
    assert set(stats["per_component"]) == {"encoder", "prediction", "joint", "greedy_end_to_end"}
    assert stats["points"] == 6


def test_torch_model_matches_the_numpy_reference_with_lstmp_and_time_reduction():
    from hwsim.reference.timed_decode import build_reference
    from hwsim.reference.decoder import random_features
    from hwsim.reference.torch_rnnt import TorchRnnt

    ref = build_reference("streaming_rnnt_mobile", SMALL_STREAMING)
    model = TorchRnnt(ref.model, torch.device("cpu"))
    features = random_features(ref.model, 15, 0)
    np.testing.assert_allclose(model.encode(features).numpy(), ref.model.encode(features), atol=1e-4)
    pred, _ = ref.model.predict(np.array([3]), [ref.model.initial_state()])
    h, c = model.initial_state(1)
    np.testing.assert_allclose(model.predict(torch.as_tensor([3]), h, c)[0].numpy(), pred, atol=1e-5)


SMALL_STREAMING = ["encoder.hidden_dim=64", "encoder.projection_dim=32", "predictor.hidden_dim=64",
                   "predictor.projection_dim=32", "joint.vocab_size=64", "joint.hidden_dim=32", "predictor.embed_dim=16"]
