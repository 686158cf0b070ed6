"""Bad run arguments for cost/simulate/sweep: one line, exit 2, nothing written."""

import pytest

from tests.bad_input.test_spec_errors import assert_one_line_error

SIM = ["simulate", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip"]


@pytest.mark.parametrize("args, fragments", [
    (SIM + ["--frames", "0"], ["--frames", "expected an integer >= 1", "0"]),
    (SIM + ["--frames", "10", "--beam", "0"], ["--beam", "expected an integer >= 1"]),
    (SIM + ["--frames", "10", "--beam", "-3"], ["--beam", "-3"]),
    (SIM + ["--frames", "10", "--algorithm", "beamy"], ["--algorithm", "unknown algorithm 'beamy'"]),
    (SIM + ["--frames", "10", "--algorithm", "greedy", "--beam", "4"], ["--beam", "greedy"]),
    (SIM + ["--frames", "10", "--label-rate", "1.5"], ["--label-rate"]),
    (SIM + ["--frames", "10", "--top-prob", "0.3"], ["--top-prob", "(1/3, 1)", "0.3"]),
    (SIM + ["--frames", "10", "--repeat-prob", "2"], ["--repeat-prob", "[0, 1]"]),
    (SIM + ["--frames", "10", "--set", "+decoding.tail_ratio=0.2", "--top-prob", "0.4"],
     ["--top-prob: expected a number above 0.4444", "tail_ratio 0.2", "got 0.4"]),
    (SIM + ["--frames", "10", "--set", "+decoding.tail_ratio=0.2", "--set", "decoding.top_prob=0.4"],
     ["ibm_rnnt_swb.yaml: decoding.top_prob: expected a number above 0.4444", "tail_ratio 0.2", "got 0.4"]),
    (SIM + ["--frames", "10", "--set", "+decoding.confidence_spread=9"], ["decoding.confidence_spread", "5"]),
    (SIM + ["--frames", "10", "--max-symbols", "0"], ["--max-symbols"]),
    (SIM + ["--frames", "10", "--algorithm", "modified-beam"], ["--algorithm", "modified_beam"]),
    (SIM + ["--frames", "32", "--chunk-frames", "16"], ["--chunk-frames", "bidirectional", "16"]),
    (SIM + ["--frames", "10", "--topk-on", "accelerator"], ["--softmax-on accelerator"]),
    (SIM + ["--frames", "10", "--device-set", "host_link.latncy_s.value=1"], ["host_link.latncy_s", "did you mean 'latency_s'"]),
    (["simulate", "usm_rnnt_1b", "exp5", "--device", "tpu_v5e", "--frames", "10", "--device-set",
      "default_host.value=tpu_vm_hots"], ["devices/tpu_v5e.yaml: default_host.value: expected a shipped device",
                                          "got 'tpu_vm_hots'"]),
    (["simulate", "usm_rnnt_1b", "exp5", "--device", "tpu_v5e", "--frames", "10", "--device-set",
      "default_host.value=tpu_v4"], ["tpu_v5e.yaml: default_host.value: expected a device whose file has a host_cpu section"]),
    (["simulate", "usm_rnnt_1b", "exp5", "--device", "tpu_v5e", "--frames", "10", "--matmul-precision", "hihgest"],
     ["--matmul-precision: unknown matmul precision 'hihgest'", "known: default, high, highest"]),
    (["simulate", "usm_rnnt_1b", "exp5", "--device", "tpu_v5e", "--frames", "10", "--search-on", "cpu"],
     ["--search-on: unknown search placement 'cpu'", "known: accelerator, host"]),
    (["cost", "usm_rnnt_1b", "exp5", "--device", "tpu_v5e", "--frames", "10", "--device-set",
      "modelling.dispatch_latency_s.value=-1e-6"], ["modelling.dispatch_latency_s.value: expected a number >= 0, got '-1e-6'"]),
    (["simulate", "ibm_rnnt_swb", "int4", "--device", "tpu_v5e", "--host", "xeon_host", "--frames", "10"],
     ["tpu_v5e.yaml", "int4"]),
    (["simulate", "ibm_rnnt_swb", "int4", "--device", "tpu_v9", "--frames", "10"], ["unknown device 'tpu_v9'"]),
    (["cost", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--frames", "-1"], ["--frames"]),
])
def test_one_line_errors(run_cli, args, fragments):
    assert_one_line_error(run_cli(*args), *fragments)


def test_replay_of_a_missing_or_broken_trace(run_cli, tmp_path):
    assert_one_line_error(run_cli(*SIM, "--frames", "10", "--replay", str(tmp_path / "none.json")), "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"algorithm": "tsd", "beam": 2, "frames": 3, "labels": 0, "steps": [[7, 1, 0, 1, 1]]}')
    assert_one_line_error(run_cli(*SIM, "--frames", "3", "--replay", str(bad)), "bad.json", "steps[0]")


def test_replay_of_a_trace_from_another_beam_or_algorithm(run_cli, tmp_path):
    trace = tmp_path / "t.json"
    assert run_cli(*SIM, "--frames", "6", "--beam", "2", "--save-schedule", str(trace)).code == 0
    assert_one_line_error(run_cli(*SIM, "--frames", "6", "--beam", "3", "--replay", str(trace)), "--replay", "beam 3")
    assert_one_line_error(run_cli(*SIM, "--frames", "6", "--beam", "2", "--algorithm", "alsd", "--replay", str(trace)),
                          "--replay", "'alsd'", "tsd")
    unknown = tmp_path / "u.json"
    unknown.write_text('{"algorithm": "viterbi", "beam": 2, "frames": 6, "labels": 0, "steps": [[0, 1, 0, 1, 1]]}')
    assert_one_line_error(run_cli(*SIM, "--frames", "6", "--beam", "2", "--replay", str(unknown)), "algorithm", "viterbi")


def test_sweep_writes_nothing_on_error(run_cli, tmp_path):
    out = tmp_path / "sweep"
    result = run_cli("sweep", "ibm_rnnt_swb", "--device", "ibm_7nm_ai_chip", "--precisions", "fp16,int9",
                     "--beams", "1,2", "--frames", "20", "--out", str(out), "--quiet")
    assert_one_line_error(result, "unknown precision 'int9'")
    assert not out.exists()


def test_sweep_rejects_non_positive_beams(run_cli, tmp_path):
    result = run_cli("sweep", "ibm_rnnt_swb", "--device", "ibm_7nm_ai_chip", "--precisions", "fp16",
                     "--beams", "0,2", "--frames", "20", "--out", str(tmp_path / "s"), "--quiet")
    assert_one_line_error(result, "--beams", "expected integers >= 1")
