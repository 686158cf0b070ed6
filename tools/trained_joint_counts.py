"""Experiment for issue 9: do beam, ALSD and modified-beam counts follow the emission model on a trained joint?

`validate` asserts prediction rows and cache hits for greedy and TSD only: on the reference's random-weight
networks the other decoders rebuild label histories far more often than the emission model (a model of a
trained transducer) says, and scatter between utterances. This script tests that explanation without a
download. It trains the reference's joint (enc_proj, pred_proj, out) on synthetic aligned acoustics over the
frozen random encoder and prediction network, then compares the real decoder's five counts with the emission
model's utterance by utterance, as `validate` does (statistics fitted on the decoder's own fit utterances):

    python tools/trained_joint_counts.py ibm_rnnt_swb            # about a minute on 2 cores
    python tools/trained_joint_counts.py lstm_rnnt_small --frames 200
    python tools/trained_joint_counts.py ibm_rnnt_swb --random   # the same comparison on random weights

- Acoustics: a seeded alignment (round(rate x T) labels at distinct frames, `decoding.label_rate_per_frame`);
  each frame's features are its class's embedding (blank for frames without a label) plus N(0, NOISE^2).
- enc_proj: ridge regression (frozen afterwards) from the encoder's output to a +-1 code of the frame's class.
- pred_proj: ridge from the prediction network's output to the last label's code (multiplicative joint:
  ones on half the units so the frame's code passes, the code on the other half); then pred_proj and out are
  trained by Adam on cross-entropy over the alignment's (frame, history) pairs: emit the label the frame
  holds while the history still owes it, blank otherwise.
- It also prints how well the frozen networks identify what the joint needs (ridge classifiers, held out):
  the label at a label frame from the encoder, the last label of a history from the prediction network.

Measured on 2026-12-02 (2-core VM, defaults; about a minute per run):

| workload | last label identified | owed-label rows right | all five counts within tolerance, per utterance |
|---|---:|---:|---|
| ibm_rnnt_swb, random joint (`--random`) | - | - | TSD 7/10, beam 0/10, ALSD 0/10, modified beam 2/10 |
| ibm_rnnt_swb, trained joint | 9.4 % | 40.7 % | TSD 10/10, beam 7/10, ALSD 8/10, modified beam 7/10 |
| lstm_rnnt_small (T = 200), trained joint | 100 % | 36.4 % | TSD 5/10, beam 8/10, ALSD 10/10, modified beam 10/10 |

The encoders identify a label frame's label at 97 % (ibm) and 95 % (lstm). A joint trained this far moves the
beam-family counts towards the emission model's, but it is not a trained transducer: greedy decoding recovers
13-24 of 25 (ibm) and 11-28 of 60 (lstm) alignment labels. (The random control's blank bias was fitted on
random features, so on these acoustics it emits 32-104 labels where the alignment holds 25.) ibm's prediction network (1-dim embedding) barely
identifies the last label, so the joint cannot learn 'blank right after emitting'; lstm's joint overfits 255
labels seen about ten times each. Asserting the counts needs a reference whose networks are trained together
(RNN-T training), which this script does not do.
"""

from __future__ import annotations

import argparse

import numpy as np

from hwsim.calibrate.decoding import fit_decoding
from hwsim.decode.registry import Algorithm
from hwsim.reference.compare import compare_counts
from hwsim.reference.run import build_reference, run_utterance
from hwsim.sim.emission import EmissionParams
from hwsim.validation.counts import CHECKED_COUNTS, statistical_schedule, within_tolerance
from hwsim.validation.grid import FIT_BEAM, FIT_FRAMES, FIT_UTTERANCES, Point

NOISE, TRAIN_FRAMES, RIDGE = 0.1, 100, 1e-3
ALGORITHMS = (Algorithm.TSD, Algorithm.BEAM, Algorithm.ALSD, Algorithm.MODIFIED_BEAM)


class Acoustics:
    """Seeded aligned utterances for one model: per-class input embeddings, labels at distinct frames."""

    def __init__(self, model, seed: int = 0):
        self.model, self.rate = model, model.spec.decoding.label_rate_per_frame
        self.embeddings = np.random.default_rng([seed, 7]).standard_normal((model.vocab, model.input_dim))

    def utterance(self, frames: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(features [frames, input_dim], label frames, labels)."""
        rng = np.random.default_rng([seed, 9])
        count = int(round(self.rate * frames))
        label_frames = np.sort(rng.choice(frames, count, replace=False))
        labels = rng.integers(1, self.model.vocab, count)
        classes = np.zeros(frames, np.int64)
        classes[label_frames] = labels
        noise = NOISE * rng.standard_normal((frames, self.model.input_dim))
        return (self.embeddings[classes] + noise).astype(np.float32), label_frames, labels


def ridge(x: np.ndarray, y: np.ndarray, lam: float = RIDGE) -> tuple[np.ndarray, np.ndarray]:
    """Least squares with an L2 penalty on standardised inputs, folded back: x @ w + b ~ y."""
    mean, std = x.mean(0), x.std(0) + 1e-12
    z = (x - mean) / std
    gram = z.T @ z
    gram[np.diag_indices_from(gram)] += lam * len(z)
    w = np.linalg.solve(gram.astype(np.float64), (z.T @ y).astype(np.float64)) / std[:, None]
    return w.astype(np.float32), (y.mean(0) - mean @ w).astype(np.float32)


def held_out_accuracy(x: np.ndarray, classes: np.ndarray, vocab: int) -> float:
    """A ridge classifier's accuracy on the last fifth of the rows."""
    split = int(0.8 * len(x))
    w, b = ridge(x[:split], np.eye(vocab, dtype=np.float32)[classes[:split]], 1e-4)
    return float(((x[split:] @ w + b).argmax(1) == classes[split:]).mean())


class PredictionOutputs:
    """Prediction-network outputs of label histories (tuples starting with blank), computed once each."""

    def __init__(self, model):
        self.model, self.states, self.outputs = model, {(): model.initial_state()}, {}

    def __call__(self, history: tuple[int, ...]) -> np.ndarray:
        for end in range(1, len(history) + 1):
            prefix = history[:end]
            if prefix not in self.outputs:
                out, (state,) = self.model.predict(np.array([prefix[-1]]), [self.states[prefix[:-1]]])
                self.states[prefix], self.outputs[prefix] = state, out[0]
        return self.outputs[history]


def training_pairs(model, acoustics: Acoustics, utterances: int):
    """Encoder outputs, prediction outputs and (frame, history, target) rows of the alignment: at every frame
    the history that has emitted the labels at frames <= t (target blank), and at a label frame also the one
    that still owes it (target that label)."""
    encoded, frame_rows, history_rows, targets, classes = [], [], [], [], []
    predict, histories = PredictionOutputs(model), {}
    for u in range(utterances):
        features, label_frames, labels = acoustics.utterance(TRAIN_FRAMES, 700 + u)
        encoded.append(model.encode(features))
        frame_classes = np.zeros(TRAIN_FRAMES, np.int64)
        frame_classes[label_frames] = labels
        classes.append(frame_classes)
        due = np.searchsorted(label_frames, np.arange(TRAIN_FRAMES), side="right")
        for t in range(TRAIN_FRAMES):
            rows = [(int(due[t]), 0)] + ([(int(due[t]) - 1, int(frame_classes[t]))] if frame_classes[t] else [])
            for emitted, target in rows:
                history = (0,) + tuple(int(v) for v in labels[:emitted])
                histories.setdefault(history, len(histories))
                frame_rows.append(u * TRAIN_FRAMES + t)
                history_rows.append(histories[history])
                targets.append(target)
    outputs = np.stack([predict(h) for h in histories])
    lasts = np.array([h[-1] for h in histories])
    return (np.concatenate(encoded), outputs, np.array(frame_rows), np.array(history_rows), np.array(targets),
            np.concatenate(classes), lasts)


def train_joint(model, acoustics: Acoustics, utterances: int, iterations: int, lr: float = 0.01) -> None:
    """Fit the joint in place (see the module docstring) and print the held-out frames' label accuracy."""
    encoded, predicted, frames, hist, targets, classes, lasts = training_pairs(model, acoustics, utterances)
    vocab, units = model.vocab, model.weights["joint.enc_proj.w"].shape[1]
    multiplicative = model.spec.joint.kind == "multiplicative"
    print(f"frozen encoder identifies a label frame's label: "
          f"{held_out_accuracy(encoded[classes > 0], classes[classes > 0], vocab):.1%}; frozen prediction network "
          f"identifies a history's last label: {held_out_accuracy(predicted, lasts, vocab):.1%} (ridge, held out)")
    codes = np.sign(np.random.default_rng(3).standard_normal((vocab, units))).astype(np.float32)
    codes[0] = 0
    held_out = frames >= (utterances - max(1, utterances // 10)) * TRAIN_FRAMES
    fit_frames = np.arange(len(encoded)) < (utterances - max(1, utterances // 10)) * TRAIN_FRAMES
    enc_w, enc_b = ridge(encoded[fit_frames], codes[classes[fit_frames]])
    pred_target = -codes[lasts]
    if multiplicative:
        pred_target = np.ones((len(lasts), units), np.float32)
        pred_target[:, units // 2:] = codes[lasts][:, units // 2:]
    enc_proj = encoded @ enc_w + enc_b
    mean, std = predicted.mean(0), predicted.std(0) + 1e-9
    z = (predicted - mean) / std
    pred_w, pred_b = ridge(z, pred_target)
    params = {"pred_w": pred_w, "pred_b": pred_b, "out_w": (codes.T * 4.0 / np.sqrt(units)).astype(np.float32),
              "out_b": np.zeros(vocab, np.float32)}
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    onehot = np.eye(vocab, dtype=np.float32)

    def forward(rows):
        a, p = enc_proj[frames[rows]], (z @ params["pred_w"] + params["pred_b"])[hist[rows]]
        hidden = np.tanh(a * p if multiplicative else a + p)
        logits = hidden @ params["out_w"] + params["out_b"]
        probs = np.exp(logits - logits.max(1, keepdims=True))
        return a, hidden, probs / probs.sum(1, keepdims=True)

    train_rows = np.flatnonzero(~held_out)
    for step in range(1, iterations + 1):
        a, hidden, probs = forward(train_rows)
        d_logits = (probs - onehot[targets[train_rows]]) / len(train_rows)
        d_pre = d_logits @ params["out_w"].T * (1 - hidden * hidden)
        d_pred_out = np.zeros((len(z), units), np.float32)
        np.add.at(d_pred_out, hist[train_rows], d_pre * a if multiplicative else d_pre)
        grads = {"out_w": hidden.T @ d_logits, "out_b": d_logits.sum(0), "pred_w": z.T @ d_pred_out,
                 "pred_b": d_pred_out.sum(0)}
        for name, grad in grads.items():
            m1, m2 = moments[name]
            m1[:] = 0.9 * m1 + 0.1 * grad
            m2[:] = 0.999 * m2 + 0.001 * grad * grad
            params[name] -= lr * (m1 / (1 - 0.9 ** step)) / (np.sqrt(m2 / (1 - 0.999 ** step)) + 1e-8)
    _, _, probs = forward(np.flatnonzero(held_out))
    label_rows = targets[held_out] > 0
    correct = probs.argmax(1) == targets[held_out]
    print(f"trained joint, held-out utterances: {correct[label_rows].mean():.1%} of 'emit the owed label' rows and "
          f"{correct[~label_rows].mean():.1%} of 'blank' rows right")
    pred_w_raw = params["pred_w"] / std[:, None]
    model.weights.update({"joint.enc_proj.w": enc_w, "joint.enc_proj.b": enc_b, "joint.pred_proj.w": pred_w_raw,
                          "joint.pred_proj.b": params["pred_b"] - mean @ pred_w_raw,
                          "joint.out.w": params["out_w"], "joint.out.b": params["out_b"]})


def compare(reference, acoustics: Acoustics, algorithm: Algorithm, frames: int, utterances: int) -> None:
    """Fit the emission model on FIT_UTTERANCES utterances, then count, per further utterance, whether all five
    counts are within validate's tolerance; also the summed prediction rows and cache hits."""
    beam = FIT_BEAM
    fits = [run_utterance(reference, acoustics.utterance(FIT_FRAMES, 1000 + i)[0], algorithm, beam).schedule
            for i in range(FIT_UTTERANCES)]
    fit = fit_decoding(fits)
    params = EmissionParams(fit.label_rate_per_frame, fit.top_prob, fit.competitor_repeat_prob, 0)
    point = Point(reference.model.spec.name, frames, beam, algorithm)
    within, sums = 0, {"prediction_rows": [0, 0], "cache_hits": [0, 0]}
    for seed in range(utterances):
        real = run_utterance(reference, acoustics.utterance(frames, seed)[0], algorithm, beam).schedule
        table = compare_counts(real, statistical_schedule(point, reference, real, params))
        within += all(within_tolerance(table[name]) for name in CHECKED_COUNTS)
        for name, pair in sums.items():
            pair[0] += table[name]["real"]
            pair[1] += table[name]["simulated"]
    ratios = ", ".join(f"{name.replace('_', ' ')} simulated / real {s / r:.2f}" for name, (r, s) in sums.items() if r)
    print(f"  {algorithm.value:14s} all five counts within tolerance on {within} of {utterances} utterances; summed: "
          f"{ratios}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", nargs="?", default="ibm_rnnt_swb")
    parser.add_argument("--frames", type=int, default=100, help="frames of each compared utterance")
    parser.add_argument("--utterances", type=int, default=10, help="compared utterances per algorithm")
    parser.add_argument("--train-utterances", type=int, default=120)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--random", action="store_true", help="keep the random joint (the control)")
    args = parser.parse_args()
    reference = build_reference(args.workload, seed=0)
    acoustics = Acoustics(reference.model)
    if not args.random:
        train_joint(reference.model, acoustics, args.train_utterances, args.iterations)
    greedy = [run_utterance(reference, acoustics.utterance(args.frames, 50 + i)[0], Algorithm.GREEDY, 1).schedule.labels
              for i in range(3)]
    print(f"greedy decode: {greedy} labels of {int(round(acoustics.rate * args.frames))} in the alignment")
    for algorithm in ALGORITHMS:
        compare(reference, acoustics, algorithm, args.frames, args.utterances)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
