import hwsim.api as hw


def test_api_round_trip():
    assert round(hw.size("usm_rnnt_1b", "exp0").total_bits / 1e9, 1) == 28.6
    assert len(hw.params("ibm_rnnt_swb")) == 59
    table = hw.cost("ibm_rnnt_swb", "int4", device="ibm_7nm_ai_chip", frames=20, beam=4)
    assert {"name", "engine", "time_s", "bound"} <= set(table.columns)
    sim = hw.simulate("ibm_rnnt_swb", "int4", device="ibm_7nm_ai_chip", frames=20, beam=4, algorithm="alsd")
    assert sim.result.total_s > 0
    points = hw.sweep("ibm_rnnt_swb", ["fp16", "int4"], device="ibm_7nm_ai_chip", beams=[1, 2], frames=20)
    assert len(points) == 4
