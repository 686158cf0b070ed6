"""The error shape itself: argparse in one line, all spec errors at once, tagged unions, escaping, names, --set."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml

from hwsim.errors import SpecError, SpecErrors, one_line
from hwsim.io.paths import MODELS_DIR, PRECISIONS_DIR
from hwsim.specs.overrides import apply_overrides, parse_override
from tests.bad_input.test_spec_errors import assert_one_line_error

LSTM = MODELS_DIR / "lstm_rnnt_small.yaml"


def write_edited(tmp_path: Path, source: Path, edit) -> Path:
    data = yaml.safe_load(source.read_text())
    edit(data)
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("argv, fragments", [
    (["simulat"], ["COMMAND: unknown 'simulat' (did you mean 'simulate'?); expected one of:"]),
    (["params"], ["WORKLOAD: expected a value, got none (required)"]),
    (["params", "ibm_rnnt_swb", "--bogus"], ["--bogus: expected a known option"]),
    (["cost", "a", "b", "--device", "d", "--frames", "3", "--joint-on", "gpu"], ["--joint-on: unknown 'gpu'"]),
    (["simulate", "a", "b", "--device", "d", "--frames", "x"], ["--frames: expected an integer, got 'x'"]),
    (["simulate", "a", "b", "--device", "d", "--frames", "3", "--audio-s", "2"], ["--audio-s: expected only one of --audio-s and --frames, got both"]),
    (["qat-demo", "--qat-steps", "0"], ["--qat-steps: expected an integer >= 1, got 0"]),
])
def test_argparse_errors_are_one_line_in_the_common_shape(run_cli, argv, fragments):
    result = run_cli(*argv)
    assert_one_line_error(result, *fragments)
    assert "usage:" not in result.err


def test_every_error_of_a_file_is_reported_once_each(run_cli, tmp_path):
    def edit(data):
        data["encoder"]["hidden_dim"] = -1
        data["predictor"]["embed_dim"] = "wide"
        data["joint"]["vocab_sise"] = 3
    result = run_cli("params", str(write_edited(tmp_path, LSTM, edit)))
    lines = result.err.strip().splitlines()
    assert result.code == 2 and len(lines) == 3, result.err
    assert all(line.startswith("hwsim: error: ") and "lstm_rnnt_small.yaml" in line for line in lines)
    assert {"encoder.hidden_dim", "predictor.embed_dim", "joint.vocab_sise"} == {
        line.split(": ")[3] for line in lines}


def test_spec_errors_rebuild_and_pickle():
    errors = SpecErrors([SpecError("f", "a", "expected 1", 2), SpecError("f", "b", "expected 3", 4)])
    assert type(errors)(*errors.args).lines() == errors.lines()
    assert pickle.loads(pickle.dumps(errors)).lines() == errors.lines()
    assert str(errors) == "f: a: expected 1, got 2"


@pytest.mark.parametrize("kind, fragments", [
    ("transformer", ["encoder.kind: unknown 'transformer'", "expected one of: blstm, conformer"]),
    (None, ["encoder.kind: required key is missing; expected one of: blstm, conformer"]),
])
def test_tagged_unions_name_their_kinds(run_cli, tmp_path, kind, fragments):
    def edit(data):
        if kind is None:
            del data["encoder"]["kind"]
        else:
            data["encoder"]["kind"] = kind
    assert_one_line_error(run_cli("params", str(write_edited(tmp_path, LSTM, edit))), *fragments)


@pytest.mark.parametrize("value, fragment", [(True, "boolean"), (float("inf"), "finite"), (float("nan"), "finite")])
def test_numbers_are_numbers(run_cli, tmp_path, value, fragment):
    path = write_edited(tmp_path, LSTM, lambda d: d["encoder"].update(hidden_dim=value))
    assert_one_line_error(run_cli("params", str(path)), "encoder.hidden_dim", fragment)


def test_control_characters_are_escaped():
    assert one_line("a\nb\x1b[2J\tc") == "a\\nb\\x1b[2J\\tc"
    assert "\n" not in str(SpecError("x\ny.yaml", "k\r", "expected z", "v\x07"))


@pytest.mark.parametrize("name", ["../usm_rnnt_1b", "./ibm_rnnt_swb", "sub/ibm_rnnt_swb", "ibm_rnnt_swb.yaml"])
def test_names_with_separators_are_paths_never_joined_under_shipped_folders(run_cli, name):
    assert_one_line_error(run_cli("params", name), "not found")


def test_precision_names_cannot_climb_out(run_cli):
    assert_one_line_error(run_cli("size", "ibm_rnnt_swb", "../usm_rnnt_1b/exp5"), "not found")


def test_precisions_dir_must_be_a_name(run_cli, tmp_path):
    path = write_edited(tmp_path, MODELS_DIR / "ibm_rnnt_swb.yaml", lambda d: d.update(precisions_dir="../usm_rnnt_1b"))
    assert_one_line_error(run_cli("size", str(path), "exp5"), "precisions_dir", "not a path")


@pytest.mark.parametrize("via_env", [False, True])
def test_user_spec_folders_come_first(run_cli, tmp_path, monkeypatch, via_env):
    models = tmp_path / "specs" / "workloads" / "models"
    models.mkdir(parents=True)
    data = yaml.safe_load(LSTM.read_text())
    data["encoder"]["num_layers"] = 1
    (models / "mine.yaml").write_text(yaml.safe_dump(data))
    if via_env:
        monkeypatch.setenv("HWSIM_SPEC_PATH", str(tmp_path / "specs"))
        result = run_cli("params", "mine", "--json")
    else:
        result = run_cli("params", "mine", "--spec-dir", str(tmp_path / "specs"), "--json")
    assert result.code == 0, result.err
    assert "encoder.layers.1" not in result.out and "encoder.layers.0" in result.out
    assert_one_line_error(run_cli("params", "mine"), "unknown workload 'mine'") if not via_env else None


def test_overrides_add_keys_only_with_the_marker_and_index_lists_both_ways():
    data = yaml.safe_load((PRECISIONS_DIR / "ibm_rnnt_swb" / "int4.yaml").read_text())
    assert parse_override("+a.b=1") == (["a", "b"], 1, True)
    assert parse_override("rules[0].weights.bits=4")[0] == ["rules", "0", "weights", "bits"]
    first = apply_overrides(data, ["rules[0].weights.format=int8"], "f")
    second = apply_overrides(data, ["rules.0.weights.format=int8"], "f")
    assert first == second and first["rules"][0]["weights"]["format"] == "int8"
    added = apply_overrides(data, ["+extra.deep.key=2"], "f")
    assert added["extra"] == {"deep": {"key": 2}}
    with pytest.raises(SpecError, match=r"extra: expected an existing key for --set; '--set \+extra.key=\.\.\.' adds"):
        apply_overrides(data, ["extra.key=2"], "f")
    with pytest.raises(SpecError, match=r"rules\[99\]: expected a list index below"):
        apply_overrides(data, ["rules[99].weights=x"], "f")
    with pytest.raises(SpecError, match="non-empty keys"):
        apply_overrides(data, ["rules..weights=x"], "f")


@pytest.mark.parametrize("before_verb", [False, True])
def test_allow_large_lifts_the_run_size_limits(run_cli, before_verb):
    argv = ["params", "lstm_rnnt_small", "--set", "encoder.num_layers=1001", "--json"]
    assert_one_line_error(run_cli(*argv), "encoder.num_layers", "at most 1,000 layers", "--allow-large")
    result = run_cli(*(["--allow-large", *argv] if before_verb else [*argv, "--allow-large"]))
    assert result.code == 0, result.err
    assert "encoder.layers.1000." in result.out
    assert_one_line_error(run_cli(*argv), "encoder.num_layers")  # the next run has the limits again
