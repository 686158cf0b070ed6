"""Faults: kills during the final move, signals, concurrent writers, planted symlinks, a full disk, dead workers."""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from hwsim.io import outputs, readers
from hwsim.errors import SpecError
from hwsim.io.outputs import atomic_output_dir, atomic_write_text, writer_lock
from tests.bad_input.test_spec_errors import assert_one_line_error

REPO = Path(__file__).resolve().parents[2]
SIM = ["simulate", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--frames", "20"]


def python(code: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})


def wait_for(path: Path, process: subprocess.Popen, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the child never reached the marker"
        time.sleep(0.02)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def written(*files: str) -> list[str]:
    """What an output folder holds: the files a run wrote and the manifest hwsim adds."""
    return sorted([*files, outputs.MANIFEST_NAME])


def hidden_leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if outputs.TEMP_TAG in p.name)


# --- atomic folders ---------------------------------------------------------------------------------------------

WRITER = """
    import sys
    from pathlib import Path
    from hwsim.io.outputs import atomic_output_dir
    target, marker = Path(sys.argv[1]), Path(sys.argv[2])
    generation = 0
    while True:
        generation += 1
        with atomic_output_dir(target) as staging:
            for index in range(40):
                (staging / f"f{index:02d}.txt").write_text(str(generation) * 200)
        marker.touch()
"""


def test_a_kill_during_publishing_leaves_the_old_or_the_new_folder_never_a_mix(tmp_path):
    target = tmp_path / "out"
    with atomic_output_dir(target) as staging:
        (staging / "stale.txt").write_text("from an older run")
    for delay in (0.0, 0.01, 0.03, 0.07, 0.13):
        marker = tmp_path / "published"
        marker.unlink(missing_ok=True)
        child = python(WRITER, str(target), str(marker))
        wait_for(marker, child)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        found = names(target)
        assert found == written(*(f"f{i:02d}.txt" for i in range(40))), found  # a whole new folder, no stale file
        assert len({(target / name).read_text() for name in found if name.endswith(".txt")}) == 1  # one generation
    with atomic_output_dir(target) as staging:  # the next run removes what the kills left behind
        (staging / "x").write_text("x")
    assert hidden_leftovers(tmp_path) == []


def test_stale_files_of_an_older_run_never_survive(tmp_path):
    target = tmp_path / "out"
    with atomic_output_dir(target) as staging:
        (staging / "speedup_old.png").write_text("old")
        (staging / "results.csv").write_text("old")
    with atomic_output_dir(target) as staging:
        (staging / "results.csv").write_text("new")
    assert names(target) == written("results.csv")
    assert (target / "results.csv").read_text() == "new"
    assert hidden_leftovers(tmp_path) == []


def test_a_failing_body_publishes_nothing_and_keeps_the_old_folder(tmp_path):
    target = tmp_path / "out"
    with atomic_output_dir(target) as staging:
        (staging / "a.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output_dir(target) as staging:
            (staging / "a.txt").write_text("new")
            raise RuntimeError("boom")
    assert (target / "a.txt").read_text() == "old"
    assert hidden_leftovers(tmp_path) == []


def test_the_swap_works_without_renameat2(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    target = tmp_path / "out"
    for text in ("one", "two"):
        with atomic_output_dir(target) as staging:
            (staging / text).write_text(text)
    assert names(target) == written("two")
    assert hidden_leftovers(tmp_path) == []


def test_a_folder_holding_other_things_is_never_replaced(tmp_path, run_cli):
    (tmp_path / "project" / "src").mkdir(parents=True)
    (tmp_path / "project" / "notes.txt").write_text("mine")
    assert_one_line_error(run_cli("check", "--report", str(tmp_path / "project")), "holding 'notes.txt', 'src'")
    assert (tmp_path / "project" / "notes.txt").read_text() == "mine"
    report = tmp_path / "report"  # an earlier report, with the manifest hwsim wrote: replaced
    with atomic_output_dir(report) as staging:
        (staging / "old.csv").write_text("old")
    assert run_cli("check", "--report", str(report)).code == 0
    assert "old.csv" not in names(report) and "claims.csv" in names(report)


def test_temporary_folders_are_private_and_unpredictable(tmp_path):
    names = set()
    for _ in range(3):
        with atomic_output_dir(tmp_path / "out") as staging:
            assert staging.stat().st_mode & 0o077 == 0
            names.add(staging.name)
    assert len(names) == 3


# --- signals ----------------------------------------------------------------------------------------------------

SLOW_SWEEP = """
    import sys, time
    from pathlib import Path
    import hwsim.report.speedup_plot as sweep  # imported by `hwsim sweep` when it runs (lazy, issue 29)
    from hwsim.cli import main
    marker = Path(sys.argv[1])
    real_plot = sweep.plot_speedup
    def slow_plot(*args, **kwargs):
        real_plot(*args, **kwargs)
        marker.touch()
        time.sleep(60)
    sweep.plot_speedup = slow_plot
    sys.exit(main(["sweep", "ibm_rnnt_swb", "--device", "ibm_7nm_ai_chip", "--precisions", "int4,int8",
                   "--frames", "20", "--beams", "1", "--quiet", "--out", sys.argv[2]]))
"""


@pytest.mark.parametrize("signum, code, name", [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")])
def test_a_signal_exits_with_one_line_and_leaves_nothing(tmp_path, signum, code, name):
    marker, out = tmp_path / "plotting", tmp_path / "out"
    child = python(SLOW_SWEEP, str(marker), str(out))
    wait_for(marker, child)  # the run is inside its temporary output folder now
    child.send_signal(signum)
    stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == code, stderr
    assert stderr.strip().splitlines() == [f"hwsim: error: interrupted by {name}; no output written"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plotting"]


# --- concurrent writers -----------------------------------------------------------------------------------------

HOLDER = """
    import sys, time
    from pathlib import Path
    from hwsim.io.outputs import atomic_output_dir
    with atomic_output_dir(Path(sys.argv[1])) as staging:
        Path(sys.argv[2]).touch()
        time.sleep(60)
"""


def test_a_second_writer_into_the_same_folder_fails_with_one_line(tmp_path, run_cli):
    out, marker = tmp_path / "report", tmp_path / "holding"
    holder = python(HOLDER, str(out), str(marker))
    try:
        wait_for(marker, holder)
        result = run_cli("check", "--report", str(out))
        assert_one_line_error(result, "--report", "expected no other hwsim run writing")
        with pytest.raises(SpecError, match="no other hwsim run"):
            with atomic_output_dir(out):
                pass
    finally:
        holder.kill()
        holder.wait()
    with atomic_output_dir(out) as staging:  # the lock died with its holder
        (staging / "x").write_text("x")
    assert (out / "x").exists()


def test_locks_are_removed_after_use(tmp_path):
    with writer_lock(tmp_path / "out"):
        assert (tmp_path / ".out.hwsim-lock").exists()
    assert list(tmp_path.iterdir()) == []


# --- symlinks ---------------------------------------------------------------------------------------------------

def test_a_planted_temporary_symlink_is_never_followed(tmp_path, run_cli):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    np = pytest.importorskip("numpy")
    np.save(tmp_path / "w.npy", np.ones((4, 4), dtype=np.float32))
    for planted in (".q.npz.tmp", ".q.npz.hwsim-tmp", ".q.npz.hwsim-x.npz"):
        os.symlink(victim, tmp_path / planted)
    result = run_cli("quantize", str(tmp_path / "w.npy"), "--quantizer", "max", "--bits", "8",
                     "-o", str(tmp_path / "q.npz"))
    assert result.code == 0, result.err
    assert victim.read_text() == "precious"
    assert np.load(tmp_path / "q.npz")["q"].shape == (4, 4)


def test_an_output_that_is_a_symlink_is_replaced_not_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    os.symlink(victim, tmp_path / "trace.json")
    atomic_write_text(tmp_path / "trace.json", "{}")
    assert victim.read_text() == "precious"
    assert not (tmp_path / "trace.json").is_symlink()


def test_an_output_folder_that_is_a_symlink_is_replaced_not_written_through(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    os.symlink(elsewhere, tmp_path / "out")
    with atomic_output_dir(tmp_path / "out") as staging:
        (staging / "new.txt").write_text("new")
    assert (elsewhere / "keep.txt").read_text() == "keep"
    assert names(tmp_path / "out") == written("new.txt")


# --- a full disk ------------------------------------------------------------------------------------------------

def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device", "trace.json")


def test_a_full_disk_while_writing_a_trace_keeps_the_old_file(tmp_path, run_cli, monkeypatch):
    import hwsim.report.trace as simulate_command  # `hwsim simulate` imports write_chrome_trace when it runs
    trace = tmp_path / "trace.json"
    trace.write_text("old trace")

    def half_then_full(records, path, title="", steps=False):
        Path(path).write_text('{"traceEvents": [')
        full_disk()
    monkeypatch.setattr(simulate_command, "write_chrome_trace", half_then_full)
    result = run_cli(*SIM, "--trace", str(trace))
    assert_one_line_error(result, "No space left on device")
    assert trace.read_text() == "old trace"
    assert [p.name for p in tmp_path.iterdir()] == ["trace.json"]


def test_a_full_disk_while_writing_a_folder_keeps_the_old_folder(tmp_path, run_cli, monkeypatch):
    import pandas as pd
    out = tmp_path / "out"
    assert run_cli(*SIM, "--out", str(out)).code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    result = run_cli(*SIM, "--out", str(out))
    assert_one_line_error(result, "No space left on device")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert hidden_leftovers(tmp_path) == []


def test_a_full_disk_in_atomic_write_bytes_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        outputs.atomic_write_bytes(tmp_path / "f.bin", b"x" * 100)
    assert list(tmp_path.iterdir()) == []


# --- dead workers -----------------------------------------------------------------------------------------------

def _dies_once(requests):
    """The int4 group's worker is killed the first time (a marker file remembers across processes)."""
    from hwsim.pipeline import sweep
    marker = Path(os.environ["HWSIM_TEST_MARKER"]) / "died"
    if requests[0].precision == "int4" and not marker.exists():
        marker.touch()
        os._exit(1)
    return sweep.point_record.__globals__["_real_run_group"](requests)


def _always_dies(requests):
    os._exit(1)


def _sweep_requests():
    from dataclasses import replace
    from hwsim.cost.options import RunOptions
    from hwsim.decode.simulated import Algorithm
    from hwsim.pipeline.point import RunRequest
    from hwsim.pipeline.sweep import expand
    base = RunRequest(workload="ibm_rnnt_swb", precision="int4", device="ibm_7nm_ai_chip", frames=20, beam=1,
                      algorithm=Algorithm.TSD, options=RunOptions())
    return expand(replace(base), ["int4", "int8"], ["ibm_7nm_ai_chip"], [1, 2], [20])


def test_a_killed_worker_is_retried_once(tmp_path, monkeypatch):
    from hwsim.pipeline import sweep
    monkeypatch.setenv("HWSIM_TEST_MARKER", str(tmp_path))
    monkeypatch.setitem(sweep.__dict__, "_real_run_group", sweep._run_group)
    monkeypatch.setattr(sweep, "_run_group", _dies_once)
    wide = sweep.run_sweep(_sweep_requests(), workers=2, progress=False)
    assert len(wide) == 4
    serial = sweep.run_sweep(_sweep_requests(), workers=1, progress=False)
    assert wide.equals(serial)


def test_a_worker_killed_twice_is_reported(monkeypatch):
    from hwsim.pipeline import sweep
    monkeypatch.setattr(sweep, "_run_group", _always_dies)
    with pytest.raises(SpecError, match="points lost a worker twice"):
        sweep.run_sweep(_sweep_requests(), workers=2, progress=False)


# --- readers and determinism ------------------------------------------------------------------------------------

def test_libyaml_is_used_when_present():
    if getattr(yaml, "__with_libyaml__", False):
        assert readers.YamlLoader is yaml.CSafeLoader
    else:
        assert readers.YamlLoader is yaml.SafeLoader


def test_a_large_yaml_file_is_rejected_or_read_quickly(tmp_path, run_cli):
    big = tmp_path / "big.yaml"
    big.write_text("schema_version: 1\nitems:\n" + "".join(f"  - {{a: {i}, b: text{i}}}\n" for i in range(60000)))
    result = run_cli("params", str(big))
    assert result.code == 2 and "items" in result.err


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_input_same_bytes_under_any_hash_seed(tmp_path):
    out = tmp_path / "sweep"
    digests = []
    for seed in ("0", "4242"):
        child = subprocess.run([sys.executable, "-m", "hwsim.cli", "sweep", "ibm_rnnt_swb", "--device",
                                "ibm_7nm_ai_chip", "--precisions", "int4,int8", "--frames", "20", "--beams", "1,2",
                                "--quiet", "--out", str(out)], cwd=REPO, capture_output=True, text=True,
                               env={**os.environ, "PYTHONHASHSEED": seed})
        assert child.returncode == 0, child.stderr
        digests.append(digest(out))
    assert digests[0] == digests[1]


def test_ctrl_c_to_a_sweep_with_workers_prints_one_line_only(tmp_path):
    """Ctrl-C reaches the whole process group: the workers must stay quiet and the parent exit 130."""
    out = tmp_path / "out"
    child = subprocess.Popen([sys.executable, "-m", "hwsim.cli", "sweep", "ibm_rnnt_swb", "--device", "ibm_7nm_ai_chip",
                              "--precisions", "int4,int8,fp16", "--frames", "100,200,300", "--beams", "1,2,4,8,16",
                              "--workers", "2", "--quiet", "--out", str(out)],
                             cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    deadline = time.monotonic() + 60  # signal once the run has started writing (its lock or staging folder exists)
    while not list(tmp_path.iterdir()) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    os.killpg(child.pid, signal.SIGINT)
    stdout, stderr = child.communicate(timeout=60)
    if child.returncode == 0:
        pytest.skip("the sweep finished before the signal (a very fast machine)")
    assert child.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["hwsim: error: interrupted by SIGINT; no output written"]
    assert list(tmp_path.iterdir()) == []
