"""Outputs never destroy what hwsim did not write (issue 29): the manifest, refusals before work, owners and modes,
names built from user text, plot extensions, and signals that say whether the output was published.

The rules these tests pin are written for users in docs/outputs.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from hwsim.io import outputs
from hwsim.io.outputs import PLOT_SUFFIXES, atomic_output_dir
from tests.bad_input.test_spec_errors import assert_one_line_error

REPO = Path(__file__).resolve().parents[2]
MANIFEST = "hwsim-manifest.json"
SERVE = ["serve", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--scenario", "offline", "--utterances", "5"]
SIM = ["simulate", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--frames", "20"]
COST = ["cost", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--frames", "20"]
IS_ROOT = os.geteuid() == 0


def user_folder(path: Path) -> dict[str, bytes]:
    """A folder of the user's own plain files (no subfolders: the case the old check let through)."""
    path.mkdir(parents=True)
    files = {"thesis.tex": b"chapter 1", "data.csv": b"a,b\n1,2\n"}
    for name, data in files.items():
        (path / name).write_bytes(data)
    return files


def contents(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in path.iterdir()}


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())


# --- an existing folder is replaced only when hwsim wrote it ----------------------------------------------------

def test_serve_refuses_a_folder_of_the_users_own_files(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = user_folder(tmp_path / "mine")
    result = run_cli(*SERVE, "--out", "mine")
    assert_one_line_error(result, "--out", "'mine'", "thesis.tex", "never deletes files it did not write")
    assert result.out == ""  # refused before any work
    assert contents(tmp_path / "mine") == files


def test_the_current_folder_and_its_ancestors_are_never_replaced(tmp_path, run_cli, monkeypatch):
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    result = run_cli("check", "--report", "../cwd")
    assert_one_line_error(result, "--report", "not the current folder", "'../cwd'")
    inner = here / "sub"
    inner.mkdir()
    monkeypatch.chdir(inner)
    assert_one_line_error(run_cli("check", "--report", str(here)), "--report", "above it")
    assert [p.name for p in here.iterdir()] == ["sub"]


def test_even_an_earlier_output_is_not_replaced_while_it_is_the_current_folder(tmp_path, run_cli, monkeypatch):
    with atomic_output_dir(tmp_path / "report") as staging:
        (staging / "a.txt").write_text("a")
    monkeypatch.chdir(tmp_path / "report")
    assert_one_line_error(run_cli("check", "--report", str(tmp_path / "report")), "not the current folder")


def test_a_file_added_to_an_output_folder_is_refused_by_name(tmp_path, run_cli):
    out = tmp_path / "report"
    assert run_cli("check", "--report", str(out)).code == 0
    (out / "my_notes.md").write_text("mine")
    assert_one_line_error(run_cli("check", "--report", str(out)), "--report", "'my_notes.md'", "does not list")
    assert (out / "my_notes.md").read_text() == "mine"


def test_a_file_changed_since_hwsim_wrote_it_is_refused_by_name(tmp_path, run_cli):
    out = tmp_path / "report"
    assert run_cli("check", "--report", str(out)).code == 0
    (out / "README.md").write_text("my edits")
    assert_one_line_error(run_cli("check", "--report", str(out)), "--report", "'README.md'", "changed since")
    assert (out / "README.md").read_text() == "my edits"


def test_a_subfolder_the_manifest_does_not_cover_is_refused(tmp_path, run_cli):
    out = tmp_path / "report"
    assert run_cli("check", "--report", str(out)).code == 0
    (out / "extra").mkdir()
    assert_one_line_error(run_cli("check", "--report", str(out)), "--report", "'extra'")


def test_a_manifest_hwsim_did_not_write_is_refused(tmp_path, run_cli):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / MANIFEST).write_text("{}")
    (tmp_path / "out" / "keep.txt").write_text("keep")
    assert_one_line_error(run_cli("check", "--report", str(tmp_path / "out")), "--report", "unreadable")
    assert (tmp_path / "out" / "keep.txt").exists()


def test_an_empty_folder_and_an_earlier_output_are_replaced(tmp_path, run_cli):
    (tmp_path / "empty").mkdir()
    assert run_cli("check", "--report", str(tmp_path / "empty")).code == 0
    assert run_cli("check", "--report", str(tmp_path / "empty")).code == 0  # its own output, again


# --- the manifest ---------------------------------------------------------------------------------------------

VERB_RUNS = {
    "check": ["check", "--report", "{out}"],
    "simulate": [*SIM, "--out", "{out}"],
    "cost": [*COST, "--out", "{out}"],
    "serve": [*SERVE, "--out", "{out}"],
    "sweep": ["sweep", "ibm_rnnt_swb", "--device", "ibm_7nm_ai_chip", "--precisions", "int4,int8", "--frames", "20",
              "--beams", "1", "--quiet", "--out", "{out}"],
    "qat": ["qat", "ibm_rnnt_swb", "int4", "--max-tensors", "2", "--out", "{out}"],
}


@pytest.mark.parametrize("verb", sorted(VERB_RUNS))
def test_every_output_folder_carries_a_manifest_of_what_hwsim_wrote(tmp_path, run_cli, verb):
    out = tmp_path / "out"
    result = run_cli(*(arg.replace("{out}", str(out)) for arg in VERB_RUNS[verb]))
    assert result.code == 0, result.err
    manifest = manifest_of(out)
    assert manifest["format"] == outputs.MANIFEST_FORMAT and manifest["verb"] == verb
    listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    on_disk = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir() if p.name != MANIFEST}
    assert listed == on_disk
    assert "date" not in (out / MANIFEST).read_text().lower()


def test_the_manifest_is_the_same_bytes_for_the_same_run(tmp_path, run_cli):
    for name in ("a", "b"):
        assert run_cli("check", "--report", str(tmp_path / name)).code == 0
    assert (tmp_path / "a" / MANIFEST).read_bytes() == (tmp_path / "b" / MANIFEST).read_bytes()


HWSIM_REPORTS = ("fig1a", "gpu_vs_tpu", "size_claims", "usm_serving", "usm_serving_load", "validation",
                 "validation_onnxruntime")


@pytest.mark.parametrize("name", HWSIM_REPORTS)
def test_committed_reports_carry_a_manifest_so_their_commands_still_run(name):
    """`hwsim check --report reports/size_claims`, `hwsim reproduce T` and `hwsim validate --out reports/validation`
    replace these folders; each lists exactly its committed files."""
    folder = REPO / "reports" / name
    outputs.preflight_output_dir(folder)
    listed = {entry["path"] for entry in manifest_of(folder)["files"]}
    assert listed == {p.name for p in folder.iterdir()} - {MANIFEST}


def test_the_hand_written_qat_demo_discussion_lives_outside_the_folder_qat_demo_replaces():
    folder = REPO / "reports" / "qat_demo"
    listed = {entry["path"] for entry in manifest_of(folder)["files"]}
    assert listed == {"loss_curves.png", "results.csv", "table.md"}
    assert not (folder / "README.md").exists() and (REPO / "docs" / "qat_demo.md").is_file()
    outputs.preflight_output_dir(folder)  # the README command may replace it: it holds only what qat-demo wrote


# --- owners and modes -------------------------------------------------------------------------------------------

@pytest.mark.skipif(not IS_ROOT, reason="giving a folder to another user needs root")
def test_a_read_only_folder_of_another_user_is_never_replaced_even_by_root(tmp_path, run_cli):
    theirs = tmp_path / "theirs"
    with atomic_output_dir(theirs) as staging:  # even an earlier hwsim output, once given away
        (staging / "k.txt").write_text("k")
    (theirs / "k.txt").chmod(0o444)
    theirs.chmod(0o555)
    for path in (theirs, theirs / "k.txt"):
        os.chown(path, 65534, -1)
    result = run_cli(*SERVE, "--out", str(theirs))
    assert_one_line_error(result, "--out", "owned by uid 65534")
    assert (theirs / "k.txt").read_text() == "k"


def test_a_read_only_output_folder_or_file_in_it_is_refused(tmp_path, run_cli):
    out = tmp_path / "report"
    assert run_cli("check", "--report", str(out)).code == 0
    (out / "claims.csv").chmod(0o444)
    assert_one_line_error(run_cli("check", "--report", str(out)), "--report", "read-only", "claims.csv")
    (out / "claims.csv").chmod(0o644)
    out.chmod(0o555)
    try:
        assert_one_line_error(run_cli("check", "--report", str(out)), "--report", "read-only", "mode 0555")
    finally:
        out.chmod(0o755)


def test_a_folder_without_write_bits_is_not_written_into_even_by_root(tmp_path, run_cli):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    try:
        assert_one_line_error(run_cli("check", "--report", str(locked / "new")), "--report", "read-only")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_a_read_only_plot_file_is_refused(tmp_path, run_cli):
    plot = tmp_path / "roof.png"
    plot.write_bytes(b"mine")
    plot.chmod(0o444)
    assert_one_line_error(run_cli(*COST, "--roofline", str(plot)), "--roofline", "read-only")
    assert plot.read_bytes() == b"mine"


def test_a_replaced_folder_and_file_keep_their_mode(tmp_path, run_cli):
    out, plot = tmp_path / "report", tmp_path / "roof.png"
    assert run_cli(*COST, "--out", str(out), "--roofline", str(plot)).code == 0
    out.chmod(0o750)
    plot.chmod(0o640)
    assert run_cli(*COST, "--out", str(out), "--roofline", str(plot)).code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    assert stat.S_IMODE(plot.stat().st_mode) == 0o640


# --- names from user text ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("absolute", [True, False])
def test_sweep_plot_names_from_a_device_path_stay_inside_out(tmp_path, run_cli, monkeypatch, absolute):
    monkeypatch.chdir(tmp_path)
    devices = tmp_path / "devices"
    devices.mkdir()
    shutil.copy(REPO / "devices" / "ibm_7nm_ai_chip.yaml", devices / "my chip.yaml")
    device = str(devices / "my chip.yaml") if absolute else "devices/my chip.yaml"
    args = ["sweep", "ibm_rnnt_swb", "--device", device, "--precisions", "int4,int8", "--frames", "20,40",
            "--beams", "1", "--quiet", "--out", str(tmp_path / "out")]
    for _ in range(2):  # the rerun replaces its own output
        result = run_cli(*args)
        assert result.code == 0, result.err
    assert sorted(p.name for p in devices.iterdir()) == ["my chip.yaml"]  # nothing written beside the device
    plots = sorted(p.name for p in (tmp_path / "out").iterdir() if p.suffix == ".png")
    assert plots == ["speedup_my_chip_20.png", "speedup_my_chip_40.png"]
    assert all(p.is_file() for p in (tmp_path / "out").iterdir())


def test_plot_names_are_unique_and_safe():
    from hwsim.commands.sweep import plot_names

    assert plot_names([("a/x.yaml", 20)]) == ["speedup.png"]
    assert plot_names([("a/x.yaml", 20), ("b/x.yaml", 20), ("../../etc", 20)]) == [
        "speedup_x_20.png", "speedup_x_20_2.png", "speedup_etc_20.png"]
    assert outputs.safe_name("..") == "x" and "/" not in outputs.safe_name("a/../b")


# --- plot extensions --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", PLOT_SUFFIXES)
def test_every_accepted_plot_extension_writes_the_same_bytes_twice(tmp_path, run_cli, suffix):
    plot = tmp_path / f"roof{suffix}"
    digests = []
    for _ in range(2):
        result = run_cli(*COST, "--roofline", str(plot))
        assert result.code == 0 and result.err == "", result.err
        digests.append(hashlib.sha256(plot.read_bytes()).hexdigest())
    assert plot.stat().st_size > 1000 and digests[0] == digests[1]


def test_an_unknown_plot_extension_is_refused_up_front(tmp_path, run_cli):
    result = run_cli(*COST, "--roofline", str(tmp_path / "roof.bmp"))
    assert_one_line_error(result, "--roofline", "expected a file name ending in")
    assert result.out == ""


# --- signals ----------------------------------------------------------------------------------------------------

def child(code: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], cwd=REPO, text=True,
                          capture_output=True, env={**os.environ, **(env or {})}, timeout=300)


SIGNAL_AFTER_PUBLISHING = """
    import os, signal, sys
    from hwsim.io import outputs
    from hwsim.cli import main
    real = outputs.publish_dir
    def publish_then_signal(staging, final_dir):
        real(staging, final_dir)
        os.kill(os.getpid(), signal.SIGTERM)  # lands just after the rename
    outputs.publish_dir = publish_then_signal
    sys.exit(main(["check", "--report", sys.argv[1]]))
"""


def test_a_signal_just_after_publishing_says_the_output_was_written(tmp_path):
    result = child(SIGNAL_AFTER_PUBLISHING, str(tmp_path / "report"))
    assert result.returncode == 143
    assert result.stderr.splitlines() == [f"hwsim: error: interrupted by SIGTERM; output written to "
                                          f"{tmp_path / 'report'}"]
    assert (tmp_path / "report" / MANIFEST).exists()


# The console script's own shape (`from hwsim.cli import main` then `sys.exit(main())`), with SIGINT sent to
# itself at a chosen moment: while a module imports (an import hook), or just after main() returned.
STARTUP = """
    import importlib.abc, os, signal, sys
    when = sys.argv[1]
    class SignalOnImport(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == when:
                sys.meta_path.remove(self)
                os.kill(os.getpid(), signal.SIGINT)
            return None
    sys.meta_path.insert(0, SignalOnImport())
    sys.argv = ["hwsim", *sys.argv[2:]]
    from hwsim.cli import main
    code = main()
    if when == "after-main":
        os.kill(os.getpid(), signal.SIGINT)
    sys.exit(code)
"""


@pytest.mark.parametrize("when", ["argparse", "hwsim.errors", "hwsim.io.paths", "hwsim.commands.simulate", "pandas",
                                  "hwsim.pipeline.point", "after-main"])
def test_sigint_at_any_moment_of_start_up_gives_one_line_and_130(tmp_path, when):
    result = child(STARTUP, when, *SIM, "--out", str(tmp_path / "out"))
    assert "Traceback" not in result.stderr
    assert result.returncode == 130, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hwsim: error: interrupted by SIGINT; ")
    written = when == "after-main"
    assert lines[0].endswith(f"output written to {tmp_path / 'out'}" if written else "no output written")
    assert (tmp_path / "out").exists() == written


# A signal that lands while one of hwsim's modules is half-imported (the at-once handler reads hwsim.errors and
# hwsim.io.outputs when they are in sys.modules): seen under load as a traceback (hwsim.errors without one_line yet)
# and as exit 70 (numpy's import, which pandas was running, turned the handler's error into an ImportError).
HALF_IMPORTED = """
    import signal, sys, types
    import hwsim.cli
    sys.modules[sys.argv[1]] = types.ModuleType(sys.argv[1])  # in sys.modules, none of its names defined yet
    hwsim.cli._exit_at_once(signal.SIGINT, None)
"""


@pytest.mark.parametrize("module", ["hwsim.errors", "hwsim.io.outputs"])
def test_a_signal_while_a_module_is_half_imported_gives_one_line_and_130(module):
    result = child(HALF_IMPORTED, module)
    assert result.returncode == 130, result.stderr
    assert result.stderr.splitlines() == ["hwsim: error: interrupted by SIGINT; no output written"]


# The installed script's shape (`sys.exit(program())`): a signal during the at-exit work, the last moment the
# program runs Python, still finds hwsim's handler (finalization would have put back the default: exit -2, silent).
AT_EXIT = """
    import atexit, os, signal, sys
    atexit.register(lambda: os.kill(os.getpid(), signal.SIGINT))
    sys.argv = ["hwsim", *sys.argv[1:]]
    from hwsim.cli import program
    sys.exit(program())
"""


def test_sigint_in_the_last_at_exit_moment_gives_one_line_and_130(tmp_path):
    result = child(AT_EXIT, *SIM, "--out", str(tmp_path / "out"))
    assert result.returncode == 130, result.stderr
    assert result.stderr.splitlines() == [f"hwsim: error: interrupted by SIGINT; output written to {tmp_path / 'out'}"]
    assert "total" in result.stdout  # the run's table was flushed before the line


def test_program_exits_with_mains_code_and_flushes_its_output(tmp_path):
    result = child("""
        import sys
        sys.argv = ["hwsim", *sys.argv[1:]]
        from hwsim.cli import program
        sys.exit(program())
    """, "simulate", "no_such_workload")
    assert result.returncode == 2 and result.stderr.startswith("hwsim: error: ")
    ok = child("import sys; sys.argv = ['hwsim', *sys.argv[1:]]; from hwsim.cli import program; program()", *SIM)
    assert ok.returncode == 0 and ok.stdout.strip(), ok.stderr


@pytest.mark.parametrize("delay_s", [0.15, 0.3, 0.6, 1.2, 2.5])
def test_sigint_to_the_program_at_several_delays_gives_one_line(tmp_path, delay_s):
    """Whatever the program is doing when the signal lands: one line, 130 (or, when it lands after the run, the
    run's own exit after its output). The delays start after Python's own start-up (interpreter and site, about
    0.07 s here), before which no line of hwsim runs; the test above covers each import phase deterministically."""
    import time

    process = subprocess.Popen([sys.executable, "-m", "hwsim.cli", *SIM, "--out", str(tmp_path / "out")], cwd=REPO,
                               text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(delay_s)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert "Traceback" not in stderr
    if process.returncode != 0:
        assert process.returncode == 130 and len(stderr.splitlines()) == 1, stderr
        assert stderr.startswith("hwsim: error: interrupted by SIGINT; ")


# --- validate refuses a device not calibrated on this machine, at once ------------------------------------------

@pytest.fixture
def no_decodes(monkeypatch):
    """validate must refuse before its first decode: any decode fails the test."""
    import hwsim.validation.runner as grid_runner
    import hwsim.validation.trained_counts as trained

    def refuse(*args, **kwargs):
        raise AssertionError("validate started decoding")

    monkeypatch.setattr(grid_runner, "run_grid", refuse)  # validate imports both where it runs
    monkeypatch.setattr(trained, "check_trained_counts", refuse)


def another_machines_device(tmp_path: Path, **machine) -> Path:
    document = yaml.safe_load((REPO / "devices" / "local_cpu.yaml").read_text())
    document["calibration"]["machine"].update(machine)
    path = tmp_path / "elsewhere.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_validate_without_a_calibration_refuses_at_once(tmp_path, run_cli, monkeypatch, no_decodes):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    result = run_cli("validate", "--quick")
    assert_one_line_error(result, "--device", "run: hwsim calibrate")


@pytest.mark.parametrize("device, why", [
    ("tpu_v5e", "no calibration.machine"),
    ("another", "cpu_model 'Imaginary CPU 9000'"),
    ("onnx", "calibrated with onnxruntime"),
])
def test_validate_refuses_a_device_not_calibrated_here_at_once(tmp_path, run_cli, no_decodes, device, why):
    if device == "another":
        device = str(another_machines_device(tmp_path, cpu_model="Imaginary CPU 9000"))
    elif device == "onnx":
        from hwsim.calibrate.location import this_machine

        device = str(another_machines_device(tmp_path, runtime="onnxruntime", **this_machine()))
    result = run_cli("validate", "--quick", "--device", device)
    assert_one_line_error(result, "--device", "calibrated", "hwsim calibrate", why)


def test_a_format_copy_of_the_roofline_is_checked_before_the_run(tmp_path, run_cli):
    (tmp_path / "roof.pdf").mkdir()  # where `--format pdf` would write the copy
    result = run_cli(*COST, "--roofline", str(tmp_path / "roof.png"), "--format", "pdf")
    assert_one_line_error(result, "--roofline", "roof.pdf")
    assert not (tmp_path / "roof.png").exists()


def test_a_signal_a_library_wraps_in_its_own_error_still_reads_as_the_signal(monkeypatch, capsys):
    """numpy turns an exception raised while it imports into ImportError("Unable to import required dependency
    numpy..."): a Ctrl-C landing there is still an interruption (130), not an internal error (70)."""
    from hwsim import cli
    from hwsim.commands import size

    def wrapped(args):
        try:
            raise cli.Interrupted(signal.SIGINT)
        except cli.Interrupted as error:
            raise ImportError("Unable to import required dependency numpy") from error

    monkeypatch.setattr(size, "run", wrapped)
    assert cli.main(["size", "lstm_rnnt_small", "fp16"]) == 130
    assert capsys.readouterr().err.startswith("hwsim: error: interrupted by SIGINT; ")
