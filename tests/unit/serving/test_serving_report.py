"""The usm-serving-load report's computed statements: elasticity of cost to model size and its verdict."""

import math

import numpy as np
import pytest

from hwsim.repro.usm_serving_load import ELASTICITY_HOLDS, ELASTICITY_PARTLY, elasticity, verdict


def test_elasticity_is_the_log_log_slope():
    sizes = np.array([100.0, 200.0, 400.0])
    assert elasticity(sizes, sizes * 3) == pytest.approx(1.0)            # cost proportional to size
    assert elasticity(sizes, np.sqrt(sizes)) == pytest.approx(0.5)
    assert elasticity(sizes, np.array([5.0, 5.0, 5.0])) == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(elasticity(sizes, np.array([np.nan, np.nan, 1.0])))  # no cost figures


def test_verdict_thresholds():
    assert verdict(ELASTICITY_HOLDS).startswith("holds (")
    assert verdict(ELASTICITY_PARTLY).startswith("holds only partly")
    assert verdict(0.0).startswith("does not hold")
    assert verdict(float("nan")).startswith("cannot be judged")
