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
    assert done.stderr.strip() == "['hwsim.commands.choices', 'hwsim.commands.common', 'hwsim.commands.schema']"


def test_version_comes_from_the_installed_metadata(run_cli):
    result = run_cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"hwsim {installed_version()}"
    assert installed_version()[0].isdigit()


HEAVY = ("pandas", "matplotlib", "numpy", "simpy", "pydantic", "scipy", "yaml", "tqdm")


def test_building_any_verbs_parser_imports_nothing_heavy():
    """issue 29: `hwsim serve --help` took ~2.3 s because registering a verb imported pandas and the cost model.
    Building each verb's parser (what `hwsim VERB --help` does) must load none of the heavy libraries; the time
    itself is measured by benchmarks/bench_cli.py, not asserted here. One fresh interpreter per verb."""
    bad = {}
    for verb in COMMANDS:
        code = (f"import sys\nfrom hwsim.cli import build_parser\nbuild_parser({verb!r})\n"
                f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        if done.stdout.strip() != "[]":
            bad[verb] = done.stdout.strip()
    assert bad == {}


def test_every_verb_help_has_2_to_4_examples_that_parse():
    import shlex

    from hwsim.commands.common import EXAMPLES_TITLE

    for verb in COMMANDS:
        sub = build_parser(verb)._subparsers._group_actions[0].choices[verb]
        assert sub.epilog and sub.epilog.startswith(EXAMPLES_TITLE), verb
        examples = [line.strip() for line in sub.epilog.splitlines()[1:]]
        assert 2 <= len(examples) <= 4, verb
        for example in examples:
            argv = shlex.split(example.split(" && ")[-1].split(" > ")[0])
            assert argv[:2] == ["hwsim", verb], example
            build_parser(verb).parse_args(argv[1:])  # exits 2 on a bad example


def test_every_verb_groups_its_flags():
    for verb in COMMANDS:
        sub = build_parser(verb)._subparsers._group_actions[0].choices[verb]
        titles = [g.title for g in sub._action_groups if g._group_actions]
        assert len(titles) >= 2, (verb, titles)


def test_light_choices_equal_the_enums_they_mirror():
    from hwsim.commands import choices
    from hwsim.cost.hardware import Dataflow
    from hwsim.cost.options import Fusion, Placement
    from hwsim.quant import QuantizerKind
    from hwsim.quant.demo import DemoConfig
    from hwsim.reference.runtimes import RUNTIMES
    from hwsim.reference.torch_rnnt import DTYPES
    from hwsim.serving.serve import Scenario
    from hwsim.decode.simulated import Algorithm
    from hwsim.sim.policies import Batching
    from hwsim.specs.precision import MetadataDtype

    values = lambda enum: tuple(e.value for e in enum)
    assert choices.META_DTYPES == values(MetadataDtype)
    assert choices.ALGORITHMS == values(Algorithm)
    assert choices.PLACES == values(Placement)
    assert choices.FUSIONS == values(Fusion)
    assert choices.DATAFLOWS == values(Dataflow)
    assert choices.QUANTIZERS == values(QuantizerKind)
    assert choices.SCENARIOS == values(Scenario)
    assert choices.BATCHINGS == values(Batching)
    assert choices.RUNTIMES == tuple(RUNTIMES)
    assert choices.TORCH_DTYPES == tuple(DTYPES)
    assert (choices.QAT_DEMO_FLOAT_STEPS, choices.QAT_DEMO_QAT_STEPS) == (DemoConfig.float_steps, DemoConfig.qat_steps)
