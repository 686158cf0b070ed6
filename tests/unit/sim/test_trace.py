from hwsim.report.trace import chrome_trace
from hwsim.sim.engine import TraceRecord


def test_one_lane_per_resource_and_microseconds():
    records = [TraceRecord("encoder", "encoder", "l0", "matrix", 0.0, 0.001),
               TraceRecord("decoder", "search", "topk", "cpu", 0.001, 0.0015)]
    trace = chrome_trace(records)
    slices = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    lanes = {e["args"]["name"]: e["tid"] for e in trace["traceEvents"] if e["name"] == "thread_name"}
    assert set(lanes) == {"matrix", "cpu"}
    assert slices[0]["dur"] == 1000.0 and slices[1]["ts"] == 1000.0
    assert slices[1]["tid"] == lanes["cpu"]
