"""The numpy LSTM's BPTT against finite differences, and a tiny QAT demo configuration."""

from __future__ import annotations

import numpy as np

from hwsim.quant.demo import DemoConfig, run_demo
from hwsim.quant.lstm import backward, forward, init_params, mse_loss


def test_bptt_matches_finite_differences():
    rng = np.random.default_rng(0)
    params = init_params(rng, 2, 3, 1)
    xs, target = rng.normal(size=(4, 2, 2)), rng.normal(size=(4, 2, 1))
    pred, cache = forward(params, xs)
    grads = backward(params, cache, mse_loss(pred, target)[1])
    for name in ("W", "b", "W_out", "b_out"):
        array, analytic = getattr(params, name), getattr(grads, name)
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + 1e-6
            up = mse_loss(forward(params, xs)[0], target)[0]
            array[index] = saved - 1e-6
            down = mse_loss(forward(params, xs)[0], target)[0]
            array[index] = saved
            assert abs((up - down) / 2e-6 - analytic[index]) < 1e-6 * max(1.0, abs(analytic[index])), (name, index)


def test_tiny_demo_runs_with_finite_losses():
    results = run_demo(DemoConfig(hidden=4, steps_per_sequence=6, batch=4, float_steps=3, qat_steps=2, eval_every=1))
    assert len(results["runs"]) == 6
    for run in results["runs"].values():
        assert len(run["curve"]) == 3
        assert all(np.isfinite(loss) for _, loss in run["curve"])
