"""Published size and share claims (USM Table 2; Fasoli et al. Sec. 3.2), each with its expected verdict.

The sub-channel rows of USM Table 2 (Exp2, Exp5) do not reproduce with block 64: hwsim reports the effective
block the paper's figures imply instead of tuning the model. If a modelling change makes them reproduce
(or breaks one that reproduces), this test says so.
"""

import pytest

from hwsim.io.paths import CLAIMS_DIR
from hwsim.size.claims import DOES_NOT, check_claims
from hwsim.specs.claims import ClaimsSpec
from hwsim.specs.load import load_spec

EXPECTED_MISMATCHES = {
    "usm.exp2.f32_meta.size", "usm.exp2.f32_meta.reduction", "usm.exp2.int8_meta.size",
    "usm.exp2.int8_meta.reduction", "usm.exp5.f32_meta.size", "usm.exp5.f32_meta.reduction",
    "usm.exp5.int8_meta.size", "usm.exp5.int8_meta.reduction",
}


def all_results():
    results = []
    for path in sorted(CLAIMS_DIR.glob("*.yaml")):
        results += check_claims(load_spec(ClaimsSpec, path), path)
    return results


RESULTS = {r.claim.id: r for r in all_results()}


@pytest.mark.parametrize("claim_id", sorted(RESULTS))
def test_claim_verdict(claim_id):
    result = RESULTS[claim_id]
    if claim_id in EXPECTED_MISMATCHES:
        assert result.verdict == DOES_NOT
        assert result.note
    else:
        assert result.reproduced, f"{claim_id}: paper {result.claim.paper_value}, hwsim {result.hwsim_value}"


def test_sub_channel_mismatch_implies_a_block_near_48_to_53():
    note = RESULTS["usm.exp5.f32_meta.size"].note
    assert "effective block of 44-53" in note


def test_ibm_shares_to_one_decimal():
    assert round(RESULTS["ibm_rnnt.first_layer_share"].hwsim_value, 1) == 8.8
    assert round(RESULTS["ibm_rnnt.prediction_share"].hwsim_value, 1) == 4.1
    assert round(RESULTS["ibm_rnnt.int4_share"].hwsim_value, 1) == 90.2
    assert RESULTS["ibm_rnnt.fc_joint_share"].hwsim_value < 1.0
