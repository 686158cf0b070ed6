"""The reference RNN-T run by onnxruntime: encoder, prediction and joint sessions called from the registry's
search loop (hwsim.decode), timed per component like the numpy runtime (sherpa-onnx drives transducers so)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from hwsim import clock
from hwsim.decode.context import History, Scores
from hwsim.decode.registry import Algorithm
from hwsim.reference.onnx_export import export_models
from hwsim.reference.rnnt import RnntModel
from hwsim.reference.search import run_timed_search, top_k_scores
from hwsim.reference.trace import Recorder
from hwsim.decode.schedule import DecodeSchedule


def _ort():
    try:
        import onnxruntime
    except ImportError:
        from hwsim.errors import HwsimError
        raise HwsimError("the onnxruntime runtime needs the optional extra: pip install 'hwsim[onnx]'") from None
    return onnxruntime


class OrtModel:
    """Three single-threaded onnxruntime sessions for one RnntModel's weights."""

    def __init__(self, model: RnntModel, threads: int = 1):
        ort = _ort()
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = threads
        self.model = model
        self.sessions = {name: ort.InferenceSession(blob, options, providers=["CPUExecutionProvider"])
                         for name, blob in export_models(model).items()}
        layers, hidden = len(model.predictor_layers), model.predictor_layers[0].hidden
        self.zero_state = (np.zeros((layers, hidden), np.float32), np.zeros((layers, hidden), np.float32))

    def encode(self, features: np.ndarray) -> np.ndarray:
        return self.sessions["encoder"].run(None, {"features": features.astype(np.float32)[:, None, :]})[0]

    def project_encoder(self, encoded: np.ndarray) -> np.ndarray:
        return self.sessions["enc_proj"].run(None, {"encoded": encoded})[0]

    def encode_projected(self, features: np.ndarray) -> np.ndarray:
        return self.project_encoder(self.encode(features))

    def predict(self, labels: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return tuple(self.sessions["prediction"].run(None, {"labels": labels, "h": h, "c": c}))

    def joint(self, enc: np.ndarray, pred: np.ndarray) -> np.ndarray:
        return self.sessions["joint"].run(None, {"enc": enc, "pred": pred})[0]


class OrtScorer:
    """Scorer protocol (hwsim.decode.context) on the onnxruntime sessions; states kept by label history."""

    def __init__(self, ort_model: OrtModel, features: np.ndarray, recorder: Recorder):
        self.ort, self.recorder, self.vocab = ort_model, recorder, ort_model.model.vocab
        with recorder.timed("encoder"):
            encoded = ort_model.encode(features)
        with recorder.timed("joint"):
            self.enc_proj = ort_model.project_encoder(encoded)
        self.frames = self.enc_proj.shape[0]
        self.states = {(): ort_model.zero_state}
        self.pred_proj: dict[History, np.ndarray] = {}

    def predict(self, histories: Sequence[History]) -> None:
        with self.recorder.timed("prediction", "prediction", len(histories)):
            labels = np.fromiter((y[-1] for y in histories), np.int64, len(histories))
            parents = [self.states[y[:-1]] for y in histories]
            h = np.stack([p[0] for p in parents], axis=1)
            c = np.stack([p[1] for p in parents], axis=1)
            proj, h_new, c_new = self.ort.predict(labels, h, c)
            for i, y in enumerate(histories):
                self.states[y] = (h_new[:, i], c_new[:, i])
                self.pred_proj[y] = proj[i]

    def joint(self, frames: Sequence[int], histories: Sequence[History], k: int) -> Scores:
        with self.recorder.timed("joint", "joint", len(histories)):
            logp = self.ort.joint(self.enc_proj[list(frames)], np.stack([self.pred_proj[y] for y in histories]))
        return top_k_scores(logp, k)


def decode_onnx(ort_model: OrtModel, features: np.ndarray, recorder: Recorder, algorithm: Algorithm, beam: int,
                max_symbols: int, cache: bool = True) -> DecodeSchedule:
    """Encoder session, then the registry's search on the prediction and joint sessions; 'search' = the rest."""
    scorer = OrtScorer(ort_model, features, recorder)
    start = clock.now() - recorder.seconds.get("joint", 0.0)  # enc_proj: timed as joint, outside the search
    return run_timed_search(scorer, recorder, algorithm, beam, max_symbols, cache, start)
