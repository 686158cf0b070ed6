"""`hwsim serve` bad input: one line naming the flag or file and what was expected, exit 2, nothing written."""

from __future__ import annotations

import pytest

BASE = ("serve", "lstm_rnnt_small", "fp16", "--device", "ibm_7nm_ai_chip")


@pytest.mark.parametrize("extra, message", [
    (("--scenario", "server", "--rate", "0"), "--rate: expected a number > 0, got 0.0"),
    (("--scenario", "server", "--rate", "-3"), "--rate: expected a number > 0, got -3.0"),
    (("--scenario", "server"), "--rate: required with --scenario server"),
    (("--scenario", "streaming", "--streams", "0"), "--streams: expected an integer >= 1, got 0"),
    (("--max-batch", "0"), "--max-batch: expected an integer >= 1, got 0"),
    (("--chips", "0"), "--chips: expected an integer >= 1, got 0"),
    (("--scenario", "streaming", "--streams", "2", "--slo-p99-s", "-1", "--find-max-load"),
     "--slo-p99-s: expected a latency in seconds > 0, got -1.0"),
    (("--scenario", "server", "--find-max-load"), "--slo-p99-s: required with --find-max-load"),
    (("--find-max-load", "--slo-p99-s", "1"), "--find-max-load: --scenario server or streaming"),
    (("--batching", "statik"), "--batching: unknown batching 'statik' (did you mean 'static'?)"),
    (("--scenario", "stream"), "--scenario: unknown scenario 'stream' (did you mean 'streaming'?)"),
    (("--order", "sortd"), "--order: unknown order 'sortd' (did you mean 'sorted'?)"),
    (("--padding", "pack"), "--padding: unknown padding 'pack' (did you mean 'packed'?)"),
    (("--scenario", "server", "--rate", "5", "--order", "sorted"),
     "--order: expected arrival for --scenario server (requests are served as they arrive; sorted and bucketed "
     "reorder an offline run), got 'sorted'"),
    (("--scenario", "streaming", "--streams", "2", "--order", "bucketed"),
     "--order: expected arrival for --scenario streaming"),
    (("--utterance-s", "0"), "--utterance-s: expected a number > 0"),
    (("--max-wait-s", "-1"), "--max-wait-s: expected a number >= 0"),
    (("--scenario", "server", "--rates", ""),
     "--rates: expected arrival rates > 0 in utterances per second: a comma list such as 10,20,40, got ''"),
    (("--scenario", "server", "--rates", "10,,20"), "--rates: expected arrival rates > 0 in utterances per second: "
     "a comma list such as 10,20,40, got '10,,20'"),
    (("--scenario", "server", "--rates", "10,abc"),
     "--rates: expected arrival rates > 0 in utterances per second, got 'abc'"),
    (("--scenario", "server", "--rates", "10,-5"), "--rates: expected a number > 0, got -5.0"),
    (("--scenario", "server", "--rates", "0"), "--rates: expected a number > 0, got 0.0"),
    (("--scenario", "server", "--rates", "nan"), "--rates: expected a number > 0, got nan"),
    (("--rates", "10,20"), "--rates: expected --scenario server (streaming: --streams S1,S2,...; offline: "
     "--max-batch B1,B2,...), got '--scenario offline'"),
    (("--scenario", "streaming", "--streams", "2", "--rates", "10"), "--rates: expected --scenario server"),
    (("--scenario", "server", "--rate", "5", "--rates", "10,20"),
     "--rates: expected either --rate R or --rates R1,R2,..., not both, got '--rate 5'"),
    (("--scenario", "server", "--rate", "5", "--streams", "2,4"),
     "--streams: expected one count (a list of stream counts needs --scenario streaming), got '--scenario server'"),
    (("--scenario", "streaming", "--streams", "2,x"), "--streams: expected stream counts, integers >= 1, got 'x'"),
    (("--scenario", "streaming", "--streams", "2,0"), "--streams: expected an integer >= 1, got 0"),
    (("--scenario", "server", "--rate", "5", "--max-batch", "4,8"),
     "--max-batch: expected one batch size (a list of batch sizes is an offline curve), got '--scenario server'"),
    (("--max-batch", "4,-8"), "--max-batch: expected an integer >= 1, got -8"),
    (("--scenario", "server", "--rates", "10,20", "--slo-p99-s", "1", "--find-max-load"),
     "--rates: expected one starting load with --find-max-load (its probes are the curve), got '10,20'"),
    (("--trace-utterances", "0"), "--trace-utterances: expected an integer >= 1 (utterances the trace covers), got 0"),
    (("--trace", "--trace-utterances", "-3"), "--trace-utterances: expected an integer >= 1"),
    (("--trace-segments", "-1"), "--trace-segments: expected an integer >= 0 (0: no Chrome trace), got -1"),
    (("--scenario", "server", "--rate", "1", "--scheduler", "tcp://127.0.0.1:9"),
     "--scheduler: expected a Dask scheduler that answers"),
])
def test_bad_flags(run_cli, tmp_path, extra, message):
    if "--scheduler" in extra:
        pytest.importorskip("distributed")
    out = tmp_path / "out"
    result = run_cli(*BASE, *extra, "--out", str(out))
    assert result.code == 2, result.err
    assert result.err.startswith("hwsim: error: ") and message in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert not out.exists()


@pytest.mark.parametrize("text, message", [
    ("1.0\nabc\n", "row 2: expected a duration in seconds > 0 (a decimal number such as 2.5 or 1e3), got 'abc'"),
    ("2.0\n-1\n", "row 2: expected a duration in seconds > 0, got -1.0"),
    ("", "expected at least one duration in seconds (one per line), got no rows"),
])
def test_bad_lengths_file(run_cli, tmp_path, text, message):
    path = tmp_path / "lengths.csv"
    path.write_text(text)
    out = tmp_path / "out"
    result = run_cli(*BASE, "--lengths", str(path), "--out", str(out))
    assert result.code == 2
    assert result.err == f"hwsim: error: {path}: {message}\n"
    assert not out.exists()


def test_a_model_too_big_for_one_chip_says_sharding_is_out_of_scope(run_cli, tmp_path):
    out = tmp_path / "out"
    result = run_cli("serve", "usm_rnnt_1b", "exp0", "--device", "tpu_v5e", "--host", "xeon_host",
                     "--device-set", "memory.0.capacity_bytes.value=1e9", "--out", str(out))
    assert result.code == 2, result.err
    assert "sharding a model across chips is out of scope" in result.err and result.err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize("flags", [("--trace",), ("--trace-utterances", "5")])
def test_trace_without_out_names_the_flag(run_cli, tmp_path, monkeypatch, flags):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*BASE, *flags)
    assert result.code == 2
    assert result.err == f"hwsim: error: {flags[0]}: expected --out DIR to write the trace files into, got 'no --out'\n"
    assert list(tmp_path.iterdir()) == []
