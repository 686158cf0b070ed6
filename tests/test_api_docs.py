"""docs/api.md's examples run (doctest) and the API's contracts hold."""

from __future__ import annotations

import doctest
from pathlib import Path

import matplotlib
import pytest

import hwsim.api as hw

matplotlib.use("Agg")
DOC = Path(__file__).parents[1] / "docs" / "api.md"


def test_api_md_examples_run():
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                              verbose=False)
    assert result.attempted > 20
    assert result.failed == 0


def test_simulation_repr_is_short_and_plots(tmp_path):
    sim = hw.simulate("ibm_rnnt_swb", "int4", device="ibm_7nm_ai_chip", frames=40, beam=4)
    assert len(repr(sim)) < 300
    ax = sim.plot(path=tmp_path / "sim.png")
    assert (tmp_path / "sim.png").stat().st_size > 0
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["encoder", "prediction"]


def test_sweep_and_size_plot_to_files(tmp_path):
    sweep = hw.sweep("ibm_rnnt_swb", ["fp16", "int4"], device="ibm_7nm_ai_chip", beams=[1, 2], frames=16)
    sweep.plot(path=tmp_path / "sweep.svg")
    hw.size("ibm_rnnt_swb", "int4").plot(path=tmp_path / "size.pdf")
    hw.check().plot(path=tmp_path / "claims.png")
    assert all((tmp_path / name).stat().st_size > 0 for name in ("sweep.svg", "size.pdf", "claims.png"))


def test_audio_s_and_frames_are_exclusive():
    with pytest.raises(hw.SpecError):
        hw.cost("ibm_rnnt_swb", "int4", device="ibm_7nm_ai_chip", frames=10, audio_s=1.0)
    assert hw.sweep("ibm_rnnt_swb", ["fp16"], device="ibm_7nm_ai_chip", beams=[1], audio_s=[0.2, 0.4]).frames.tolist() == [10, 20]


@pytest.mark.parametrize("function, args", [
    (hw.cost, ("ibm_rnnt_swb", "int4", "ibm_7nm_ai_chip", 10)),
    (hw.sweep, ("ibm_rnnt_swb", ["fp16"], "ibm_7nm_ai_chip", [1], 10)),
    (hw.prepare, ("ibm_rnnt_swb", "int4", "ibm_7nm_ai_chip")),
])
def test_every_entry_point_names_a_misspelt_keyword(function, args):
    with pytest.raises(TypeError, match=r"unknown keyword argument 'chunk_frame' \(did you mean 'chunk_frames'\?\)"):
        function(*args, chunk_frame=5)


def test_api_error_is_one_line_and_a_hwsim_error():
    with pytest.raises(hw.ApiError) as caught:
        hw.simulate("ibm_rnnt_swb", "int4", device="ibm_7nm_ai_chip", frames=10, seeed=1)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, hw.HwsimError)
