"""The shared figure style and the figures built on it: formats, determinism, legends, roofs, names."""

from __future__ import annotations

import struct

import pandas as pd
import pytest

from hwsim.cost.hardware import load_device
from hwsim.report.paper_values import matching_claims, shipped_speedup_claims
from hwsim.report.roofline import draw_roofline, roofline_points
from hwsim.report.speedup_plot import draw_speedup
from hwsim.report.style import DPI, KNOWN_PRECISIONS, new_figure, precision_style, save_figure
from hwsim.specs.claims import SpeedupClaimSpec


def _png_dpi(data: bytes) -> float:
    at = data.index(b"pHYs")
    per_metre, _, _ = struct.unpack(">IIB", data[at + 4: at + 13])
    return per_metre * 0.0254


def test_png_is_300_dpi_and_extra_formats_are_written(tmp_path):
    fig, ax = new_figure(pyplot=False)
    ax.plot([0, 1], [0, 1])
    written = save_figure(fig, tmp_path / "f.png", extra_formats=["pdf", "svg"])
    assert [p.suffix for p in written] == [".png", ".pdf", ".svg"]
    assert round(_png_dpi((tmp_path / "f.png").read_bytes())) == DPI
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("suffix", [".png", ".pdf", ".svg"])
def test_the_same_figure_gives_the_same_bytes(tmp_path, suffix):
    contents = []
    for name in ("a", "b"):
        fig, ax = new_figure(pyplot=False)
        ax.plot([0, 1, 2], [2, 0, 1], label="x")
        ax.legend()
        save_figure(fig, tmp_path / f"{name}{suffix}")
        contents.append((tmp_path / f"{name}{suffix}").read_bytes())
    assert contents[0] == contents[1]


def test_every_shipped_precision_has_its_own_colour_and_marker():
    styles = [precision_style(name) for name in KNOWN_PRECISIONS]
    assert len(set(styles)) == len(styles)
    assert precision_style("int4") == precision_style("int4", ["fp16", "int4"])


def _wide() -> pd.DataFrame:
    rows = []
    for precision, scale in (("fp16", 1.0), ("int4", 0.4)):
        for beam in (1, 4):
            parts = {"encoder_s": 2e-3 * scale, "prediction_s": 1e-3 * beam * scale, "joint_s": 5e-4,
                     "search_s": 1e-4 * beam, "transfer_s": 1e-5, "hmm_search_s": 0.0}
            rows.append({"precision": precision, "device": "d", "frames": 152, "beam": beam,
                         "total_s": sum(parts.values()), **parts})
    return pd.DataFrame(rows)


def _claim(component: str, value: float, **changes) -> SpeedupClaimSpec:
    fields = {"id": f"c.{component}", "description": "d", "citation": "c", "workload": "ibm_rnnt_swb",
              "baseline": "fp16", "precision": "int4", "device": "ibm_7nm_ai_chip", "frames": 152,
              "component": component, "paper_value": value}
    return SpeedupClaimSpec(**{**fields, **changes})


def test_sweep_legend_explains_hatches_and_draws_paper_values():
    fig, ax = new_figure(pyplot=False)
    twin = draw_speedup(ax, _wide(), "fp16", "t", claims=[_claim("encoder", 2.6), _claim("total", 2.6)])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "fp16 bars (baseline)" in labels and "int4 bars" in labels
    assert "paper encoder 2.6x (c.encoder)" in labels and "paper total 2.6x (c.total)" in labels
    assert "hwsim encoder fp16/int4" in labels
    paper = [line for line in twin.get_lines() if line.get_label().startswith("paper")]
    assert all(set(line.get_ydata()) == {2.6} for line in paper)


def test_without_claims_no_paper_line_is_drawn():
    fig, ax = new_figure(pyplot=False)
    twin = draw_speedup(ax, _wide(), "fp16", "t")
    assert not [line for line in twin.get_lines() if line.get_label().startswith("paper")]


def test_claims_match_workload_precisions_device_and_length():
    claims = [_claim("total", 2.6), _claim("total", 9.0, device=None, frames=None)]
    assert len(matching_claims("ibm_rnnt_swb", ["fp16", "int4"], "ibm_7nm_ai_chip", 152, claims)) == 2
    assert len(matching_claims("ibm_rnnt_swb", ["fp16", "int4"], "tpu_v5e", 152, claims)) == 1
    assert len(matching_claims("ibm_rnnt_swb", ["fp16", "int4"], "ibm_7nm_ai_chip", 76, claims)) == 1
    assert matching_claims("ibm_rnnt_swb", ["fp16", "int8"], "ibm_7nm_ai_chip", 152, claims) == []
    assert matching_claims("usm_rnnt_1b", ["fp16", "int4"], "ibm_7nm_ai_chip", 152, claims) == []


@pytest.mark.parametrize("device", ["ibm_7nm_ai_chip", "ibm_7nm_ai_chip_fig1a"])  # the README sweep uses the latter
def test_the_shipped_fig1a_claims_match_the_readme_sweep(device):
    shipped = shipped_speedup_claims()
    found = matching_claims("ibm_rnnt_swb", ["fp16", "int4"], device, 152, shipped)
    assert {c.component: c.paper_value for c in found} == {"encoder": 2.6, "prediction": 3.3, "total": 2.6}


def test_roofline_bandwidth_lines_stop_at_the_compute_roof():
    import hwsim.api as hw

    table = hw.cost("ibm_rnnt_swb", "int4", device="ibm_7nm_ai_chip", frames=8, beam=2)
    device = load_device("ibm_7nm_ai_chip")
    fig, ax = new_figure(pyplot=False)
    draw_roofline(ax, table.frame, device, "t")
    points = roofline_points(table.frame)
    top = max(device.peak_ops_per_s(*pair.split("x")) for pair in set(points.compute_pair.dropna()))
    assert all(max(line.get_ydata()) <= top * (1 + 1e-9) for line in ax.get_lines())
    labelled = [t.get_text() for t in ax.texts if t.get_text().split(" ")[0] in set(points.name)]
    assert labelled, "the points with most time carry their op names"


def test_qat_plot_names_its_tensors():
    from hwsim.quant.analyse import analyse_model, select_tensors
    from hwsim.quant.weights import WeightSource
    from hwsim.report.qat import draw_sqnr
    from hwsim.precision.resolved import resolve_model

    model = resolve_model("lstm_rnnt_small", "fp16")
    reports = analyse_model(model, select_tensors(model, None, None), WeightSource(model.graph, None, 0, False), None)
    fig, ax = new_figure(pyplot=False)
    draw_sqnr(ax, reports, "t")
    assert [t.get_text() for t in ax.get_xticklabels()] == [r.name for r in reports]
