"""A small, seeded QAT experiment: float LSTM training, then fake-quant fine-tuning per quantizer recipe.

Task: from a 3-channel Gaussian sequence predict y_t = x_(t-1),0 * x_(t-2),1 + 0.5 * x_(t-3),2, which needs
memory and a multiplicative interaction. Recipes mirror the papers: 4-bit weights *and* activations
(Fasoli et al.: MAX; SAWB weights + MAX activations; SAWB + two-sided PACT; SAWB + BAC = PACT on the
first layer's inputs and fixed +-1 on hidden states) and 1-bit weights with float activations
(Rybakov et al.: asymmetric absmax at 1 bit vs absmean). It is a toy: see docs/qat_demo.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from hwsim.quant import QuantSettings, quantize, quantize_backward
from hwsim.quant.lstm import LstmParams, QuantHooks, backward, forward, identity_fake_quant, init_params, mse_loss

INPUTS, OUTPUTS = 3, 1


@dataclass(frozen=True)
class DemoConfig:
    """Sizes and step counts; the defaults run in well under a minute on two cores."""

    hidden: int = 16
    steps_per_sequence: int = 20
    batch: int = 32
    float_steps: int = 1000
    qat_steps: int = 250
    learning_rate: float = 0.01
    qat_learning_rate: float = 0.002
    eval_every: int = 25
    seed: int = 0


@dataclass(frozen=True)
class Recipe:
    """One QAT run: weight quantizer (None = float) and activation quantizers for x and h."""

    name: str
    weight_kind: str | None
    weight_bits: int
    input_kind: str | None = None
    hidden_kind: str | None = None
    act_bits: int = 4


RECIPES = (
    Recipe("float", None, 32),
    Recipe("MAX w4/a4", "max", 4, "max", "max"),
    Recipe("SAWB w4 + MAX a4", "sawb", 4, "max", "max"),
    Recipe("SAWB w4 + PACT a4", "sawb", 4, "pact2", "pact2"),
    Recipe("SAWB w4 + BAC a4", "sawb", 4, "pact2", "bac"),
    Recipe("absmax-asym w1", "absmax_asym", 1),
    Recipe("absmean w1", "absmean", 1),
)
INITIAL_CLIPS = {"input": (3.0, -3.0), "hidden": (1.0, -1.0)}


def make_task(rng: np.random.Generator, steps: int, batch: int) -> tuple[np.ndarray, np.ndarray]:
    xs = rng.normal(0, 1, (steps, batch, INPUTS))
    target = np.zeros((steps, batch, OUTPUTS))
    target[3:, :, 0] = xs[2:-1, :, 0] * xs[1:-2, :, 1] + 0.5 * xs[:-3, :, 2]
    return xs, target


def fake_quant(kind: str, settings: QuantSettings, clip_name: str | None = None):
    """A FakeQuant hook for `hwsim.quant` kind; learnable clips come back under `clip_name`."""
    def hook(values: np.ndarray):
        result = quantize(values, kind, settings)

        def back(cotangent: np.ndarray):
            grads = quantize_backward(values, kind, settings, cotangent)
            clips = {}
            if clip_name and grads.dalpha is not None:
                clips[f"{clip_name}+"] = grads.dalpha
            if clip_name and grads.dalpha_neg is not None:
                clips[f"{clip_name}-"] = grads.dalpha_neg
            return grads.dx, clips
        return result.dequant, back
    return hook


def activation_hook(kind: str | None, bits: int, params: LstmParams, name: str):
    if kind is None:
        return identity_fake_quant
    alpha, alpha_neg = params.clips.get(f"{name}+"), params.clips.get(f"{name}-")
    settings = QuantSettings(bits=bits, contract_axes=(1,), alpha=alpha, alpha_neg=alpha_neg)
    return fake_quant(kind, settings, name if kind.startswith("pact") else None)


def hooks_for(recipe: Recipe, params: LstmParams) -> QuantHooks:
    weight = identity_fake_quant
    if recipe.weight_kind is not None:
        weight = fake_quant(recipe.weight_kind, QuantSettings(bits=recipe.weight_bits, contract_axes=(1,)))
    return QuantHooks(weight=weight,
                      cell_input=activation_hook(recipe.input_kind, recipe.act_bits, params, "input"),
                      hidden=activation_hook(recipe.hidden_kind, recipe.act_bits, params, "hidden"))


class Adam:
    """Plain Adam over the LstmParams arrays and the learnable clip scalars."""

    def __init__(self, learning_rate: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr, self.beta1, self.beta2, self.eps = learning_rate, beta1, beta2, eps
        self.moments: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.step_count = 0

    def _update(self, key: str, value, grad):
        m, v = self.moments.get(key, (np.zeros_like(grad), np.zeros_like(grad)))
        m = self.beta1 * m + (1 - self.beta1) * grad
        v = self.beta2 * v + (1 - self.beta2) * grad**2
        self.moments[key] = (m, v)
        m_hat, v_hat = m / (1 - self.beta1**self.step_count), v / (1 - self.beta2**self.step_count)
        return value - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def step(self, params: LstmParams, grads: LstmParams) -> None:
        self.step_count += 1
        for key in ("W", "b", "W_out", "b_out"):
            setattr(params, key, self._update(key, getattr(params, key), getattr(grads, key)))
        for key, grad in grads.clips.items():
            if key in params.clips:
                params.clips[key] = float(self._update(key, np.float64(params.clips[key]), np.float64(grad)))
        params.clips = {k: (max(v, 1e-3) if k.endswith("+") else min(v, -1e-3)) for k, v in params.clips.items()}


def evaluate(params: LstmParams, recipe: Recipe, data) -> float:
    pred, _ = forward(params, data[0], hooks_for(recipe, params))
    return mse_loss(pred, data[1])[0]


def train(params: LstmParams, recipe: Recipe, steps: int, lr: float, rng, config: DemoConfig, held_out,
          on_step: Callable[[], object] | None = None):
    """Run `steps` Adam steps; returns the held-out loss curve [(step, loss)] including step 0. `on_step` is
    called after each step (a progress bar's update)."""
    optimizer, curve = Adam(lr), [(0, evaluate(params, recipe, held_out))]
    for step in range(1, steps + 1):
        if on_step is not None:
            on_step()
        xs, target = make_task(rng, config.steps_per_sequence, config.batch)
        pred, cache = forward(params, xs, hooks_for(recipe, params))
        _, dpred = mse_loss(pred, target)
        optimizer.step(params, backward(params, cache, dpred))
        if step % config.eval_every == 0 or step == steps:
            curve.append((step, evaluate(params, recipe, held_out)))
    return curve


def total_steps(config: DemoConfig) -> int:
    """Training steps run_demo takes: the float run, then one QAT run per quantized recipe."""
    return config.float_steps + config.qat_steps * (len(RECIPES) - 1)


def run_demo(config: DemoConfig = DemoConfig(), on_step: Callable[[], object] | None = None) -> dict:
    """Float pre-training then one QAT fine-tune per recipe, all from the same float checkpoint."""
    rng = np.random.default_rng(config.seed)
    held_out = make_task(np.random.default_rng(config.seed + 1), config.steps_per_sequence, 128)
    params = init_params(rng, INPUTS, config.hidden, OUTPUTS)
    float_curve = train(params, RECIPES[0], config.float_steps, config.learning_rate, rng, config, held_out, on_step)
    results = {"float_curve": float_curve, "runs": {}}
    for recipe in RECIPES[1:]:
        tuned = params.copy()
        tuned.clips = {f"{n}{s}": v for n, (hi, lo) in INITIAL_CLIPS.items() for s, v in (("+", hi), ("-", lo))}
        before = evaluate(tuned, recipe, held_out)
        curve = train(tuned, recipe, config.qat_steps, config.qat_learning_rate, np.random.default_rng(
            config.seed + 2), config, held_out, on_step)
        results["runs"][recipe.name] = {"recipe": recipe, "before_qat": before, "curve": curve,
                                        "clips": dict(tuned.clips) if recipe.input_kind else {}}
    results["float_loss"] = float_curve[-1][1]
    return results
