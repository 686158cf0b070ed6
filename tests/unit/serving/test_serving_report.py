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


def _rows(**columns):
    import pandas as pd
    n = len(next(iter(columns.values())))
    common = dict(workload=["w"] * n, beam=[1] * n, per_stream_mb=[1.0] * n, memory_cap_streams=[1000] * n,
                  offline_utt_per_s=[1.0] * n, offline_rtfx=[10.0] * n, offline_batch_mean=[4.0] * n,
                  decoder_step_ratio=[0.1] * n, probes=[3] * n, streaming_usd_per_1000h=[1.0] * n,
                  offline_usd_per_1000h=[1.0] * n, streaming_energy_per_hour_audio_j=[1.0] * n)
    return pd.DataFrame({**common, **columns})


def test_report_text_reads_the_ibm_pair_from_its_table():
    from hwsim.repro.usm_serving_load import report_text
    usm = _rows(device=["tpu_v5e", "tpu_v5e"], precision=["exp0", "exp5"], weights_mb=[1000.0, 250.0],
                max_streams=[100, 400], bound=["latency", "latency"], streaming_usd_per_1000h=[4.0, 1.0],
                offline_usd_per_1000h=[2.0, 2.0])
    ibm = _rows(device=["ibm", "ibm"], precision=["fp16", "int4"], weights_mb=[40.0, 10.0], max_streams=[100, 100],
                bound=["latency", "latency"], streaming_energy_per_hour_audio_j=[5.0, 5.0])
    text = report_text(usm, ibm)
    assert "tpu_v5e: 'serving cost is dominated by model size' holds (elasticity 1.00" in text
    assert "and does not hold (elasticity" in text.split("## Reading")[1].split("tpu_v5e")[1]   # offline: flat
    assert "IBM chip, beam 1: INT4 weights 4.0x smaller; it serves 100 streams against 100 for FP16 (1.00x" in text
    assert "falls 1.00x: 'serving cost is dominated by model size' does not hold" in text
    assert "(`probes` in the CSVs: 12 in all)" in text
