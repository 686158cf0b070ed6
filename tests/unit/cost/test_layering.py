"""Layering promises of issue 10: specs/ never imports cost/, and cost/ never imports simpy."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[3] / "hwsim"


def imported_modules(folder: str) -> set[str]:
    found = set()
    for path in (PACKAGE / folder).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


def test_specs_do_not_import_the_cost_model():
    assert not {m for m in imported_modules("specs") if m.startswith("hwsim.cost")}


def test_cost_model_does_not_import_simpy():
    assert not {m for m in imported_modules("cost") if m.startswith("simpy")}
