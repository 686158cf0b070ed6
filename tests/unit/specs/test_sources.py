"""Every citation in every shipped spec file resolves inside the repository (docs/sources.md, docs/hardware.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwsim.io.paths import DATA_DIR, DEVICES_DIR, WORKLOADS_DIR
from tools.spec_sources import (AUTHOR_YEAR, HARDWARE_SECTION, PAPERS, cited_ids, hardware_section_exists,
                                 hardware_sources, render_sources)

DOCS = Path(__file__).parents[3] / "docs"
HARDWARE = (DOCS / "hardware.md").read_text()
SHIPPED = sorted([*DEVICES_DIR.glob("*.yaml"), *WORKLOADS_DIR.glob("**/*.yaml")])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(DATA_DIR).as_posix())
def test_every_source_id_resolves(path):
    text = path.read_text()
    sources = (DOCS / "sources.md").read_text()
    missing = sorted(i for i in cited_ids(text) if i not in hardware_sources(HARDWARE) or f"**[{i}]**" not in sources)
    assert not missing


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(DATA_DIR).as_posix())
def test_every_hardware_md_section_and_paper_resolves(path):
    text = " ".join(path.read_text().split())
    sections = [(m.group(1), m.group(2)) for m in HARDWARE_SECTION.finditer(text)]
    assert all(hardware_section_exists(HARDWARE, s, i) for s, i in sections), sections
    cited_as = {short for short, _ in PAPERS.values()}
    unknown = {" ".join(a.replace(",", "").split()) for a in AUTHOR_YEAR.findall(text)} - cited_as
    assert not unknown


def test_the_devices_cite_at_all():
    assert sum(len(cited_ids(p.read_text())) for p in DEVICES_DIR.glob("*.yaml")) > 20


def test_section_lookup_can_fail():
    assert hardware_section_exists(HARDWARE, "7", "14")
    assert hardware_section_exists(HARDWARE, "1", "6")
    assert hardware_section_exists(HARDWARE, "3", None)
    assert not hardware_section_exists(HARDWARE, "7", "99")
    assert not hardware_section_exists(HARDWARE, "9", None)


def test_an_unknown_id_is_not_in_the_bibliography():
    assert "Z9" not in hardware_sources(HARDWARE)
    assert "[S1]" in render_sources(HARDWARE) and "[Z9]" not in render_sources(HARDWARE)
