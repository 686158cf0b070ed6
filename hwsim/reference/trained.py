"""The trained reference RNN-T: shipped weights (hwsim/data/reference), its synthetic speech, its label error.

Random-weight networks do not search like a trained transducer, so the counts that depend on how a search
re-builds label histories (ALSD's and modified beam's prediction rows and cache hits) are asserted on this model
(hwsim.validation.trained_counts). tools/train_reference_rnnt.py trained it; nothing here needs torch.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from hwsim.decode.registry import Algorithm, search_best
from hwsim.errors import SpecError
from hwsim.graph.architecture import build_graph
from hwsim.io.paths import PACKAGE_DATA_DIR, user_path
from hwsim.reference import synthetic_speech as speech
from hwsim.reference.synthetic_speech import speech_features
from hwsim.reference.blank_bias import CALIBRATION_FRAMES, greedy_label_rate
from hwsim.reference.rnnt import RnntModel
from hwsim.reference.decoder import ReferenceDecoder
from hwsim.reference.search import NumpyScorer
from hwsim.reference.trace import Recorder
from hwsim.specs.resolve import load_workload_spec

TRAINED_WORKLOAD = "rnnt_trained_tiny"


def weights_path() -> Path:
    return PACKAGE_DATA_DIR / "reference" / f"{TRAINED_WORKLOAD}.npz"


def load_trained_reference(path: Path | None = None) -> ReferenceDecoder:
    """The workload's model on its shipped weights (no blank bias: the model emits at its trained rate)."""
    spec, _ = load_workload_spec(TRAINED_WORKLOAD)
    weights = read_weights(Path(path or weights_path()))
    expected = {t.name: tuple(t.shape) for t in build_graph(spec).tensors}
    for name, shape in expected.items():
        if tuple(weights.get(name, np.empty(0)).shape) != shape:
            got = weights[name].shape if name in weights else "missing"
            raise SpecError(user_path(path or weights_path()), name, f"a tensor of shape {shape} "
                            "(tools/train_reference_rnnt.py writes the workload's tensors)", got)
    model = RnntModel(spec, weights)
    if model.input_dim != speech.INPUT_DIM or model.vocab != speech.VOCAB:
        raise ValueError(f"{TRAINED_WORKLOAD}: input_dim and vocab_size must be the synthetic speech's "
                         f"({speech.INPUT_DIM}, {speech.VOCAB})")
    symbols = spec.decoding.max_symbols_per_frame
    calibration = model.encode(speech_features(CALIBRATION_FRAMES, 0))  # as random models report (blank_bias)
    return ReferenceDecoder(model, 0.0, greedy_label_rate(model, calibration, symbols), symbols, trained=True)


def read_weights(path: Path) -> dict[str, np.ndarray]:
    """The .npz of named float tensors; a file that is not one is a one-line error."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {name: stored[name].astype(np.float32) for name in stored.files}
    except FileNotFoundError:
        raise SpecError(user_path(path), "", "file not found: the trained weights (tools/train_reference_rnnt.py)")
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise SpecError(user_path(path), "", "an .npz of float tensors (tools/train_reference_rnnt.py)",
                        str(error)) from None


def edit_distance(a: list[int], b: list[int]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def best_labels(reference: ReferenceDecoder, features: np.ndarray, algorithm: Algorithm, beam: int) -> tuple[int, ...]:
    """The best path's label ids after an untimed numpy decode."""
    recorder = Recorder()
    scorer = NumpyScorer(reference.model, reference.model.encode(features), recorder)
    return search_best(algorithm, scorer, scorer.frames, beam, reference.max_symbols)[1]


def label_error_rate(reference: ReferenceDecoder, algorithm: str, beam: int, frames: int, seeds: range) -> float:
    """Edit distance of the best path's labels to the spoken ones, over all utterances, per spoken label."""
    errors = spoken = 0
    for seed in seeds:
        features, labels = speech.utterance(frames, seed, speech.EVAL_STREAM)
        errors += edit_distance(list(best_labels(reference, features, Algorithm(algorithm), beam)), labels.tolist())
        spoken += len(labels)
    return errors / max(spoken, 1)
