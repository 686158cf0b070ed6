"""Start your own device from a shipped one (issue 29: there was no way to, and `devices --spec-dir` did not list it)."""

from __future__ import annotations

import dataclasses
import json
import shlex

import pytest
import yaml

from hwsim.cost.hardware import load_device
from hwsim.io.paths import shipped_names, DEVICES_DIR


def _template(run_cli, name: str) -> str:
    result = run_cli("devices", "--template", name)
    assert result.code == 0 and result.err == "", result.err
    return result.out


@pytest.mark.parametrize("name", shipped_names(DEVICES_DIR))
def test_template_is_valid_yaml_that_loads_back_with_the_same_figures(run_cli, tmp_path, name):
    text = _template(run_cli, name)
    assert yaml.safe_load(text)["name"] == f"my_{name}"
    copy = tmp_path / f"my_{name}.yaml"
    copy.write_text(text)
    mine, shipped = load_device(copy), load_device(name)
    assert dataclasses.replace(mine, name=name, file=shipped.file) == shipped


def test_template_header_says_which_figures_to_change(run_cli):
    header = [line for line in _template(run_cli, "tpu_v5e").splitlines() if line.startswith("#")]
    text = "\n".join(header)
    assert header[0].startswith("# yaml-language-server: $schema=/")  # absolute: valid wherever the copy is saved
    assert "#   memory: capacity_bytes, bandwidth_gb_per_s" in text
    assert "#   matrix_engines: cores, arrays_per_core, rows, cols, clock_hz, precisions.PAIR.ops_per_cycle" in text
    assert "source:" in text and "assumption:" in text and "--spec-dir DIR --device my_tpu_v5e" in text


def test_a_user_device_is_listed_marked_and_runs(run_cli, tmp_path):
    (tmp_path / "devices").mkdir()
    text = _template(run_cli, "tpu_v5e").replace("bandwidth_gb_per_s: {value: 819,", "bandwidth_gb_per_s: {value: 1638,")
    (tmp_path / "devices" / "my_tpu_v5e.yaml").write_text(text)
    listed = run_cli("devices", "--spec-dir", str(tmp_path), "--json")
    assert listed.code == 0, listed.err
    rows = {row["device"]: row for row in json.loads(listed.out)}
    assert rows["my_tpu_v5e"]["origin"] == "user" and rows["tpu_v5e"]["origin"] == "shipped"
    assert rows["my_tpu_v5e"]["file"] == str(tmp_path / "devices" / "my_tpu_v5e.yaml")
    assert rows["my_tpu_v5e"]["memory_gb_per_s"]["hbm"] == 1638
    table = run_cli("devices", "--spec-dir", str(tmp_path))
    assert "my_tpu_v5e (user)" in table.out and "tpu_v5e (user)" not in table.out.replace("my_tpu_v5e (user)", "")
    header_check = next(line for line in text.splitlines() if line.startswith("# Check the copy: "))
    argv = shlex.split(header_check.removeprefix("# Check the copy: ").replace("FILE", "my_tpu_v5e"))[1:]
    ran = run_cli(*argv, "--spec-dir", str(tmp_path), "--json")
    assert ran.code == 0, ran.err
    assert json.loads(ran.out)["device"] == "my_tpu_v5e"


def test_template_of_an_unknown_device_is_one_line(run_cli):
    result = run_cli("devices", "--template", "tpu_v5")
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("hwsim: error: device: unknown device 'tpu_v5' (did you mean 'tpu_v5p'?); known: ")
    assert result.err.count("\n") == 1


def test_template_name_sets_the_copys_name_and_is_a_plain_name(run_cli):
    assert yaml.safe_load(run_cli("devices", "--template", "tpu_v5e", "--name", "my_npu").out)["name"] == "my_npu"
    bad = run_cli("devices", "--template", "tpu_v5e", "--name", "../x")
    assert bad.code == 2 and bad.err.startswith("hwsim: error: --name: expected a device name")
    alone = run_cli("devices", "--name", "x")
    assert alone.code == 2 and alone.err == "hwsim: error: --name: expected --name only with --template NAME, got 'x'\n"
