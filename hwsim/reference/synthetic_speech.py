"""Seeded synthetic speech for the trained reference RNN-T (hwsim.reference.trained): what it was trained on and
what `validate` decodes with it.

A random-weight transducer does not search like a trained one (hwsim.validation.counts.UNASSERTED_REASON), and
no trained model ships or downloads, so hwsim trains a small one (tools/train_reference_rnnt.py) on a task that
has what makes real decoding hard, at a size numpy decodes in milliseconds:

- Labels 1..V-1 come from a sparse bigram language model (each label has BIGRAM_SUCCESSORS likely successors,
  the rest share BIGRAM_FLOOR), so the prediction network has a history to learn and beam paths compete on it.
- Labels form groups of GROUP_SIZE acoustically confusable ones: a label's pattern is its group's centre plus
  a smaller label offset, so the encoder is sometimes unsure within a group and the beam keeps alternatives.
- Each label is spoken over 1-3 encoder frames (DURATION_PROBS), the first with an onset component, and
  0-3 silence frames (GAP_PROBS) sit before it: about 0.32 labels per encoder frame (`LABEL_RATE`), the rate
  of a word-piece model at 25 frames/s. Frames carry Gaussian noise of std NOISE_STD (design choice: a
  nearest-pattern classifier confuses about 15 % of single frames, and the trained model errs on about 9 % of
  labels, the order of a real model's word-piece error; at noise 0.55 the classifier confused 0.2 % of frames,
  too easy for a beam to matter).

Every table comes from one task seed (TASK_SEED); utterances from (stream, seed) pairs, so training
(TRAIN_STREAM) never sees an utterance that validation (EVAL_STREAM) decodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

VOCAB, INPUT_DIM, GROUP_SIZE = 40, 24, 3
BIGRAM_SUCCESSORS, BIGRAM_FLOOR = 4, 0.1
DURATION_PROBS = (0.3, 0.45, 0.25)  # 1, 2, 3 frames
GAP_PROBS = (0.35, 0.3, 0.2, 0.15)  # 0, 1, 2, 3 silence frames before a label
GROUP_SPREAD, LABEL_SPREAD, ONSET_GAIN, NOISE_STD = 1.0, 0.6, 0.8, 1.3
TASK_SEED, TRAIN_STREAM, EVAL_STREAM = 20261202, 1, 2
LABEL_RATE = 1.0 / (float(np.dot(np.arange(1, 4), DURATION_PROBS)) + float(np.dot(np.arange(4), GAP_PROBS)))


@dataclass(frozen=True)
class SpeechTask:
    """The task's fixed tables: bigram [V, V] (row = previous label, blank = start), patterns [V, D] (row 0 is
    silence), onset [D]."""

    bigram: np.ndarray
    patterns: np.ndarray
    onset: np.ndarray


@lru_cache(maxsize=1)
def speech_task() -> SpeechTask:
    rng = np.random.default_rng(TASK_SEED)
    bigram = np.full((VOCAB, VOCAB - 1), BIGRAM_FLOOR / (VOCAB - 1))
    for previous in range(VOCAB):
        successors = rng.choice(VOCAB - 1, BIGRAM_SUCCESSORS, replace=False)
        bigram[previous, successors] += (1 - BIGRAM_FLOOR) * rng.dirichlet(np.ones(BIGRAM_SUCCESSORS))
    bigram = np.concatenate([np.zeros((VOCAB, 1)), bigram], axis=1)  # never blank
    groups = -(-(VOCAB - 1) // GROUP_SIZE)
    centres = GROUP_SPREAD * rng.standard_normal((groups, INPUT_DIM))
    labels = np.arange(1, VOCAB)
    patterns = np.zeros((VOCAB, INPUT_DIM))
    patterns[1:] = centres[(labels - 1) // GROUP_SIZE] + LABEL_SPREAD * rng.standard_normal((VOCAB - 1, INPUT_DIM))
    onset = ONSET_GAIN * rng.standard_normal(INPUT_DIM)
    return SpeechTask(bigram, patterns, onset)


def speech_features(frames: int, seed: int) -> np.ndarray:
    """A held-out utterance's features (EVAL_STREAM: never a training utterance)."""
    return utterance(frames, seed, EVAL_STREAM)[0]


def utterance(frames: int, seed: int, stream: int = EVAL_STREAM) -> tuple[np.ndarray, np.ndarray]:
    """(features [frames, INPUT_DIM] float32, labels [U] int64): labels spoken in order, the last one ending
    inside the utterance, silence after it."""
    task, rng = speech_task(), np.random.default_rng([TASK_SEED, stream, seed])
    means, labels, t, previous = np.zeros((frames, INPUT_DIM)), [], 0, 0
    while True:
        gap = int(rng.choice(len(GAP_PROBS), p=GAP_PROBS))
        duration = 1 + int(rng.choice(len(DURATION_PROBS), p=DURATION_PROBS))
        if t + gap + duration > frames:
            break
        label = int(rng.choice(VOCAB, p=task.bigram[previous]))
        start = t + gap
        means[start:start + duration] = task.patterns[label]
        means[start] += task.onset
        labels.append(label)
        t, previous = start + duration, label
    features = means + NOISE_STD * rng.standard_normal((frames, INPUT_DIM))
    return features.astype(np.float32), np.asarray(labels, np.int64)
