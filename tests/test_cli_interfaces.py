"""The scripted interfaces the issues promise: --json keys and written files of cost, simulate, sweep, validate."""

import json

import pandas as pd

from hwsim.validation.counts import CHECKED_COUNTS


def test_cost_json(run_cli):
    result = run_cli("cost", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--frames", "30", "--beam", "4", "--json")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["total_s"] > 0
    op = data["ops"][0]
    assert {"name", "component", "engine", "time_s", "flops", "bytes", "bound"} <= set(op)


def test_cost_writes_outputs_and_roofline(run_cli, tmp_path):
    result = run_cli("cost", "usm_rnnt_1b", "exp5", "--device", "tpu_v5e", "--host", "xeon_host", "--frames", "100",
                     "--beam", "8", "--out", str(tmp_path / "c"), "--roofline", str(tmp_path / "r.png"))
    assert result.code == 0
    assert {p.name for p in (tmp_path / "c").iterdir()} == {"cost.csv", "cost.json", "resolved_config.yaml",
                                                        "hwsim-manifest.json"}
    assert (tmp_path / "r.png").stat().st_size > 1000


def test_simulate_json_and_trace(run_cli, tmp_path):
    trace = tmp_path / "trace.json"
    result = run_cli("simulate", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--frames", "40", "--beam", "4",
                     "--json", "--trace", str(trace), "--out", str(tmp_path / "run"))
    assert result.code == 0
    data = json.loads(result.out)
    assert {"total_s", "rtf", "components", "calls"} <= set(data)
    assert set(data["components"]) >= {"encoder", "prediction", "joint", "search", "transfer"}
    assert data["calls"]["prediction"] > 0 and data["calls"]["joint"] > 0
    lanes = {e["args"]["name"] for e in json.loads(trace.read_text())["traceEvents"] if e["name"] == "thread_name"}
    assert {"encoder: matrix", "link", "host: search"} <= lanes  # data-flow lanes (hwsim.report.trace)
    assert (tmp_path / "run" / "resolved_config.yaml").exists()


def test_simulate_audio_seconds_and_schedule_roundtrip(run_cli, tmp_path):
    saved = tmp_path / "schedule.json"
    first = run_cli("simulate", "lstm_rnnt_small", "fp32", "--device", "local_cpu", "--audio-s", "2", "--beam", "4",
                    "--json", "--save-schedule", str(saved))
    replayed = run_cli("simulate", "lstm_rnnt_small", "fp32", "--device", "local_cpu", "--frames", "50", "--beam", "4",
                       "--json", "--replay", str(saved))
    assert json.loads(first.out)["calls"] == json.loads(replayed.out)["calls"]
    assert json.loads(first.out)["total_s"] == json.loads(replayed.out)["total_s"]


def test_sweep_outputs(run_cli, tmp_path):
    out = tmp_path / "sweep"
    result = run_cli("sweep", "ibm_rnnt_swb", "--device", "ibm_7nm_ai_chip", "--precisions", "fp16,int4",
                     "--beams", "1,4", "--frames", "30", "--out", str(out), "--quiet")
    assert result.code == 0
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 2 * 2 * results.component.nunique()
    assert {"precision", "beam", "component", "busy_s", "total_s"} <= set(results.columns)
    assert (out / "speedup.png").exists() and (out / "speedup.csv").exists()


def test_sweep_parallel_equals_serial(run_cli, tmp_path):
    args = ["sweep", "ibm_rnnt_swb", "--device", "ibm_7nm_ai_chip", "--precisions", "fp16,int4", "--beams", "1,2",
            "--frames", "20", "--quiet"]
    run_cli(*args, "--workers", "1", "--out", str(tmp_path / "a"))
    run_cli(*args, "--workers", "2", "--out", str(tmp_path / "b"))
    a, b = pd.read_csv(tmp_path / "a" / "points.csv"), pd.read_csv(tmp_path / "b" / "points.csv")
    pd.testing.assert_frame_equal(a, b)


def test_validate_quick_checks_counts_and_reports_noise(quick_validation):
    data = quick_validation.data
    assert quick_validation.code == (0 if data["counts_match"] and data["emission_counts_ok"] else 1)
    assert data["points"] == 3 and data["counts_match"] is True
    assert data["emission_counts_ok"] is True  # the asserted counts of greedy, TSD and modified beam are predicted
    assert data["noise_floor_pct"] >= 0
    assert set(data["per_component"]) == {"encoder", "prediction", "joint", "search"}
    spread = {(s["point"], s["count"]): s for s in data["emission_spread"]}  # only modified beam's are unasserted
    assert set(spread) == {("lstm_rnnt_small T=150 B=4 modified_beam", c) for c in ("prediction_rows", "cache_hits")}
    assert all(len(s["real"]) == len(s["simulated"]) == 6 and 0 <= s["within_tolerance"] <= 6 for s in spread.values())
    trained = {(s["point"], s["count"]): s for s in data["trained_counts"]}  # every count of every quick point
    points = {"rnnt_trained_tiny T=150 B=1 greedy"} | {f"rnnt_trained_tiny T=150 B=4 {a}"
                                                       for a in ("beam", "tsd", "alsd", "modified_beam")}
    assert set(trained) == {(p, c) for p in points for c in CHECKED_COUNTS}
    assert data["trained_counts_ok"] is True  # the emission model's asserted counts on the trained decoders
    assert all(s["asserted"] for s in trained.values())  # all five counts of every algorithm, beam's included


def test_validate_keeps_its_device_and_the_tool_predicts_its_points_again(quick_validation):
    """The report carries the device it predicted with; re-predicting from it with the same cost model gives the
    report's own errors, point for point (tools/repredict_validation.py shares validate's predict_point)."""
    import subprocess
    import sys

    import yaml

    from hwsim.io.paths import REPO_ROOT

    out = quick_validation.out
    config = yaml.safe_load((out / "resolved_config.yaml").read_text())
    assert config["device_copy"] == "device.yaml" and config["seed"] == quick_validation.seed == 3
    assert (out / "device.yaml").read_bytes() == (REPO_ROOT / config["device"]).read_bytes()
    tool = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "repredict_validation.py"), str(out)],
                          capture_output=True, text=True, check=True)
    lines = [line.split() for line in tool.stdout.splitlines()[1:]]
    assert len(lines) == 5
    for _, before_median, _, before_worst, _, _, after_median, _, after_worst, _ in lines:
        assert (before_median, before_worst) == (after_median, after_worst)


def test_devices_lists_every_shipped_file(run_cli):
    result = run_cli("devices", "--json")
    assert result.code == 0
    names = {row["device"] for row in json.loads(result.out)}
    assert {"tpu_v4", "tpu_v5e", "tpu_v5p", "ibm_7nm_ai_chip", "xeon_host", "systolic_128", "local_cpu"} <= names
