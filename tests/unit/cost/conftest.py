"""Shared builders: a prepared small RNN-T on a device, with optional device overrides and run options."""

from __future__ import annotations

import pytest

from hwsim.cost.options import RunOptions
from hwsim.pipeline.point import RunRequest, prepare_point


@pytest.fixture(scope="module")
def prepared_small():
    cache: dict[tuple, object] = {}

    def build(device: str = "tpu_v5e", precision: str = "fp32", overrides: tuple[str, ...] = (), **options):
        key = (device, precision, overrides, tuple(sorted(options.items())))
        if key not in cache:
            cache[key] = prepare_point(RunRequest("lstm_rnnt_small", precision, device, frames=8,
                                            device_overrides=overrides, options=RunOptions(**options)))
        return cache[key]
    return build
