"""`hwsim serve` end to end: one utterance equals `simulate`, the --json keys, --out files, determinism."""

from __future__ import annotations

import json

import pytest

from hwsim.commands.serve import DEFAULT_TRACE_UTTERANCES
from tests.conftest import FakeTerminal

SIM = ("lstm_rnnt_small", "fp16", "--device", "ibm_7nm_ai_chip")
JSON_KEYS = {"throughput_utt_per_s", "rtfx", "latency_s", "utilization", "batch", "memory", "chips",
             "cost_per_1000h_usd", "energy_per_hour_audio_j"}


STREAMING = ("streaming_rnnt_mobile", "fp16", "--device", "ibm_7nm_ai_chip")  # unidirectional: chunks allowed


@pytest.mark.parametrize("model, extra", [(SIM, ()), (SIM, ("--beam", "4")),
                                          (STREAMING, ("--beam", "4", "--chunk-frames", "40"))])
def test_one_utterance_at_batch_one_gives_simulates_total(run_cli, model, extra):
    simulated = run_cli("simulate", *model, "--audio-s", "3", *extra, "--json")
    served = run_cli("serve", *model, "--utterances", "1", "--utterance-s", "3", "--utterance-cv", "0",
                     "--batching", "static", "--max-batch", "1", *extra, "--json")
    assert simulated.code == served.code == 0, served.err
    assert json.loads(served.out)["makespan_s"] == json.loads(simulated.out)["total_s"]


def test_one_utterance_equals_simulate_on_a_tpu_with_a_host(run_cli):
    args = ("usm_rnnt_1b", "exp5", "--device", "tpu_v5e", "--host", "xeon_host", "--beam", "8")
    simulated = json.loads(run_cli("simulate", *args, "--audio-s", "4", "--json").out)
    served = json.loads(run_cli("serve", *args, "--utterances", "1", "--utterance-s", "4", "--utterance-cv", "0",
                                "--max-batch", "1", "--json").out)
    assert served["makespan_s"] == simulated["total_s"]
    assert served["latency_s"]["max"] == simulated["total_s"]


def test_json_keys_and_memory(run_cli):
    result = run_cli("serve", *SIM, "--scenario", "server", "--rate", "20", "--duration-s", "3", "--json")
    data = json.loads(result.out)
    assert JSON_KEYS <= set(data)
    assert set(data["latency_s"]) == {"p50", "p90", "p99", "max"}
    assert {"mean", "max"} <= set(data["batch"])
    assert {"weights_bytes", "per_stream_bytes", "max_concurrent_streams"} <= set(data["memory"])
    assert data["chips"] == 1 and data["cost_per_1000h_usd"] is None   # the IBM test chip has no price
    # energy per hour of audio = power x chip-hours per audio hour
    assert data["energy_per_hour_audio_j"] == pytest.approx(13.5 * 3600 / data["rtfx"])
    assert data["latency_s"]["p50"] <= data["latency_s"]["p99"] <= data["latency_s"]["max"]


def test_streaming_out_dir_and_determinism(run_cli, tmp_path):
    args = ("serve", *SIM, "--scenario", "streaming", "--streams", "2,4", "--duration-s", "4", "--utterance-s", "2",
            "--chips", "2", "--seed", "7", "--trace")
    first = run_cli(*args, "--out", str(tmp_path / "a"))
    second = run_cli(*args, "--out", str(tmp_path / "b"))
    assert first.code == second.code == 0, first.err
    for name in ("summary.json", "utterances.csv", "batches.csv", "chunks.csv", "loads.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    for name in ("latency_vs_load.png", "trace.json", "resolved_config.yaml"):
        assert (tmp_path / "a" / name).stat().st_size > 0
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["streams"] == 4 and set(summary["chunk_latency_s"]) == {"p50", "p90", "p99", "max"}
    trace = json.loads((tmp_path / "a" / "trace.json").read_text())
    lanes = {e["args"]["name"] for e in trace["traceEvents"] if e.get("name") == "thread_name"}
    assert all(any(lane.endswith(f"chip{c}/matrix") for lane in lanes) for c in (0, 1)), lanes  # a lane per chip resource


def test_find_max_load_stops_at_the_streams_memory_holds(run_cli):
    # dram 14.42e6 B - weights 12,425,728 B leave 1,994,272 B: a batch of 32 (49,152 B activations + 29,184 B state
    # each: 20,992 B of LSTM states, logits and caches + 8,192 B, the encoder output of one 16-frame chunk, 256 wide,
    # fp16) does not fit, so it is capped at 25; the rest, 765,472 B, holds 26 streams' state. A lax target is met
    # there, so the answer is the memory bound.
    result = run_cli("serve", *SIM, "--device-set", "memory.1.capacity_bytes.value=14.42e6", "--scenario",
                     "streaming", "--duration-s", "2", "--utterance-s", "1", "--slo-p99-s", "1.0", "--find-max-load",
                     "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["memory"]["batch_cap"] == 25 and data["memory"]["max_concurrent_streams"] == 26
    assert data["memory"]["batch_limited_by"] == "memory" and data["memory"]["encoder_output_bytes"] == 16 * 256 * 2
    assert data["max_streams"] == 26 and data["slo_p99_s"] == 1.0
    assert data["latency_s"]["p99"] <= 1.0        # the summary is the run at the capacity found



SMALL_DRAM = ("--device-set", "memory.1.capacity_bytes.value=14.42e6")
OFFLINE_1S = ("--utterances", "30", "--utterance-s", "1", "--utterance-cv", "0", "--batching", "static")


def test_memory_caps_an_offline_batch_and_the_report_says_so(run_cli):
    # 1 s utterances of 25 encoder frames. Each holds its encoder output while decoded: 25 frames x the 256-wide
    # joint encoder projection, fp16 = 12,800 B; plus (h, c) of the 320-cell predictor, f32 = 2,560 B, and two
    # logit rows of 256, f32 = 2,048 B; its activations: the largest encoder op (a BiLSTM layer's input projection,
    # 512 in + 1024 out per frame) x 25 frames, fp16 = 76,800 B. 94,208 B per batch member: dram 14.42e6 B less
    # the 12,425,728 B of weights holds 21 (21.2), not the 64 asked for.
    result = run_cli("serve", *SIM, *SMALL_DRAM, *OFFLINE_1S, "--max-batch", "64", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    memory = data["memory"]
    assert memory["encoder_output_bytes"] == 25 * 256 * 2
    assert (memory["hypothesis_states_bytes"], memory["logits_bytes"], memory["streaming_cache_bytes"]) == \
        (2 * 320 * 4, 2 * 256 * 4, 0)
    assert memory["per_stream_bytes"] == 25 * 256 * 2 + 2 * 320 * 4 + 2 * 256 * 4
    assert memory["activations_per_item_bytes"] == 25 * (512 + 1024) * 2
    assert memory["requested_batch"] == 64 and memory["batch_cap"] == memory["max_batch_by_memory"] == 21
    assert memory["batch_limited_by"] == "memory" and data["batch"]["max"] == 21
    console = run_cli("serve", *SIM, *SMALL_DRAM, *OFFLINE_1S, "--max-batch", "64")
    assert console.code == 0, console.err
    assert ("  batch 64 capped by memory at 21 (dram 14.42 MB: weights 12.43 MB + 21 x 94.21 kB per utterance, "
            "of which 17.41 kB state and 76.8 kB activations)\n") in console.out


def test_a_batch_that_fits_is_bound_by_max_batch_and_the_report_is_silent(run_cli):
    data = json.loads(run_cli("serve", *SIM, *SMALL_DRAM, *OFFLINE_1S, "--max-batch", "21", "--json").out)
    assert data["memory"]["batch_limited_by"] == "max_batch" and data["memory"]["batch_cap"] == 21
    assert data["memory"]["requested_batch"] == 21 and data["memory"]["max_batch_by_memory"] == 21
    assert "capped by memory" not in run_cli("serve", *SIM, *SMALL_DRAM, *OFFLINE_1S, "--max-batch", "21").out


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_reproduce_workers_must_be_a_positive_integer(run_cli, tmp_path, value):
    result = run_cli("reproduce", "usm-serving-load", "--quick", "--workers", value, "--out", str(tmp_path / "r"))
    assert result.code == 2
    assert result.err.count("\n") == 1 and "--workers" in result.err and "expected an integer >= 1" in result.err
    assert not (tmp_path / "r").exists()


SERVER = ("serve", *SIM, "--scenario", "server", "--duration-s", "2", "--utterance-s", "1")
SUMMARIES = {"summary.json", "utterances.csv", "resolved_config.yaml", "hwsim-manifest.json"}
CURVE = {"loads.csv", "latency_vs_load.png"}
TRACE = {"batches.csv", "chunks.csv", "trace.json"}


@pytest.fixture
def loads_run(monkeypatch):
    """The (rate or streams, max batch) of every load the engine simulates in this process."""
    import hwsim.serving.serve as serving_run

    seen: list[tuple[float, int]] = []
    build = serving_run.build_load

    def recording(request, *args, **kwargs):
        seen.append((request.load, request.max_batch))
        return build(request, *args, **kwargs)

    monkeypatch.setattr(serving_run, "build_load", recording)
    return seen


def _files(folder) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_out_runs_only_the_load_asked_and_writes_only_the_summaries(run_cli, tmp_path, loads_run):
    """It ran 5/10/15/20 when 20 was asked for and wrote the batches and a Chrome trace nobody asked for."""
    result = run_cli(*SERVER, "--rate", "20", "--out", str(tmp_path / "o"))
    assert result.code == 0, result.err
    assert [load for load, _ in loads_run] == [20.0]
    assert _files(tmp_path / "o") == SUMMARIES
    assert "trace" not in json.loads((tmp_path / "o" / "summary.json").read_text())


def test_offline_out_runs_one_batch_size_unless_a_list_asks(run_cli, tmp_path, loads_run):
    base = ("serve", *SIM, "--utterances", "6", "--utterance-s", "1")
    assert run_cli(*base, "--max-batch", "8", "--out", str(tmp_path / "a")).code == 0
    assert [batch for _, batch in loads_run] == [8] and _files(tmp_path / "a") == SUMMARIES
    loads_run.clear()
    result = run_cli(*base, "--max-batch", "4,2", "--out", str(tmp_path / "b"), "--json")
    assert result.code == 0, result.err
    assert sorted(batch for _, batch in loads_run) == [2, 4] and _files(tmp_path / "b") == SUMMARIES | CURVE
    assert [row["load"] for row in json.loads(result.out)["loads"]] == [2.0, 4.0]


def test_rates_run_exactly_those_loads_and_draw_the_curve(run_cli, tmp_path, loads_run):
    import pandas as pd

    result = run_cli(*SERVER, "--rates", "20,5,10,5", "--out", str(tmp_path / "o"), "--json")
    assert result.code == 0, result.err
    assert sorted(load for load, _ in loads_run) == [5.0, 10.0, 20.0]   # each once, the summary's run included
    assert _files(tmp_path / "o") == SUMMARIES | CURVE
    assert pd.read_csv(tmp_path / "o" / "loads.csv")["load"].tolist() == [5.0, 10.0, 20.0]
    data = json.loads(result.out)
    assert data["load"] == 20.0 and [row["load"] for row in data["loads"]] == [5.0, 10.0, 20.0]
    assert data["loads"][-1]["latency_p99_s"] == data["latency_s"]["p99"]   # the highest load is the summary


def test_a_stream_count_list_runs_each_count(run_cli, loads_run):
    result = run_cli("serve", *SIM, "--scenario", "streaming", "--streams", "3,1", "--duration-s", "2",
                     "--utterance-s", "1", "--json")
    assert result.code == 0, result.err
    assert sorted(load for load, _ in loads_run) == [1, 3]
    data = json.loads(result.out)
    assert data["streams"] == 3 and [row["load"] for row in data["loads"]] == [1.0, 3.0]


def test_trace_files_come_with_trace_and_hold_the_stated_utterances(run_cli, tmp_path):
    import pandas as pd

    out = tmp_path / "o"
    result = run_cli(*SERVER, "--rate", "20", "--out", str(out), "--trace", "--trace-utterances", "3")
    assert result.code == 0, result.err
    assert _files(out) == SUMMARIES | TRACE
    window = json.loads((out / "summary.json").read_text())["trace"]
    assert window["utterances"] == 3 and not window["segments_capped"]
    utterances = pd.read_csv(out / "utterances.csv")
    third_done_s = sorted(utterances.done_s)[2]
    assert len(utterances) > 3 and window["until_s"] == pytest.approx(third_done_s, rel=1e-9)
    batches = pd.read_csv(out / "batches.csv")
    assert len(batches) == window["batches"] and (batches.start_s < window["until_s"]).all()
    assert set(pd.read_csv(out / "chunks.csv").uid) == set(utterances.uid[utterances.done_s <= window["until_s"]])
    events = [e for e in json.loads((out / "trace.json").read_text())["traceEvents"] if e.get("ph") == "X"]
    assert len(events) == window["segments"] and max(e["ts"] for e in events) < window["until_s"] * 1e6
    assert "trace files: the first 3 utterances to finish" in result.out


def test_trace_segments_still_caps_the_chrome_trace_and_implies_trace(run_cli, tmp_path):
    out = tmp_path / "o"
    assert run_cli(*SERVER, "--rate", "20", "--out", str(out), "--trace-segments", "50").code == 0
    window = json.loads((out / "summary.json").read_text())["trace"]
    events = [e for e in json.loads((out / "trace.json").read_text())["traceEvents"] if e.get("ph") == "X"]
    assert len(events) == window["segments"] <= 50 and window["segments_capped"]
    assert window["utterances"] < DEFAULT_TRACE_UTTERANCES   # the segments ran out first
    assert run_cli(*SERVER, "--rate", "20", "--out", str(tmp_path / "n"), "--trace", "--trace-segments", "0").code == 0
    assert _files(tmp_path / "n") == SUMMARIES | {"batches.csv", "chunks.csv"}   # 0: no Chrome trace



@pytest.mark.parametrize("quiet", [False, True])
def test_every_serve_run_shows_an_utterance_bar_on_a_terminal_unless_quiet(monkeypatch, capsys, quiet):
    from hwsim.cli import main

    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    code = main(["serve", *SIM, "--utterances", "4", "--utterance-s", "1", "--json", *(["--quiet"] if quiet else [])])
    assert code == 0
    assert ("serve: utterances" in terminal.text) is not quiet          # finished in the engine
    assert ("serve: decode schedules" in terminal.text) is not quiet    # drawn before it
    assert terminal.text == "" if quiet else True   # --quiet: not a byte on stderr
    assert json.loads(capsys.readouterr().out)["utterances"] == 4   # stdout holds only the result
