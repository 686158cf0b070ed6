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
    common = dict(workload=["w"] * n, search=["tsd"] * n, beam=[1] * n, per_stream_mb=[1.0] * n,
                  streaming_cache_mb=[0.5] * n, encoder_output_kb=[10.0] * n, memory_gb=[16.0] * n,
                  memory_cap_streams=[1000] * n, saturated_rtfx=[2000.0] * n,
                  offline_utt_per_s=[1.0] * n, offline_rtfx=[10.0] * n, offline_batch_mean=[4.0] * n,
                  offline_bottleneck=["matrix"] * n, offline_bottleneck_utilization=[0.9] * n,
                  decoder_step_ratio=[0.1] * n, probes=[3] * n, streaming_usd_per_1000h=[1.0] * n,
                  offline_usd_per_1000h=[1.0] * n, streaming_energy_per_hour_audio_j=[1.0] * n)
    return pd.DataFrame({**common, **columns})


def _work(**columns):
    """IBM rows with the at-capacity and decode-work columns (for the greedy vs beam reading)."""
    n = len(next(iter(columns.values())))
    common = dict(device=["ibm"] * n, weights_mb=[40.0] * n, bound=["latency"] * n, bottleneck=["cpu"] * n,
                  bottleneck_utilization=[0.9] * n, encoder_ms_per_audio_s=[1.0] * n, joint_ms_per_audio_s=[0.1] * n,
                  transfer_ms_per_audio_s=[0.1] * n, steps_per_frame=[4.0] * n)
    return _rows(**{**common, **columns})


def test_report_text_reads_the_ibm_pair_from_its_table():
    from hwsim.repro.usm_serving_load import report_text
    usm = _rows(device=["tpu_v5e", "tpu_v5e"], precision=["exp0", "exp5"], weights_mb=[1000.0, 250.0],
                max_streams=[100, 400], bound=["latency", "latency"], streaming_usd_per_1000h=[4.0, 1.0],
                offline_usd_per_1000h=[2.0, 2.0])
    ibm = _rows(device=["ibm", "ibm"], precision=["fp16", "int4"], weights_mb=[40.0, 10.0], max_streams=[100, 100],
                bound=["latency", "latency"], streaming_energy_per_hour_audio_j=[5.0, 5.0])
    text = report_text(usm, ibm)
    assert "tpu_v5e, streaming: 'serving cost is dominated by model size' holds (elasticity 1.00" in text
    assert "tpu_v5e, offline: 'serving cost is dominated by model size' does not hold (elasticity" in text  # flat
    assert "IBM chip, beam 1: INT4 weights 4.0x smaller; it serves 100 streams against 100 for FP16 (1.00x" in text
    assert "falls 1.00x: 'serving cost is dominated by model size' does not hold" in text
    assert "(`probes` in the CSVs: 12 in all)" in text


def test_the_greedy_vs_beam_4_ratio_is_read_from_the_table_and_explained_by_its_rows():
    from hwsim.repro.usm_serving_load import report_text
    usm = _rows(device=["tpu_v5e"], precision=["exp0"], weights_mb=[1000.0], max_streams=[100], bound=["latency"])
    ibm = _work(precision=["fp16"] * 3, search=["greedy", "tsd", "tsd"], beam=[1, 1, 4], max_streams=[300, 250, 200],
                steps_per_frame=[1.25, 4.0, 4.0], joint_rows_per_frame=[1.25, 4.0, 16.0],
                prediction_rows_per_frame=[0.25, 1.7, 6.9], hyps_per_frame=[1.25, 4.0, 16.0],
                prediction_ms_per_audio_s=[0.2, 0.3, 0.9], search_ms_per_audio_s=[0.05, 0.2, 0.8],
                bottleneck_ms_per_audio_s=[1.0, 1.2, 1.5])
    text = report_text(usm, ibm).split("## Greedy vs beam search")[1]
    assert "- fp16: greedy 300 streams / TSD beam 4 200 = 1.50x; TSD beam 1 250 / beam 4 = 1.25x" in text
    assert "(previous engine 1.27x)" in text           # 1818 / 1426 streams at 15d97d2
    assert "joint rows 1.25 -> 16.00" in text and "host search 0.050 -> 0.800" in text
    assert "cpu in both, 1.000 -> 1.500 ms per audio second (1.50x)" in text


def test_memory_bound_streaming_says_where_model_size_enters():
    from hwsim.repro.usm_serving_load import report_text
    usm = _rows(device=["tpu_v5e", "tpu_v5e"], precision=["exp0", "exp5"], weights_mb=[1600.0, 200.0],
                max_streams=[500, 550], memory_cap_streams=[500, 550], bound=["memory", "memory"],
                streaming_usd_per_1000h=[2.2, 2.0], bottleneck=["matrix", "matrix"],
                bottleneck_utilization=[0.5, 0.5])
    ibm = _rows(device=["ibm"], precision=["fp16"], weights_mb=[40.0], max_streams=[100], bound=["latency"])
    text = report_text(usm, ibm)
    assert "tpu_v5e, streaming: 'serving cost is dominated by model size' does not hold" in text
    assert "so 16.0 GB holds 500 streams beside exp0's weights (10% of the memory) and 550 beside exp5's (1.2%)" in text
    assert "2000 audio seconds per second flat out (3.6x the memory bound" in text
    assert "tpu_v5e, offline: 'serving cost is dominated by model size' does not hold" in text
    assert "| tpu_v5e exp0 | 575 -> 500 (-13.0%) |" in text   # against the previous engine's 575
