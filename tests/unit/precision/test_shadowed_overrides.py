"""--precision-set on `defaults` that a rule shadows says so, naming the rule and the edit that reaches it
(issue 29: the README's `defaults.weights.format=bf16` on exp5 left the binarized weights as they were, silently)."""

from __future__ import annotations

import json

import pytest

import hwsim.errors


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(hwsim.errors, "_warned", set(), raising=False)


def _size(run_cli, *sets: str):
    argv = ["size", "usm_rnnt_1b", "exp5", "--json"]
    for text in sets:
        argv += ["--precision-set", text]
    result = run_cli(*argv)
    assert result.code == 0, result.err
    return json.loads(result.out), result.err


def test_a_shadowed_default_warns_naming_the_rule_and_the_fix(run_cli):
    size, err = _size(run_cli, "defaults.weights.format=bf16")
    assert err.splitlines() == [
        "hwsim: warning: --precision-set defaults.weights.format=bf16: rules[0] (encoder dense weights, match "
        "encoder.*) sets 161 tensors' weights and rules win over defaults, so the edit does not reach them; to "
        "change them too: --precision-set 'rules[0].weights={format: bf16}'"]
    assert size["quantized_params"] > 0  # the warning is true: the binarized encoder weights are still there


def test_the_suggested_rule_edit_reaches_the_shadowed_weights(run_cli):
    size, err = _size(run_cli, "defaults.weights.format=bf16", "rules[0].weights={format: bf16}")
    assert err == ""
    assert size["quantized_params"] == 0 and size["params_by_format"] == {"bf16": size["total_params"]}


def test_an_unshadowed_default_is_silent(run_cli):
    _, err = _size(run_cli, "defaults.activations.format=bf16")  # exp5 has no activation rules
    assert err == ""


def test_readme_example_does_what_it_says(run_cli):
    """README daily job 2: exp5 with bf16 activations and binary blocks of 128 instead of 64: half the scales."""
    base, _ = _size(run_cli)
    edited, err = _size(run_cli, "defaults.activations.format=bf16", "rules[0].weights.block_size=128")
    assert err == ""
    assert edited["metadata_bits"] * 2 == base["metadata_bits"]


def test_deliberate_overrides_can_be_silenced(capsys):
    """Paper reproductions override the defaults on purpose (float parts in bf16 on a TPU, quantized rules kept)."""
    from hwsim.errors import silenced_warnings
    from hwsim.repro.gpu_vs_tpu import TPU_HALF
    from hwsim.precision.resolved import resolve_model

    with silenced_warnings():
        resolve_model("ibm_rnnt_swb", "int4", precision_overrides=list(TPU_HALF["int4"]))
    assert capsys.readouterr().err == ""
    resolve_model("ibm_rnnt_swb", "int4", precision_overrides=list(TPU_HALF["int4"]))
    assert "hwsim: warning: --precision-set defaults.weights.format=bf16: rules[0]" in capsys.readouterr().err
