"""Console output conventions (issue 29, items 6 and 7): labels that say what they count, tables with one format
per column and units in the headers, --json/--csv on every table verb, --quiet, examples in every verb's help."""

from __future__ import annotations

import json

from tests.conftest import FakeTerminal

SIM_GPU = ("simulate", "ibm_rnnt_swb", "fp16", "--device", "a100_pcie_80gb", "--frames", "100")


def test_eager_gpu_simulate_says_kernel_launches_are_per_kernel(run_cli):
    result = run_cli(*SIM_GPU)
    assert result.code == 0
    assert "launches 0.0000" not in result.out
    assert "kernel launches: eager, 5 us per kernel (inside each op's time)" in result.out
    assert "per-call dispatch 0.0000" in result.out
    data = json.loads(run_cli(*SIM_GPU, "--json").out)
    assert data["kernel_launch_s"] == 5e-06 and data["cuda_graphs"] is False
    assert data["call_latency_s"] == {"launch_s": 0.0, "step_latency_s": 0.0}  # per call: none when eager


def _stats(e2e_median: float, e2e_worst: float, encoder: float) -> dict:
    return {"median_abs_error_pct": e2e_median, "worst_abs_error_pct": e2e_worst,
            "per_component": {"encoder": {"median_abs_error_pct": encoder, "worst_abs_error_pct": encoder}},
            "counts_match": True, "emission_counts_ok": True, "trained_counts_ok": True}


def test_validate_prints_a_verdict_per_target_also_with_quick(capsys):
    """issue 29: `validate --quick` printed errors but never whether its targets were met."""
    from hwsim.commands.validate import print_targets, target_verdicts

    targets = target_verdicts(_stats(9.0, 40.0, 12.0))
    assert [(t["target"], t["met"]) for t in targets[:3]] == [
        ("end to end: median |error|", True), ("end to end: worst |error|", False), ("encoder: median |error|", True)]
    print_targets(targets, quick=True)
    out = capsys.readouterr().out
    missed = [line.split("  ")[0] for line in out.splitlines() if line.endswith("NOT MET")]
    assert missed == ["end to end: worst |error|"]
    assert "40.0            35  NOT MET" in out
    assert "verdict: 1 of 6 targets not met (--quick: 3 points; the full grid is the report's measure)" in out
    print_targets(target_verdicts(_stats(9.0, 20.0, 12.0)), quick=False)
    assert "verdict: every target met\n" in capsys.readouterr().out


def test_tables_have_units_in_headers_and_one_format_per_column():
    from hwsim.report.table import render

    text = render([{"name": "a", "time_s": 0.0012, "utilization": 0.5, "bytes": 10, "note": None},
                   {"name": "b", "time_s": -0.0000001, "utilization": None, "bytes": 2000, "note": "x"}])
    assert text.splitlines() == [
        "name  time [ms]  utilization [%]  bytes  note",
        "----  ---------  ---------------  -----  ----",
        "a         1.200               50     10  -",
        "b         0.000                -  2,000  x",
    ]


def test_devices_fits_100_columns_and_wide_shows_every_pair(run_cli):
    narrow = run_cli("devices")
    assert narrow.code == 0 and max(map(len, narrow.out.splitlines())) <= 100
    wide = run_cli("devices", "--wide")
    assert "binaryxbinary" in wide.out and "binaryxbinary" not in narrow.out


def test_every_table_verb_has_json_and_csv():
    """issue 29: sweep had no --json, cost no --csv, params no --csv."""
    from hwsim.cli import build_parser

    table_verbs = ("size", "params", "check", "qat-demo", "qat", "devices", "gemm", "cost", "simulate", "serve",
                   "sweep", "reference", "validate", "calibrate")
    for verb in table_verbs:
        sub = build_parser(verb)._subparsers._group_actions[0].choices[verb]
        flags = {o for a in sub._actions for o in a.option_strings}
        assert {"--json", "--csv", "--quiet"} <= flags, verb


def test_csv_outputs_parse_and_match_the_json(run_cli, tmp_path):
    import csv
    import io

    params_csv = list(csv.DictReader(io.StringIO(run_cli("params", "lstm_rnnt_small", "--csv").out)))
    params_json = json.loads(run_cli("params", "lstm_rnnt_small", "--json").out)
    assert [r["name"] for r in params_csv] == [r["name"] for r in params_json]
    cost = run_cli("cost", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--frames", "20", "--csv")
    assert cost.code == 0 and cost.out.startswith("name,component,engine,kind,rows,count,time_s")
    sweep = run_cli("sweep", "ibm_rnnt_swb", "--device", "ibm_7nm_ai_chip", "--precisions", "int4,int8",
                    "--frames", "20", "--beams", "1", "--out", str(tmp_path / "s"), "--json")
    assert sweep.code == 0
    points = json.loads(sweep.out)  # nothing but the JSON on stdout
    assert [p["precision"] for p in points] == ["int4", "int8"] and sweep.err == ""


def test_quiet_silences_notes_but_not_results(run_cli, tmp_path):
    loud = run_cli("qat-demo", "--float-steps", "2", "--qat-steps", "1", "--out", str(tmp_path / "a"))
    quiet = run_cli("qat-demo", "--float-steps", "2", "--qat-steps", "1", "--out", str(tmp_path / "b"), "--quiet")
    assert "written to" in loud.err and quiet.err == ""
    assert loud.out == quiet.out and "held-out MSE before QAT" in quiet.out


def test_simulate_names_its_counts_line_counts_not_calls(run_cli):
    """The line lists rows, cache hits, steps and labels as well as calls, so 'calls:' mislabelled most of it."""
    out = run_cli(*SIM_GPU).out
    assert "  calls: " not in out
    assert "  counts (calls, rows, cache hits, steps, labels): prediction 181  joint 400" in out



def test_bars_go_to_a_terminal_stderr_only_and_quiet_turns_them_off(monkeypatch, capsys):
    from hwsim import progress as bars

    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    for quiet in (False, True):
        bars.set_quiet(quiet)
        try:
            with bars.progress(total=3, desc="demo", unit="pt") as bar:
                bar.update(3)
            bars.status("written to x/")
        finally:
            bars.set_quiet(False)
        shown, terminal.text = terminal.text, ""
        assert ("demo" in shown and "written to x/" in shown) is not quiet
        assert shown == "" if quiet else True
    assert capsys.readouterr().out == ""  # nothing on stdout either way
