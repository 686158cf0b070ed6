"""The README's main job runs on built-in defaults and writes its report."""

from pathlib import Path


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
