"""docs/gallery.md shows every figure hwsim makes, each image exists, and each command shown is valid."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from hwsim.cli import build_parser

DOCS = Path(__file__).parents[1] / "docs"
GALLERY = (DOCS / "gallery.md").read_text()
# every figure file a command or API plot writes (grep `save_figure(` / `plot_` callers when adding one)
FIGURES = ("speedup", "fig1a.png", "roofline", "sqnr", "usm_table2_sizes.png", "loss_curves.png", "parity.png",
           "api_simulation", "api_size", "api_claims", "latency_vs_load")


def test_every_image_link_resolves():
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", GALLERY)
    assert len(links) >= len(FIGURES) - 1
    assert [link for link in links if not (DOCS / link).is_file()] == []


@pytest.mark.parametrize("figure", FIGURES)
def test_every_figure_is_in_the_gallery(figure):
    assert figure in GALLERY


def test_every_command_shown_parses():
    parser = build_parser("*")
    commands = [line for block in re.findall(r"```bash\n(.*?)```", GALLERY, re.S) for line in block.splitlines()]
    assert commands
    for command in commands:
        parser.parse_args(shlex.split(command)[1:])
