"""Printed precision plans as golden snapshots. A plan mirrors its config one line per tensor and op, so any
change in rule resolution (order, roles, metadata entries, activation formats) shows up as a diff here.
Regenerate deliberately with: HWSIM_REGEN_GOLDEN=1 python -m pytest tests/golden
"""

import os
from pathlib import Path

import pytest

from hwsim.precision.resolved import resolve_model

CASES = [("ibm_rnnt_swb", "int4"), ("dblstm_hmm_300", "int4"), ("lstm_rnnt_small", "fp16")]
HERE = Path(__file__).parent


@pytest.mark.parametrize("workload, precision", CASES)
def test_printed_plan_matches_snapshot(workload, precision):
    text = str(resolve_model(workload, precision).plan) + "\n"
    path = HERE / f"plan_{workload}_{precision}.txt"
    if os.environ.get("HWSIM_REGEN_GOLDEN") == "1":
        path.write_text(text)
    assert path.exists(), f"missing snapshot {path.name}: run with HWSIM_REGEN_GOLDEN=1"
    assert text == path.read_text()
