"""`hwsim --help` lists every verb without importing them; the listed help agrees with each module's own."""

from __future__ import annotations

import subprocess
import sys

from hwsim.cli import COMMANDS, build_parser, installed_version


def _subcommand_help(parser) -> dict[str, str]:
    action = next(a for a in parser._actions if a.dest == "command")
    return {choice.dest: choice.help for choice in action._choices_actions}


def test_lazy_help_matches_each_modules_registration():
    full = _subcommand_help(build_parser("*"))
    lazy = _subcommand_help(build_parser(None))
    assert full == lazy == {name: summary for name, (_, summary) in COMMANDS.items()}


def test_help_imports_no_command_module_nor_pandas():
    code = ("import sys\nfrom hwsim.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('pandas', 'matplotlib', 'numpy', 'simpy', "
            "'pydantic') or m.startswith('hwsim.commands.')]\nprint(heavy, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "simulate" in done.stdout
    assert done.stderr.strip() == "[]"


def test_only_the_chosen_command_is_imported():
    code = ("import sys\nfrom hwsim.cli import main\nmain(['schema', 'claims'])\n"
            "print(sorted(m for m in sys.modules if m.startswith('hwsim.commands.')), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip() == "['hwsim.commands.common', 'hwsim.commands.schema']"


def test_version_comes_from_the_installed_metadata(run_cli):
    result = run_cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"hwsim {installed_version()}"
    assert installed_version()[0].isdigit()
