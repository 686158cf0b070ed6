"""Run-size limits (hwsim/io/limits.py, docs/limits.md): inputs that used to allocate gigabytes are refused before work.

Each case runs `hwsim` in a child process whose address space is capped (RLIMIT_AS), so a missing limit fails the
test with a MemoryError (exit 70) or a kill instead of exhausting the machine; RLIMIT_CPU stops one that would only
spin. A refused case must exit 2 at once with one `hwsim: error:` line naming the flag or file.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MEMORY_CAP_BYTES = 1536 * 2**20  # hwsim's imports need ~0.3 GB; every case below needed 0.8-18 GB before its limit
CPU_CAP_S = 300

SIM = ["simulate", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip"]
SERVE = ["serve", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip"]


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_CAP_S, CPU_CAP_S))


def run_capped(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("HWSIM_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "hwsim.cli", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, preexec_fn=_capped, check=False)


def trace(folder: Path, **changes) -> str:
    data = {"algorithm": "tsd", "beam": 1, "frames": 5, "labels": 1, "max_symbols": 3, "vocab": 40,
            "steps": [[0, 1, 0, 1, 1]]}
    data.update(changes)
    (folder / "trace.json").write_text(json.dumps(data))
    return str(folder / "trace.json")


def lengths(folder: Path, text: str) -> str:
    (folder / "lengths.csv").write_text(text)
    return str(folder / "lengths.csv")


def many_rows(folder: Path) -> str:
    with open(folder / "rows.csv", "w") as handle:
        handle.write("1.5\n" * 10_000_000)
    return str(folder / "rows.csv")


RUNAWAYS = {
    "fit-decoding:trace-frames-1e12": (lambda f: ["fit-decoding", trace(f, frames=10**12)], "frames: expected at most"),
    "fit-decoding:max-symbols-1e9": (lambda f: ["fit-decoding", trace(f), "--max-symbols", "1000000000"],
                                     "--max-symbols: expected at most 100 "),
    "fit-decoding:vocab-1e10": (lambda f: ["fit-decoding", trace(f), "--vocab", "10000000000"],
                                "--vocab: expected at most 1,000,000"),
    "fit-decoding:trace-vocab-1e10": (lambda f: ["fit-decoding", trace(f, vocab=10**10)], "vocab: expected at most"),
    "fit-decoding:trace-max-symbols-1e9": (lambda f: ["fit-decoding", trace(f, max_symbols=10**9)],
                                           "max_symbols: expected at most 100 "),
    "simulate:max-symbols-1e9": (lambda f: SIM + ["--frames", "20", "--max-symbols", "1000000000"],
                                 "--max-symbols: expected at most 100 "),
    "simulate:frames-100k": (lambda f: SIM + ["--frames", "100000"], "encoder frames^2 x --beam x --max-symbols"),
    "serve:max-symbols-1e9": (lambda f: SERVE + ["--utterances", "2", "--max-symbols", "1000000000"],
                              "--max-symbols: expected at most 100 "),
    "serve:utterances-1e9": (lambda f: SERVE + ["--utterances", "1000000000"], "--utterances: expected at most"),
    "serve:duration-1e9": (lambda f: SERVE + ["--scenario", "server", "--rate", "1", "--duration-s", "1e9"],
                           "--rate x --duration-s: expected at most"),
    "serve:rate-1e9": (lambda f: SERVE + ["--scenario", "server", "--rate", "1e9"], "--rate x --duration-s"),
    "serve:streams-1e9": (lambda f: SERVE + ["--scenario", "streaming", "--streams", "1000000000"],
                          "--streams: expected at most"),
    "serve:streaming-duration-1e9": (lambda f: SERVE + ["--scenario", "streaming", "--streams", "2", "--duration-s",
                                                        "1e9"], "--streams x --duration-s"),
    "serve:chips-1e9": (lambda f: SERVE + ["--utterances", "2", "--chips", "1000000000"], "--chips: expected at most"),
    "serve:lengths-dev-zero": (lambda f: SERVE + ["--lengths", "/dev/zero"], "/dev/zero: expected a lengths file"),
    "serve:lengths-10M-rows": (lambda f: SERVE + ["--lengths", many_rows(f)], "row 1000001: expected at most"),
    "serve:lengths-row-1e5-s": (lambda f: SERVE + ["--lengths", lengths(f, "2\n1e5\n")], "row 2: expected a duration"),
    "serve:utterance-s-3000": (lambda f: SERVE + ["--utterances", "2", "--utterance-s", "3000"],
                               "--utterance-s's longest utterance in input frames^2"),
    "serve:utterance-s-1e5": (lambda f: SERVE + ["--utterances", "2", "--utterance-s", "1e5"],
                              "--utterance-s: expected at most 36,000"),
    "serve:lognormal-tail": (lambda f: SERVE + ["--utterances", "1000", "--utterance-cv", "50"], "utterance length (--utterance-s, --utterance-cv, --lengths): expected at most"),
}


@pytest.mark.parametrize("name", sorted(RUNAWAYS))
def test_runaway_input_is_refused_before_work(name, tmp_path):
    build, fragment = RUNAWAYS[name]
    argv = build(tmp_path)
    result = run_capped(argv, tmp_path)
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hwsim: error: "), result.stderr[-2000:]
    assert fragment in lines[0], (fragment, lines[0])
    assert "--allow-large lifts" in lines[0] or "(limit)" in lines[0] or "expected a duration" in lines[0]
    assert result.stdout == ""


def test_allow_large_lifts_a_limit(run_cli):
    refused = run_cli(*SIM, "--frames", "5", "--max-symbols", "101")
    assert refused.code == 2 and "--max-symbols: expected at most 100" in refused.err
    lifted = run_cli("--allow-large", *SIM, "--frames", "5", "--max-symbols", "101")
    assert lifted.code == 0, lifted.err


def test_rounded_lengths_are_noted(run_cli):
    result = run_cli(*SIM, "--audio-s", "1.011")
    assert result.code == 0, result.err
    assert result.err == ("hwsim: note: --audio-s 1.011 is rounded to 51 input frames = 1.02 s "
                          "(frame step 0.02 s)\n")
    exact = run_cli(*SIM, "--audio-s", "1.02")
    assert exact.code == 0 and exact.err == ""


def test_rounded_chunk_is_noted(run_cli):
    result = run_cli(*SERVE, "--scenario", "streaming", "--streams", "1", "--duration-s", "1", "--utterance-s", "1",
                     "--utterance-cv", "0", "--chunk-s", "0.65")
    assert result.code == 0, result.err
    assert result.err == "hwsim: note: --chunk-s 0.65 is rounded to 32 input frames = 0.64 s (frame step 0.02 s)\n"


def test_the_capacity_search_is_capped_by_the_limits():
    from hwsim.serving.load import Lengths
    from hwsim.serving.serve import Scenario, ServeRequest, load_cap
    from hwsim.pipeline.point import RunRequest
    request = ServeRequest(RunRequest("ibm_rnnt_swb", "int4", "ibm_7nm_ai_chip", 1), Scenario.SERVER,
                           rate_per_s=1.0, duration_s=60.0, lengths=Lengths(10.0, 0.5))
    # 100 h of audio at 60 s x 10-s utterances: 600 arrivals per second (the utterance limit would allow 1,667)
    assert load_cap(request) == pytest.approx(360_000 / (60 * 10))


def test_duplicate_yaml_keys_are_refused_with_path_and_lines(tmp_path):
    from hwsim.errors import SpecError
    from hwsim.io.readers import parse_yaml_text
    with pytest.raises(SpecError) as caught:
        parse_yaml_text("a:\n  b: 1\n  c: [{x: 1}, {x: 2,\n  x: 3}]\n", "f.yaml")
    assert str(caught.value) == "f.yaml: a.c[1].x: expected each key once per mapping, got it again at line 4 " \
                                "(first at line 3)"
    # merge keys may be overridden (that is what they are for); equal keys in different mappings are fine
    assert parse_yaml_text("base: &b {x: 1, y: 2}\nmine:\n  <<: *b\n  x: 3\n", "f.yaml") == \
        {"base": {"x": 1, "y": 2}, "mine": {"x": 3, "y": 2}}
    # an alias is walked once, however often it is used
    assert parse_yaml_text("a: &a {k: 1}\nb: [*a, *a, *a]\n", "f.yaml")["b"] == [{"k": 1}] * 3


def test_a_lengths_file_with_comments_crlf_and_trailing_commas(tmp_path):
    from hwsim.serving.load import read_lengths
    path = tmp_path / "l.csv"
    path.write_bytes(b"# seconds\r\n1.5,\r\n\r\n+2e0 # two\r\n.5\n")
    assert read_lengths(path) == (1.5, 2.0, 0.5)


def test_a_lengths_row_of_non_ascii_digits_is_refused(tmp_path):
    from hwsim.errors import SpecError
    from hwsim.serving.load import read_lengths
    path = tmp_path / "l.csv"
    path.write_text("1.5\n\u0663\n", encoding="utf-8")  # ARABIC-INDIC DIGIT THREE: float() reads it as 3.0
    with pytest.raises(SpecError, match="row 2: expected a duration"):
        read_lengths(path)
