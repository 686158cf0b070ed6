"""The README's main job runs on built-in defaults and writes its report."""

import re
from pathlib import Path

import pytest


def test_main_job_writes_size_claims_report(run_cli, tmp_path):
    result = run_cli("check", "--report", str(tmp_path / "size_claims"))
    assert result.code == 0
    written = {p.name for p in (tmp_path / "size_claims").iterdir()}
    assert {"README.md", "claims.csv", "usm_table2_sizes.png", "resolved_claims.yaml"} <= written


def test_readme_names_the_commands_ci_runs():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    test_command = "python3 -m venv .venv && . .venv/bin/activate && pip install -q -e '.[test]' && python -m pytest"
    assert test_command in readme
    assert test_command in ci
    assert "hwsim check --report reports/size_claims" in readme


REPO = Path(__file__).parents[1]
# Pages other issue-29 work adds beside this one; checked as soon as they exist.
PARALLEL_PAGES = {"docs/limits.md", "docs/outputs.md", "docs/cli.md"}


def test_readme_is_short():
    """Issue 29: the README is at most 200 lines: the two commands, the daily jobs, and links."""
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert "python3 -m venv .venv && . .venv/bin/activate && pip install -q -e . && hwsim check --report " \
           "reports/size_claims" in readme
    assert [line for line in readme.splitlines() if line.startswith("## Daily job")] == [
        "## Daily job 1: check a model-size claim", "## Daily job 2: simulate a precision config",
        "## Daily job 3: speed-up vs beam width", "## Daily job 4: size a serving fleet"]


def _anchor(heading: str) -> str:
    """GitHub's anchor of a markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return [link for link in re.findall(r"\]\(([^)\s]+)\)", text) if not link.startswith(("http", "mailto:"))]


@pytest.mark.parametrize("page", ["README.md", *sorted(str(p.relative_to(REPO)) for p in (REPO / "docs").glob("*.md"))])
def test_links_resolve_with_their_anchors(page):
    source = REPO / page
    for link in _links(source):
        target, _, anchor = link.partition("#")
        path = (source.parent / target).resolve() if target else source
        shown = str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)
        if shown in PARALLEL_PAGES and not path.exists():
            continue
        assert path.exists(), f"{page}: {link}"
        if anchor and path.suffix == ".md":
            headings = [_anchor(line.lstrip("#")) for line in path.read_text().splitlines() if line.startswith("#")]
            assert anchor in headings, f"{page}: {link}"
