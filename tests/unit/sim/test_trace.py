"""Chrome trace: data-flow lane order, full op names, per-op args, optional per-step events."""

from __future__ import annotations

import json

import pytest

from hwsim.report.trace import chrome_trace
from hwsim.cost.segments import OpInfo, Segment
from hwsim.sim.records import TraceRecord


def _slices(trace):
    return [e for e in trace["traceEvents"] if e["ph"] == "X"]


def _lanes(trace):
    return {e["args"]["name"]: e["tid"] for e in trace["traceEvents"] if e["name"] == "thread_name"}


def test_lanes_follow_the_data_flow_and_times_are_microseconds():
    records = [TraceRecord("decoder", "search", "topk", "cpu", 0.001, 0.0015),
               TraceRecord("decoder", "transfer", "transfer", "link", 0.0009, 0.001),
               TraceRecord("decoder", "joint", "joint.out", "matrix", 0.0008, 0.0009),
               TraceRecord("decoder", "prediction", "p", "vector", 0.0005, 0.0008),
               TraceRecord("encoder", "encoder", "l0", "matrix", 0.0, 0.001)]
    trace = chrome_trace(records)
    lanes = _lanes(trace)
    assert sorted(lanes, key=lanes.get) == ["encoder: matrix", "prediction: vector", "joint: matrix", "link",
                                             "host: search"]
    sort_index = {e["tid"]: e["args"]["sort_index"] for e in trace["traceEvents"] if e["name"] == "thread_sort_index"}
    assert sort_index == {tid: tid for tid in lanes.values()}
    encoder = next(e for e in _slices(trace) if e["name"] == "l0")
    assert encoder["dur"] == pytest.approx(1000.0) and encoder["tid"] == lanes["encoder: matrix"]


def test_a_merged_segment_becomes_one_event_per_op_with_its_work():
    ops = (OpInfo("encoder.layers.11.conv_module.depthwise_conv", 2e-6, 100.0, 40.0, "memory", "int8xbf16"),
           OpInfo("encoder.layers.11.conv_module.pointwise_conv2", 3e-6, 300.0, 20.0, "compute", "int8xint8"))
    segment = Segment("matrix", "encoder", 5e-6, "encoder.layers.11.conv_module.depthwise_conv...", ops)
    trace = chrome_trace([TraceRecord("encoder", "encoder", segment.label, "matrix", 1e-3, 1e-3 + 5e-6, segment)])
    events = _slices(trace)
    assert [e["name"] for e in events] == [op.name for op in ops]
    assert events[1]["ts"] == pytest.approx(events[0]["ts"] + 2.0)
    assert {k: events[1]["args"][k] for k in ("flops", "bytes", "bound", "precision")} == \
        {"flops": 300.0, "bytes": 20.0, "bound": "compute", "precision": "int8xint8"}


def test_recurrent_steps_are_one_event_unless_steps_are_asked_for():
    ops = (OpInfo("enc.fwd.recurrent_proj", 1e-6, 10.0, 4.0, "compute", "int4xint4"),
           OpInfo("enc.fwd.gates", 2e-6, 5.0, 8.0, "memory", "fp16"))
    segment = Segment("matrix", "encoder", 3e-6 * 4, "enc.fwd.recurrent_proj x4", ops, repeat=4)
    record = TraceRecord("encoder", "encoder", segment.label, "matrix", 0.0, 12e-6, segment)
    merged = _slices(chrome_trace([record]))
    assert [e["name"] for e in merged] == ["enc.fwd.recurrent_proj + enc.fwd.gates x4"]
    assert merged[0]["args"]["flops"] == 60.0 and merged[0]["args"]["steps"] == 4
    stepped = _slices(chrome_trace([record], steps=True))
    assert len(stepped) == 8 and [e["args"]["step"] for e in stepped[-2:]] == [3, 3]
    assert stepped[-1]["ts"] + stepped[-1]["dur"] == pytest.approx(12.0)


def test_ops_that_do_not_add_up_keep_the_segment_as_one_event():
    segment = Segment("cpu", "joint", 5e-6, "joint.gather...", (OpInfo("joint.gather", 1e-6),))
    events = _slices(chrome_trace([TraceRecord("d", "joint", segment.label, "cpu", 0.0, 5e-6, segment)]))
    assert [e["name"] for e in events] == ["joint.gather..."]


def test_a_simulated_conformer_trace_has_full_names_and_work(run_cli, tmp_path):
    path = tmp_path / "trace.json"
    result = run_cli("simulate", "usm_rnnt_1b", "exp1", "--device", "tpu_v5e", "--host", "xeon_host",
                     "--frames", "40", "--beam", "2", "--trace", str(path))
    assert result.code == 0, result.err
    events = _slices(json.loads(path.read_text()))
    assert not [e["name"] for e in events if e["name"].endswith("...")]
    matrix = [e for e in events if e["args"]["resource"] == "matrix" and e["args"].get("bound") != "latency"]
    assert matrix and all(e["args"]["flops"] > 0 and e["args"]["precision"] not in ("", "n/a") for e in matrix)


def test_trace_steps_flag_writes_every_recurrent_step(run_cli, tmp_path):
    args = ["simulate", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--frames", "12", "--beam", "2"]
    assert run_cli(*args, "--trace", str(tmp_path / "merged.json")).code == 0
    assert run_cli(*args, "--trace", str(tmp_path / "steps.json"), "--trace-steps").code == 0
    merged = _slices(json.loads((tmp_path / "merged.json").read_text()))
    steps = _slices(json.loads((tmp_path / "steps.json").read_text()))
    blocks = [e for e in merged if e["args"].get("steps") == 12]
    assert blocks and len(steps) > len(merged)
    assert {e["args"]["step"] for e in steps if "step" in e["args"]} == set(range(12))
    busy = lambda events: sum(e["dur"] for e in events)  # noqa: E731
    assert busy(steps) == pytest.approx(busy(merged), rel=1e-9)
