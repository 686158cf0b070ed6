"""Train the reference RNN-T that `validate` asserts beam-family counts against (needs the torch extra).

    python tools/train_reference_rnnt.py                      # 5-7 min on 2 CPU cores
    python tools/train_reference_rnnt.py --steps 200 --out /tmp/w.npz   # a quick try

The workload rnnt_trained_tiny (workloads/models) fixes the architecture; the encoder, prediction
network and joint are trained together with the RNN-T loss (Graves 2012: the forward variable over the
(frame, label) lattice, computed here along its anti-diagonals and differentiated by autograd) on seeded
synthetic speech (hwsim.reference.synthetic_speech, TRAIN_STREAM: never an utterance validation decodes).
Adam, gradient-norm clipping, a cosine learning-rate decay. The weights are written in the numpy reference's
layout (hwsim.reference.rnnt: w_ih [in, 4H], dense w [in, out]) as float32 .npz, checked against the workload
graph's tensor names and shapes, and the log (loss curve, held-out label error of greedy decoding on the
numpy reference) goes to reports/trained_reference/README.md. Deterministic for a given torch build and seed: two
runs on the 2-core VM (torch 2.14.1, 2026-12-02) wrote identical weights.
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from hwsim.graph.architecture import build_graph
from hwsim.io.paths import display_path
from hwsim.reference import synthetic_speech as speech
from hwsim.reference.trained import TRAINED_WORKLOAD, label_error_rate, load_trained_reference, weights_path
from hwsim.specs.resolve import load_workload_spec

NEG = -1.0e4  # log zero that keeps logaddexp's gradient finite


class TorchTransducer(nn.Module):
    """The workload's RNN-T in torch, gate order and biases as torch.nn.LSTM (which the numpy reference follows)."""

    def __init__(self, spec):
        super().__init__()
        enc, pred, joint = spec.encoder, spec.predictor, spec.joint
        self.encoder = nn.LSTM(enc.input_dim, enc.hidden_dim, enc.num_layers, batch_first=True)
        self.embedding = nn.Embedding(joint.vocab_size, pred.embed_dim)
        self.predictor = nn.LSTM(pred.embed_dim, pred.hidden_dim, pred.num_layers, batch_first=True)
        self.enc_proj = nn.Linear(enc.hidden_dim, joint.hidden_dim)
        self.pred_proj = nn.Linear(pred.hidden_dim, joint.hidden_dim)
        self.out = nn.Linear(joint.hidden_dim, joint.vocab_size)

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """features [B, T, D], labels [B, U] (padded with blank) -> log-probs [B, T, U + 1, V]."""
        encoded, _ = self.encoder(features)
        start = torch.zeros_like(labels[:, :1])
        predicted, _ = self.predictor(self.embedding(torch.cat([start, labels], dim=1)))
        hidden = torch.tanh(self.enc_proj(encoded)[:, :, None] + self.pred_proj(predicted)[:, None])
        return torch.log_softmax(self.out(hidden), dim=-1)


def rnnt_loss(logp: torch.Tensor, labels: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of -log P(labels | features), every utterance T frames long."""
    batch, frames, positions, _ = logp.shape
    blank = logp[..., 0]
    emit = logp[:, :, :-1].gather(3, labels[:, None, :, None].expand(batch, frames, positions - 1, 1))[..., 0]
    u = torch.arange(positions)
    alpha = torch.full((batch, positions), NEG)
    alpha[:, 0] = 0.0
    diagonals = [alpha]
    for n in range(1, frames + positions - 1):
        t = n - u
        inside = (t >= 0) & (t < frames)
        from_blank = alpha + blank[:, (t - 1).clamp(0, frames - 1), u]
        from_blank = torch.where(inside & (t >= 1), from_blank, torch.full_like(from_blank, NEG))
        shifted = torch.cat([torch.full_like(alpha[:, :1], NEG), alpha[:, :-1]], dim=1)
        from_emit = shifted + emit[:, t.clamp(0, frames - 1), (u - 1).clamp(0, positions - 2)]
        from_emit = torch.where(inside & (u >= 1), from_emit, torch.full_like(from_emit, NEG))
        alpha = torch.logaddexp(from_blank, from_emit)
        diagonals.append(alpha)
    stacked = torch.stack(diagonals)  # [N, B, U + 1]
    rows = torch.arange(batch)
    final = stacked[frames - 1 + lengths, rows, lengths] + blank[rows, frames - 1, lengths]
    return -final.mean()


def batch(step: int, size: int, frames: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    pairs = [speech.utterance(frames, step * size + i, speech.TRAIN_STREAM) for i in range(size)]
    longest = max(len(labels) for _, labels in pairs)
    labels = np.zeros((size, longest), np.int64)
    for i, (_, y) in enumerate(pairs):
        labels[i, :len(y)] = y
    features = torch.from_numpy(np.stack([f for f, _ in pairs]))
    return features, torch.from_numpy(labels), torch.tensor([len(y) for _, y in pairs])


def lstm_weights(prefix: str, lstm: nn.LSTM, layer: int) -> dict[str, np.ndarray]:
    """One torch LSTM layer in the numpy layout: w_ih [in, 4H], w_hh [H, 4H] (torch stores them transposed)."""
    get = lambda name: getattr(lstm, f"{name}_l{layer}").detach().numpy().astype(np.float32)
    return {f"{prefix}.w_ih": get("weight_ih").T.copy(), f"{prefix}.w_hh": get("weight_hh").T.copy(),
            f"{prefix}.b_ih": get("bias_ih"), f"{prefix}.b_hh": get("bias_hh")}


def export(model: TorchTransducer, spec) -> dict[str, np.ndarray]:
    """Torch parameters -> the numpy reference's names and layout, checked against the workload graph."""
    get = lambda p: p.detach().numpy().astype(np.float32)
    weights = {"predictor.embedding": get(model.embedding.weight)}
    for layer in range(spec.encoder.num_layers):
        weights |= lstm_weights(f"encoder.layers.{layer}.fwd", model.encoder, layer)
    for layer in range(spec.predictor.num_layers):
        weights |= lstm_weights(f"predictor.layers.{layer}", model.predictor, layer)
    for name, linear in (("enc_proj", model.enc_proj), ("pred_proj", model.pred_proj), ("out", model.out)):
        weights |= {f"joint.{name}.w": get(linear.weight).T.copy(), f"joint.{name}.b": get(linear.bias)}
    expected = {t.name: tuple(t.shape) for t in build_graph(spec).tensors}
    got = {name: tuple(array.shape) for name, array in weights.items()}
    if got != expected:
        raise SystemExit(f"exported tensors differ from the workload graph: {sorted(set(got.items()) ^ set(expected.items()))}")
    return weights


def train(args: argparse.Namespace) -> tuple[TorchTransducer, list[tuple[int, float]]]:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    spec, _ = load_workload_spec(TRAINED_WORKLOAD)
    model = TorchTransducer(spec)
    optimiser = torch.optim.Adam(model.parameters(), lr=args.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: 0.5 * (1 + math.cos(math.pi * s / args.steps)))
    curve, running = [], []
    rng = np.random.default_rng(args.seed)
    for step in range(args.steps):
        frames = int(rng.integers(args.min_frames, args.max_frames + 1))
        features, labels, lengths = batch(step, args.batch, frames)
        loss = rnnt_loss(model(features, labels), labels, lengths) / lengths.float().mean()
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        running.append(loss.item())
        if (step + 1) % args.log_every == 0:
            curve.append((step + 1, float(np.mean(running))))
            running = []
            print(f"step {step + 1}: loss per label {curve[-1][1]:.3f}", flush=True)
    return model, curve


def write_log(path: Path, args, curve, errors: dict[str, float], seconds: float, out: Path) -> None:
    lines = ["# The trained reference RNN-T (rnnt_trained_tiny)", "",
             f"Regenerate with `python tools/train_reference_rnnt.py` (needs `pip install 'hwsim[torch]'`); weights: "
             f"`{display_path(out)}`.", "",
             f"- torch {torch.__version__}, Python {platform.python_version()}, {args.threads} threads, "
             f"{seconds / 60:.1f} min; seed {args.seed}, {args.steps} steps of {args.batch} utterances of "
             f"{args.min_frames}-{args.max_frames} frames, Adam lr {args.lr} with cosine decay, gradient norm <= 1.",
             f"- Task: hwsim.reference.synthetic_speech (V = {speech.VOCAB} incl. blank, {speech.INPUT_DIM}-dim "
             f"frames, label rate {speech.LABEL_RATE:.3f} per frame, noise std {speech.NOISE_STD}).", "",
             "Held-out label error rate (edit distance / reference labels) of the numpy reference on the shipped "
             f"weights, {len(EVAL_SEEDS)} utterances of {EVAL_FRAMES} frames (EVAL_STREAM seeds "
             f"{EVAL_SEEDS.start}-{EVAL_SEEDS.stop - 1}):", "", "| decoder | label error rate |", "|---|---:|"]
    lines += [f"| {name} | {rate:.1%} |" for name, rate in errors.items()]
    lines += ["", "Training loss (RNN-T negative log-likelihood per label, mean over the logging window):", "",
              "| step | loss |", "|---:|---:|"] + [f"| {s} | {loss:.3f} |" for s, loss in curve]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


EVAL_FRAMES, EVAL_SEEDS = 150, range(9000, 9020)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--min-frames", type=int, default=40)
    parser.add_argument("--max-frames", type=int, default=120)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument("--out", type=Path, default=weights_path())
    parser.add_argument("--log", type=Path, default=Path("reports/trained_reference/README.md"))
    args = parser.parse_args()
    start = time.perf_counter()
    model, curve = train(args)
    spec, _ = load_workload_spec(TRAINED_WORKLOAD)
    np.savez_compressed(args.out, **export(model, spec))
    seconds = time.perf_counter() - start
    reference = load_trained_reference(args.out)
    errors = {f"{a} (beam {b})": label_error_rate(reference, a, b, EVAL_FRAMES, EVAL_SEEDS)
              for a, b in (("greedy", 1), ("modified_beam", 4), ("alsd", 4))}
    print(errors)
    write_log(args.log, args, curve, errors, seconds, args.out)


if __name__ == "__main__":
    main()
