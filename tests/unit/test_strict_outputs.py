"""--json output is strict JSON (non-finite -> null); CSVs have fixed significant digits (identical bytes)."""

from __future__ import annotations

import json
import math
from enum import Enum
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hwsim.io.csvout import SIGNIFICANT_DIGITS, csv_text, write_csv
from hwsim.io.jsonout import dumps, to_strict


def _strict_loads(text: str):
    return json.loads(text, parse_constant=lambda name: pytest.fail(f"non-strict JSON constant {name}"))


class Colour(Enum):
    RED = "red"


def test_non_finite_numbers_become_null():
    payload = {"a": math.nan, "b": [math.inf, -math.inf, 1.5], "c": np.float64("nan"), "d": np.array([1.0, np.nan])}
    assert _strict_loads(dumps(payload)) == {"a": None, "b": [None, None, 1.5], "c": None, "d": [1.0, None]}


def test_numpy_enum_path_and_tuple_values_become_plain_json():
    payload = {Colour.RED: (np.int64(3), np.float32(0.5)), "p": Path("x/y"), "e": Colour.RED, "na": pd.NA}
    assert to_strict(payload) == {"red": [3, 0.5], "p": "x/y", "e": "red", "na": None}


def test_unknown_objects_are_an_error_not_a_string():
    with pytest.raises(TypeError):
        dumps({"x": object()})


def test_csv_hides_summation_order_noise():
    noisy = pd.DataFrame({"t_s": [0.1 + 0.2], "n": [3]})
    clean = pd.DataFrame({"t_s": [0.3], "n": [3]})
    assert 0.1 + 0.2 != 0.3
    assert csv_text(noisy) == csv_text(clean) == "t_s,n\n0.3,3\n"


def test_csv_keeps_the_stated_significant_digits_and_exact_integers(tmp_path):
    frame = pd.DataFrame({"x": [1.2345678912345e-7], "bits": [2**53 + 1]})
    text = write_csv(frame, tmp_path / "f.csv").read_text()
    value, bits = text.splitlines()[1].split(",")
    assert len(value.split("e")[0].replace(".", "").lstrip("0")) == SIGNIFICANT_DIGITS
    assert int(bits) == 2**53 + 1


def test_cost_json_is_strict_and_writes_null(run_cli):
    result = run_cli("cost", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--frames", "8", "--json")
    assert result.code == 0
    assert "NaN" not in result.out and "Infinity" not in result.out
    payload = _strict_loads(result.out)
    assert payload["ops"] and payload["total_s"] > 0


def test_identical_sweeps_write_identical_csv_bytes(run_cli, tmp_path):
    args = ["ibm_rnnt_swb", "--device", "ibm_7nm_ai_chip", "--precisions", "fp16,int4", "--beams", "1,4",
            "--frames", "16"]
    for name in ("a", "b"):
        assert run_cli("sweep", *args, "--out", str(tmp_path / name)).code == 0
    for csv in ("results.csv", "points.csv", "speedup.csv"):
        assert (tmp_path / "a" / csv).read_bytes() == (tmp_path / "b" / csv).read_bytes()


def test_commands_and_reports_write_through_the_helpers():
    package = Path(__file__).parents[2] / "hwsim"
    writers = [p for folder in ("commands", "report", "repro", "validation") for p in (package / folder).glob("*.py")]
    offenders = [f"{p.name}: {needle}" for p in writers for needle in (".to_csv(", "json.dump", ".to_json(")
                 if needle in p.read_text()]
    assert offenders == []
