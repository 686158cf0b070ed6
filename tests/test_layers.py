"""The layer order of docs/architecture.md, enforced: the import-linter contracts in pyproject.toml hold.

Contracts (pyproject.toml, [tool.importlinter]):
- layers: each package imports only the layers below it, siblings on one line (`a | b`) not each other, and every
  top-level module has a layer (exhaustive), so an upward import or an unplaced module fails here;
- no import cycles between the modules of one package (the two-file loops issue 28 broke stay broken);
- only hwsim.sim imports simpy (what issue 10's test_layering.py checked for cost/, for every package).
Runs in-process on the checked-out tree, without import-linter's cache, so it sees every uncommitted edit.
"""

from __future__ import annotations

from pathlib import Path

from importlinter.application import use_cases
from importlinter.configuration import configure

PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"


def test_the_import_contracts_hold(capsys):
    configure()  # import-linter's adapters (what its command line sets up before linting)
    kept = use_cases.lint_imports(config_filename=str(PYPROJECT), cache_dir=None, no_logo=True, is_debug_mode=True)
    report = capsys.readouterr().out
    assert kept, f"an import breaks the layer order of docs/architecture.md:\n{report}"
    assert "3 kept, 0 broken" in report  # every contract ran (a contract dropped from pyproject.toml shows here)
