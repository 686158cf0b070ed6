"""The bad-input campaign: generated broken specs and hand-listed broken arguments, for every verb.

Each case is (id, argv builder, fragments). The builder gets the case's private folder and returns argv; it may
write input files there. Every case must end in exit 2 with only `hwsim: error: WHERE: ...` lines on stderr,
nothing on stdout and nothing new on disk (tests/bad_input/test_campaign.py).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

from hwsim.io.paths import CLAIMS_DIR, DEVICES_DIR, MODELS_DIR, PRECISIONS_DIR

Builder = Callable[[Path], list[str]]


@dataclass(frozen=True)
class Case:
    id: str
    build: Builder
    fragments: tuple[str, ...] = ()


# --- generated: every leaf of shipped specs broken in ways that are always wrong --------------------------------

SPEC_TARGETS = {
    # file, argv template ({} = the broken file)
    "workload": (MODELS_DIR / "ibm_rnnt_swb.yaml", ["params", "{}"]),
    "conformer": (MODELS_DIR / "lstm_rnnt_small.yaml", ["params", "{}"]),
    "hybrid": (MODELS_DIR / "dblstm_hmm_300.yaml", ["params", "{}"]),
    "precision": (PRECISIONS_DIR / "ibm_rnnt_swb" / "int4.yaml", ["size", "ibm_rnnt_swb", "{}"]),
    "device": (DEVICES_DIR / "ibm_7nm_ai_chip.yaml", ["gemm", "--device", "{}", "--m", "8", "--k", "8", "--n", "8"]),
    "tpu": (DEVICES_DIR / "tpu_v4.yaml", ["gemm", "--device", "{}", "--m", "8", "--k", "8", "--n", "8"]),
    "claims": (CLAIMS_DIR / "ibm_shares.yaml", ["check", "{}"]),
}
NUMBER_BREAKS = {"bool": True, "inf": float("inf"), "nan": float("nan"), "text": "twelve", "list": [1, 2]}


def leaves(node: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in leaves(value, path + (key,))]
    if isinstance(node, list):
        return [leaf for index, value in enumerate(node) for leaf in leaves(value, path + (index,))]
    return [(path, node)]


def mappings(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path] if isinstance(node, dict) else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in children:
        found += mappings(value, path + (key,))
    return found


def set_at(data: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def shown(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _spec_case(name: str, source: Path, argv: list[str], edit: Callable[[Any], None], fragments: tuple) -> Builder:
    def build(folder: Path) -> list[str]:
        data = yaml.safe_load(source.read_text())
        edit(data)
        target = folder / source.name
        target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return [part.replace("{}", str(target)) for part in argv]
    return build


def generated_spec_cases() -> list[Case]:
    cases = []
    for name, (source, argv) in SPEC_TARGETS.items():
        data = yaml.safe_load(source.read_text())
        for path, value in leaves(data):
            if path == ("schema_version",):
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                for tag, broken in NUMBER_BREAKS.items():
                    edit = (lambda p, b: lambda d: set_at(d, p, b))(path, broken)
                    cases.append(Case(f"{name}:{shown(path)}={tag}", _spec_case(name, source, argv, edit, ()),
                                      (source.name, shown(path))))
        for path in mappings(data):
            edit = (lambda p: lambda d: set_at(d, p + ("bogus_key",), 1) if p else d.update(bogus_key=1))(path)
            cases.append(Case(f"{name}:{shown(path) or 'top'}+unknown", _spec_case(name, source, argv, edit, ()),
                              ("bogus_key",)))
        cases.append(Case(f"{name}:schema_version", _spec_case(name, source, argv,
                          lambda d: d.update(schema_version=2), ()), ("schema_version",)))
    return cases


# --- output paths: every flag that writes, pointed at places that cannot be written -----------------------------

SIM = ["simulate", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--frames", "20"]
SERVE = ["serve", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--scenario", "offline"]
COST = ["cost", "ibm_rnnt_swb", "int4", "--device", "ibm_7nm_ai_chip", "--frames", "20"]
OUTPUT_FLAGS = {
    "simulate--out": (SIM + ["--out"], "dir"),
    "simulate--trace": (SIM + ["--trace"], "file"),
    "simulate--save-schedule": (SIM + ["--save-schedule"], "file"),
    "cost--out": (COST + ["--out"], "dir"),
    "cost--roofline": (COST + ["--roofline"], "png"),
    "sweep--out": (["sweep", "ibm_rnnt_swb", "--device", "ibm_7nm_ai_chip", "--precisions", "int4",
                    "--frames", "20", "--beams", "1", "--out"], "dir"),
    "check--report": (["check", "--report"], "dir"),
    "qat--out": (["qat", "ibm_rnnt_swb", "int8", "--max-tensors", "1", "--out"], "dir"),
    "qat-demo--out": (["qat-demo", "--float-steps", "1", "--qat-steps", "1", "--out"], "dir"),
    "reproduce--out": (["reproduce", "fig1a", "--no-sensitivity", "--out"], "dir"),
    "validate--out": (["validate", "--quick", "--out"], "dir"),
    "reference--trace-out": (["reference", "lstm_rnnt_small", "--frames", "8", "--trace-out"], "file"),
    "quantize-o": (["quantize", "{npy}", "--quantizer", "max", "--bits", "8", "-o"], "file"),
    "calibrate--out": (["calibrate", "--quick", "--no-progress", "--out"], "yaml"),
}


def _existing_file(folder: Path) -> str:
    (folder / "taken").write_text("x")
    return str(folder / "taken")


def _existing_dir(folder: Path) -> str:
    (folder / "adir").mkdir()
    return str(folder / "adir")


def _under_file(folder: Path) -> str:
    (folder / "plain").write_text("x")
    return str(folder / "plain" / "sub" / "out.json")


def _dangling(folder: Path) -> str:
    os.symlink(folder / "missing" / "x", folder / "dangling")
    return str(folder / "dangling")


def _loop(folder: Path) -> str:
    os.symlink(folder / "loop_b", folder / "loop_a")
    os.symlink(folder / "loop_a", folder / "loop_b")
    return str(folder / "loop_a")


def _loop_parent(folder: Path) -> str:
    os.symlink(folder / "lp_b", folder / "lp_a")
    os.symlink(folder / "lp_a", folder / "lp_b")
    return str(folder / "lp_a" / "out.json")


def _read_only(folder: Path) -> str:
    (folder / "ro").mkdir()
    os.chmod(folder / "ro", 0o555)
    return str(folder / "ro" / "out.json")


def _users_folder(folder: Path) -> str:
    """A folder of the user's own plain files: never replaced (no hwsim-manifest.json)."""
    (folder / "mine").mkdir()
    (folder / "mine" / "notes.txt").write_text("mine")
    return str(folder / "mine")


def _current_folder(folder: Path) -> str:
    return f"../{folder.name}"  # the case runs inside `folder`


def _read_only_file(suffix: str):
    def make(folder: Path) -> str:
        (folder / f"ro{suffix}").write_text("mine")
        os.chmod(folder / f"ro{suffix}", 0o444)
        return str(folder / f"ro{suffix}")
    return make


PLACES = {"under-a-file": _under_file, "dangling-symlink": _dangling,
          "symlink-loop": _loop, "under-a-loop": _loop_parent, "read-only": _read_only}


def _npy(folder: Path) -> str:
    np.save(folder / "w.npy", np.arange(16, dtype=np.float32).reshape(4, 4))
    return str(folder / "w.npy")


def output_cases() -> list[Case]:
    cases = []
    for name, (argv, kind) in OUTPUT_FLAGS.items():
        places = dict(PLACES)
        if kind == "dir":
            places["existing-file-for-dir"] = _existing_file
            places["users-own-folder"] = _users_folder
            places["current-folder"] = _current_folder
        else:
            places["read-only-file"] = _read_only_file({"png": ".png", "yaml": ".yaml"}.get(kind, ".json"))
            places["existing-dir"] = _existing_dir
            places["device-file"] = lambda folder: "/dev/null"
        if kind in ("png", "yaml"):
            places["unknown-extension"] = lambda folder: str(folder / "plot.bmpx")
            places["no-extension"] = lambda folder: str(folder / "plot")
        for place, make in places.items():
            def build(folder: Path, argv=argv, make=make) -> list[str]:
                npy = _npy(folder)
                return [a.replace("{npy}", npy) for a in argv] + [make(folder)]
            cases.append(Case(f"out:{name}:{place}", build, (argv[-1] if argv[-1].startswith("-") else "",)))
    return cases


# --- unreadable inputs ------------------------------------------------------------------------------------------

def _write(folder: Path, name: str, data: bytes) -> str:
    (folder / name).write_bytes(data)
    return str(folder / name)


def _valid_workload_text() -> str:
    return (MODELS_DIR / "lstm_rnnt_small.yaml").read_text()


def _npy_header_claiming(folder: Path, shape: tuple, dtype: str = "<f4") -> str:
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    path = folder / "huge.npy"
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, header)
        handle.write(b"\0" * 64)
    return str(path)


def _object_npy(folder: Path) -> str:
    path = folder / "obj.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    return str(path)


def _npz_with(folder: Path, arrays: dict, corrupt: bool = False, pickle: bool = False) -> str:
    path = folder / "w.npz"
    if pickle:
        with zipfile.ZipFile(path, "w") as archive:
            with archive.open("predictor.embedding.npy", "w") as handle:
                np.lib.format.write_array(handle, np.array([object()], dtype=object), allow_pickle=True)
        return str(path)
    np.savez(path, **arrays)
    if corrupt:
        raw = bytearray(path.read_bytes())
        middle = len(raw) // 2
        raw[middle:middle + 8] = b"\xff" * 8
        path.write_bytes(bytes(raw))
    return str(path)


def _replay(folder: Path, text: str) -> str:
    return _write(folder, "trace.json", text.encode())


QAT = ["qat", "ibm_rnnt_swb", "int8", "--max-tensors", "1"]
QUANT = ["quantize", "{}", "--quantizer", "max", "--bits", "8", "-o", "OUT"]


def _quant(folder: Path, path: str) -> list[str]:
    return [str(folder / "q.npz") if a == "OUT" else path if a == "{}" else a for a in QUANT]


def input_cases() -> list[Case]:
    wl = _valid_workload_text()
    listed: dict[str, tuple[Builder, tuple]] = {
        "yaml:not-utf8": (lambda f: ["params", _write(f, "w.yaml", wl.encode() + b"\n# \xff\xfe bad\n")], ("UTF-8",)),
        "yaml:latin1": (lambda f: ["params", _write(f, "w.yaml", "name: caf\xe9\n".encode("latin-1"))], ("UTF-8",)),
        "yaml:deep-brackets": (lambda f: ["params", _write(f, "w.yaml", b"a: " + b"[" * 50000 + b"]" * 50000)],
                               ("nesting",)),
        "yaml:deep-maps": (lambda f: ["params", _write(f, "w.yaml", ("a:\n" + "".join(
            "  " * i + "b:\n" for i in range(1, 200))).encode())], ("nesting",)),
        "yaml:billion-laughs": (lambda f: ["params", _write(f, "w.yaml", (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
            "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n").encode())], ("values",)),
        "yaml:syntax": (lambda f: ["params", _write(f, "w.yaml", b"a: [1, 2\nb: }")], ("valid YAML",)),
        "yaml:list-top": (lambda f: ["params", _write(f, "w.yaml", b"- 1\n- 2\n")], ("mapping",)),
        "yaml:empty": (lambda f: ["params", _write(f, "w.yaml", b"")], ("mapping",)),
        "yaml:folder": (lambda f: ["params", str(f) + "/"], ("workload",)),
        "yaml:unhashable-key": (lambda f: ["params", _write(f, "w.yaml", b"? [a, b]\n: 1\n")], ("YAML",)),
        "yaml:huge": (lambda f: ["params", _write(f, "w.yaml", b"a: " + b"x" * (17 * 2**20))], ("bytes",)),
        "yaml:control-chars-in-key": (lambda f: ["params", _write(f, "w.yaml", wl.replace(
            "schema_version: 1", 'schema_version: 1\n"evil\\e[2J\\nkey": 1').encode())], ("\\x1b[2J\\nkey",)),
        "yaml:hidden-dim-true": (lambda f: ["params", _write(f, "w.yaml", wl.replace(
            "hidden_dim: 320", "hidden_dim: true", 1).encode())], ("boolean",)),
        "yaml:frame-step-inf": (lambda f: ["params", _write(f, "w.yaml", _edit_yaml(wl, ("input_frame_step_s",),
                                                                                       ".inf"))], ("finite",)),
        "yaml:layers-10M": (lambda f: ["params", _write(f, "w.yaml", _edit_yaml(wl, ("encoder", "num_layers"),
                                                                                  "10000000"))], ("limit",)),
        "yaml:bad-kind": (lambda f: ["params", _write(f, "w.yaml", _edit_yaml(wl, ("encoder", "kind"),
                                                                                "transformer"))], ("kind",)),
        "yaml:no-kind": (lambda f: ["params", _write(f, "w.yaml", _drop_yaml(wl, ("encoder", "kind")))], ("kind",)),
        "yaml:precisions-dir-escape": (lambda f: ["size", _write(f, "w.yaml", _edit_yaml(
            wl, ("precisions_dir",), "../usm_rnnt_1b")), "exp5"], ("precisions_dir",)),
        "device:subnormal-figure": (lambda f: ["gemm", "--device", _write(f, "d.yaml", _edit_yaml(
            (DEVICES_DIR / "ibm_7nm_ai_chip.yaml").read_text(),
            ("matrix_engines", 0, "precisions", "fp16xfp16", "ops_per_cycle", "value"), "1e-320")), "--m", "8", "--k", "8",
            "--n", "8"], ("subnormal",)),
        "device:clock-inf": (lambda f: ["gemm", "--device", _write(f, "d.yaml", _edit_yaml(
            (DEVICES_DIR / "ibm_7nm_ai_chip.yaml").read_text(), ("matrix_engines", 0, "clock_hz", "value"), ".inf")),
            "--m", "8", "--k", "8", "--n", "8"], ("finite",)),
        "claims:select-matches-nothing": (lambda f: ["check", _write(f, "c.yaml", _claims_with(
            "ibm_shares.yaml", lambda c: c.update(select={"name": "nomatch*"}) if c.get("select") else None))],
            ("matches at least one tensor",)),
        "claims:print-step-2^63": (lambda f: ["check", _write(f, "c.yaml", _claims_with(
            "usm_table2.yaml", lambda c: c.update(paper_sizes_rounding=2**63, paper_value=1.0)
            if c["quantity"] == "reduction_vs_f32" else None))], ("paper_sizes_rounding",)),
        "name:traversal-workload": (lambda f: ["params", "../usm_rnnt_1b"], ("workload",)),
        "name:traversal-precision": (lambda f: ["size", "ibm_rnnt_swb", "../usm_rnnt_1b/exp5"], ("precision",)),
        "name:traversal-device": (lambda f: ["gemm", "--device", "../devices/tpu_v4", "--m", "1", "--k", "1",
                                             "--n", "1"], ("device",)),
        "name:absolute-device": (lambda f: ["gemm", "--device", "/etc/passwd", "--m", "1", "--k", "1", "--n", "1"],
                                 ()),
        "name:shell-chars": (lambda f: ["params", "a$(b)"], ("workload",)),
        "name:newline": (lambda f: ["params", "ibm\nrnnt"], ("\\n",)),
        "name:escape": (lambda f: ["params", "ibm\x1b[31m"], ("\\x1b",)),
        "name:dot": (lambda f: ["params", "."], ()),
        "name:empty": (lambda f: ["params", ""], ()),
        "name:unknown-device": (lambda f: SIM[:4] + ["tpu_v9", "--frames", "5"], ("tpu_v9",)),
        "replay:infinity": (lambda f: SIM + ["--replay", _replay(f, '{"algorithm": "tsd", "beam": Infinity, '
                                                                    '"frames": 5, "labels": 0, "steps": []}')],
                            ("Infinity",)),
        "replay:nan": (lambda f: SIM + ["--replay", _replay(f, '{"beam": NaN}')], ("NaN",)),
        "replay:deep": (lambda f: SIM + ["--replay", _replay(f, "[" * 100000 + "]" * 100000)], ("nesting",)),
        "replay:not-utf8": (lambda f: SIM + ["--replay", _write(f, "t.json", b'{"a": "\xff"}')], ("UTF-8",)),
        "replay:list": (lambda f: SIM + ["--replay", _replay(f, "[1, 2]")], ("decode trace",)),
        "replay:syntax": (lambda f: SIM + ["--replay", _replay(f, '{"a": ')], ("JSON",)),
        "replay:beam-mismatch": (lambda f: SIM + ["--beam", "8", "--replay", _replay(
            f, '{"algorithm": "tsd", "beam": 2, "frames": 20, "labels": 0, "steps": [[0, 1, 0, 1, 1]]}')],
                                 ("--beam",)),
        "replay:missing": (lambda f: SIM + ["--replay", str(f / "none.json")], ("none.json",)),
        **strict_reader_cases(),
        "npy:huge-header": (lambda f: _quant(f, _npy_header_claiming(f, (10**6, 10**6))), ("limit",)),
        "npy:object": (lambda f: _quant(f, _object_npy(f)), ("dtype",)),
        "npy:truncated": (lambda f: _quant(f, _npy_header_claiming(f, (100, 100))), ("npy",)),
        "npy:not-npy": (lambda f: _quant(f, _write(f, "x.npy", b"hello")), ("npy",)),
        "npy:strings": (lambda f: _quant(f, _saved(f, np.array(["a", "b"])) ), ("dtype",)),
        "npy:complex": (lambda f: _quant(f, _saved(f, np.ones(4, dtype=np.complex64))), ("dtype",)),
        "npy:3e38": (lambda f: _quant(f, _saved(f, np.array([[3e38, -3e38], [1.0, 2.0]], dtype=np.float32))),
                     ("magnitude",)),
        "npy:nan": (lambda f: _quant(f, _saved(f, np.array([[np.nan, 1.0]], dtype=np.float32))), ("finite",)),
        "npy:empty": (lambda f: _quant(f, _saved(f, np.zeros((0, 4), dtype=np.float32))), ("non-empty",)),
        "npy:missing": (lambda f: _quant(f, str(f / "none.npy")), ("none.npy",)),
        "npz:bad-crc": (lambda f: QAT + ["--weights", _npz_with(f, {"predictor.embedding": np.ones(
            (5000, 40), dtype=np.float32)}, corrupt=True)], ("npz",)),
        "npz:object": (lambda f: QAT + ["--weights", _npz_with(f, {}, pickle=True)], ("dtype",)),
        "npz:not-zip": (lambda f: QAT + ["--weights", _write(f, "w.npz", b"PK-not-really")], ("npz",)),
        "npz:unknown-key": (lambda f: QAT + ["--weights", _npz_with(f, {"nope": np.ones(3)})], ("nope",)),
        "npz:huge-header": (lambda f: QAT + ["--weights", _npz_huge(f)], ("limit",)),
    }
    return [Case(name, build, fragments) for name, (build, fragments) in listed.items()]


FIT = ["fit-decoding"]
TRACE_OK = {"algorithm": "tsd", "beam": 1, "frames": 5, "labels": 1, "max_symbols": 3, "vocab": 40,
            "steps": [[0, 1, 0, 1, 1]]}
SERVE_LSTM = ["serve", "lstm_rnnt_small", "fp16", "--device", "ibm_7nm_ai_chip", "--utterances", "2"]


def _trace(folder: Path, **changes: Any) -> str:
    import json
    return _write(folder, "trace.json", json.dumps({**TRACE_OK, **changes}).encode())


def _duplicate_key(text: str, after: str, line: str) -> bytes:
    """`text` with `line` inserted after the first line containing `after` (a key given twice)."""
    lines = text.splitlines()
    index = next(i for i, item in enumerate(lines) if after in item)
    return "\n".join(lines[: index + 1] + [line] + lines[index + 1:]).encode() + b"\n"


def _fp16_weights(folder: Path) -> str:
    array = np.ones((340, 2560), dtype=np.float32)
    array[3, 7] = 1e5  # beyond fp16's 65504: the int4 plan casts this tensor to fp16
    return _npz_with(folder, {"encoder.layers.0.fwd.w_ih": array})


def strict_reader_cases() -> dict[str, tuple[Builder, tuple]]:
    """Issue 29: decode traces, lengths files, duplicate YAML keys and weights a plan cannot cast."""
    device = (DEVICES_DIR / "ibm_7nm_ai_chip.yaml").read_text()
    workload = _valid_workload_text()
    lengths = lambda f, data: SERVE_LSTM + ["--lengths", _write(f, "lengths.csv", data)]  # noqa: E731
    return {
        "trace:beam-2.5": (lambda f: FIT + [_trace(f, beam=2.5)], ("trace.json: beam: expected an integer",)),
        "trace:beam-true": (lambda f: FIT + [_trace(f, beam=True)], ("beam: expected an integer, got True",)),
        "trace:beam-0": (lambda f: FIT + [_trace(f, beam=0)], ("beam: expected an integer >= 1, got 0",)),
        "trace:beam-negative": (lambda f: FIT + [_trace(f, beam=-1)], ("beam: expected an integer >= 1",)),
        "trace:frames-text": (lambda f: FIT + [_trace(f, frames="40")], ("frames: expected an integer, got '40'",)),
        "trace:labels-negative": (lambda f: FIT + [_trace(f, labels=-5)], ("labels: expected an integer >= 0",)),
        "trace:vocab-0": (lambda f: FIT + [_trace(f, vocab=0)], ("vocab: expected an integer >= 2, got 0",)),
        "trace:steps-empty": (lambda f: FIT + [_trace(f, steps=[])], ("steps: expected at least 1 items",)),
        "trace:step-short": (lambda f: FIT + [_trace(f, steps=[[0, 1, 0]])], ("steps[0]: expected at least 5",)),
        "trace:step-float": (lambda f: FIT + [_trace(f, steps=[[0, 1.5, 0, 1, 1]])], ("steps[0][1]",)),
        "trace:unknown-key": (lambda f: FIT + [_trace(f, bogus=1)], ("bogus",)),
        "trace:max-symbols-huge": (lambda f: FIT + [_trace(f, max_symbols=10**9)], ("max_symbols: expected at most",)),
        "replay:beam-0": (lambda f: SIM + ["--replay", _trace(f, beam=0)], ("beam: expected an integer >= 1",)),
        "replay:frames-text": (lambda f: SIM + ["--replay", _trace(f, frames="20")], ("frames: expected an integer",)),
        "lengths:binary": (lambda f: lengths(f, b"2.0\n\x89PNG\r\n\x1a\n\xff\xd8\n"), ("lengths.csv: row 2: ",)),
        "lengths:nul-bytes": (lambda f: lengths(f, b"\x00" * 64), ("lengths.csv: row 1: ",)),
        "lengths:nan": (lambda f: lengths(f, b"1\nnan\n"), ("row 2: expected a duration",)),
        "lengths:inf": (lambda f: lengths(f, b"1\n1e999\n"), ("row 2: expected a duration in seconds > 0, got inf",)),
        "lengths:1e308": (lambda f: lengths(f, b"1e308\n"), ("row 1: expected a duration of at most 36,000",)),
        "lengths:underscore": (lambda f: lengths(f, b"1_000\n"), ("row 1: expected a duration", "'1_000'")),
        "lengths:text-row": (lambda f: lengths(f, b"# seconds\n1.5\nten\n"), ("row 3: ", "'ten'")),
        "lengths:zero": (lambda f: lengths(f, b"0\n"), ("row 1: expected a duration in seconds > 0",)),
        "lengths:below-a-frame": (lambda f: lengths(f, b"1\n1e-9\n"), ("--lengths: expected durations of at least "
                                                                         "one input frame",)),
        "lengths:dev-zero": (lambda f: SERVE_LSTM + ["--lengths", "/dev/zero"], ("/dev/zero: expected a lengths file",)),
        "yaml:duplicate-key-device": (lambda f: ["gemm", "--device", _write(f, "d.yaml", _duplicate_key(
            device, "clock_hz:", "    clock_hz: {value: 1.0e9, source: x}")), "--m", "8", "--k", "8", "--n", "8"],
            ("d.yaml: matrix_engines[0].clock_hz: expected each key once per mapping",)),
        "yaml:duplicate-key-top": (lambda f: ["params", _write(f, "w.yaml", _duplicate_key(
            workload, "schema_version", "schema_version: 1"))], ("w.yaml: schema_version: expected each key once",)),
        "yaml:max-symbols-per-frame-huge": (lambda f: ["params", _write(f, "w.yaml", _edit_yaml(
            workload, ("decoding", "max_symbols_per_frame"), "100000"))], ("decoding.max_symbols_per_frame: expected "
                                                                           "at most 100 labels per frame",)),
        "npz:beyond-fp16": (lambda f: ["qat", "ibm_rnnt_swb", "int4", "--max-tensors", "1", "--weights",
                                       _fp16_weights(f)], ("w.npz: encoder.layers.0.fwd.w_ih: expected values of "
                                                           "magnitude at most 65504",)),
    }


def _claims_with(name: str, edit: Callable[[dict], None]) -> bytes:
    data = yaml.safe_load((CLAIMS_DIR / name).read_text())
    for claim in data["claims"]:
        edit(claim)
    return yaml.safe_dump(data, sort_keys=False).encode()


def _saved(folder: Path, array: np.ndarray) -> str:
    np.save(folder / "a.npy", array)
    return str(folder / "a.npy")


def _npz_huge(folder: Path) -> str:
    path = folder / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("predictor.embedding.npy", "w") as handle:
            np.lib.format.write_array_header_1_0(handle, {"descr": "<f4", "fortran_order": False,
                                                          "shape": (10**7, 10**6)})
    return str(path)


def _edit_yaml(text: str, path: tuple, raw: str) -> bytes:
    data = yaml.safe_load(text)
    set_at(data, path, "__RAW__")
    return yaml.safe_dump(data, sort_keys=False).replace("__RAW__", raw).encode()


def _drop_yaml(text: str, path: tuple) -> bytes:
    data = yaml.safe_load(text)
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return yaml.safe_dump(data, sort_keys=False).encode()


# --- bad numbers and arguments, per verb ------------------------------------------------------------------------

def argument_cases() -> list[Case]:
    sweep = ["sweep", "ibm_rnnt_swb", "--device", "ibm_7nm_ai_chip", "--precisions", "int4", "--frames", "20"]
    gemm = ["gemm", "--device", "ibm_7nm_ai_chip"]
    listed: dict[str, list[str]] = {
        "simulate:audio-nan": SIM[:5] + ["--audio-s", "nan"],
        "simulate:audio-inf": SIM[:5] + ["--audio-s", "inf"],
        "simulate:audio-neg": SIM[:5] + ["--audio-s", "-1"],
        "simulate:audio-huge": SIM[:5] + ["--audio-s", "1e12"],
        "simulate:frames-huge": SIM[:5] + ["--frames", "100000000"],
        "simulate:frames-text": SIM[:5] + ["--frames", "ten"],
        "simulate:frames-and-audio": SIM + ["--audio-s", "3"],
        "simulate:no-frames": SIM[:5],
        "simulate:beam-huge": SIM + ["--beam", "100000"],
        "simulate:frames-x-beam": SIM[:5] + ["--frames", "100000", "--beam", "512"],
        "simulate:allow-large-still-checks-types": SIM[:5] + ["--frames", "1e9", "--allow-large"],
        "simulate:seed-negative": SIM + ["--seed", "-1"],
        "simulate:seed-huge": SIM + ["--seed", str(2**64)],
        "simulate:label-rate-nan": SIM + ["--label-rate", "nan"],
        "simulate:label-rate-inf": SIM + ["--label-rate", "inf"],
        "simulate:blank-prob-2": SIM + ["--blank-prob", "2"],
        "simulate:topk-0": SIM + ["--topk", "0"],
        "simulate:chunk-0": SIM + ["--chunk-frames", "0"],
        "simulate:max-symbols-text": SIM + ["--max-symbols", "x"],
        "simulate:joint-on": SIM + ["--joint-on", "gpu"],
        "simulate:unknown-flag": SIM + ["--bogus"],
        "simulate:set-typo": SIM + ["--set", "encoder.hiden_dim=3"],
        "simulate:set-no-equals": SIM + ["--set", "encoder.hidden_dim"],
        "simulate:set-empty-key": SIM + ["--set", "=3"],
        "simulate:set-bad-index": SIM + ["--precision-set", "rules[99].weights.bits=4"],
        "simulate:set-inf": SIM + ["--set", "input_frame_step_s=.inf"],
        "simulate:set-bool": SIM + ["--set", "encoder.hidden_dim=true"],
        "simulate:device-set-inf": SIM + ["--device-set", "matrix_engines[0].clock_hz.value=.inf"],
        "simulate:device-set-tiny": SIM + ["--device-set", "host_link.latency_s.value=-1"],
        "simulate:meta-dtype": SIM + ["--meta-dtype", "int3"],
        "cost:frames-zero": COST[:-1] + ["0"],
        "cost:beam-huge": COST + ["--beam", "5000"],
        "cost:seed-negative": COST + ["--seed", "-5"],
        "cost:roofline-dir": COST + ["--roofline", "."],
        "sweep:dup-precisions": sweep[:5] + ["int4,int4"] + sweep[6:] + ["--out", "o"],
        "sweep:dup-devices": sweep[:3] + ["ibm_7nm_ai_chip,ibm_7nm_ai_chip"] + sweep[4:] + ["--out", "o"],
        "sweep:dup-beams": sweep + ["--beams", "1,1", "--out", "o"],
        "sweep:beams-zero": sweep + ["--beams", "0", "--out", "o"],
        "sweep:beams-text": sweep + ["--beams", "a,b", "--out", "o"],
        "sweep:points": sweep[:-1] + [",".join(str(i) for i in range(1, 202))] + ["--beams", ",".join(
            str(i) for i in range(1, 61)), "--out", "o"],
        "sweep:no-out": sweep,
        "reference:beam-huge": ["reference", "lstm_rnnt_small", "--frames", "8", "--beam", "100000"],
        "reference:frames-huge": ["reference", "lstm_rnnt_small", "--frames", "100000000"],
        "reference:frames-text": ["reference", "lstm_rnnt_small", "--frames", "many"],
        "reference:seed-negative": ["reference", "lstm_rnnt_small", "--frames", "8", "--seed", "-1"],
        "reference:algorithm": ["reference", "lstm_rnnt_small", "--frames", "8", "--algorithm", "beamy"],
        "reference:repeats-0": ["reference", "lstm_rnnt_small", "--frames", "8", "--repeats", "0"],
        "reference:repeats-huge": ["reference", "lstm_rnnt_small", "--frames", "8", "--repeats", "10" * 10],
        "validate:repeats-huge": ["validate", "--quick", "--repeats", "100000"],
        "gemm:m-zero": gemm + ["--m", "0", "--k", "1", "--n", "1"],
        "gemm:k-text": gemm + ["--m", "1", "--k", "x", "--n", "1"],
        "gemm:precision": gemm + ["--m", "1", "--k", "1", "--n", "1", "--precision", "int3"],
        "gemm:dataflow": gemm + ["--m", "1", "--k", "1", "--n", "1", "--dataflow", "xs"],
        "qat:seed-negative": QAT + ["--seed", "-1"],
        "qat:max-rows-0": QAT + ["--max-rows", "0"],
        "qat:weights-missing": QAT + ["--weights", "none.npz"],
        "qat-demo:steps-0": ["qat-demo", "--qat-steps", "0", "--out", "o"],
        "qat-demo:float-steps-text": ["qat-demo", "--float-steps", "x", "--out", "o"],
        "quantize:bits-0": ["quantize", "none.npy", "--quantizer", "max", "--bits", "0", "-o", "q.npz"],
        "quantize:quantizer": ["quantize", "none.npy", "--quantizer", "maxx", "--bits", "8", "-o", "q.npz"],
        "quantize:alpha-nan": ["quantize", "none.npy", "--quantizer", "pact", "--bits", "8", "--alpha", "nan",
                               "-o", "q.npz"],
        "size:meta-dtype": ["size", "ibm_rnnt_swb", "int4", "--meta-dtype", "fp7"],
        "size:json-and-csv": ["size", "ibm_rnnt_swb", "int4", "--json", "--csv"],
        "size:unknown-precision": ["size", "ibm_rnnt_swb", "int5"],
        "params:unknown-workload": ["params", "ibm_rnnt"],
        "check:missing-file": ["check", "none.yaml"],
        "reproduce:target": ["reproduce", "fig9"],
        "validate:repeats-0": ["validate", "--repeats", "0"],
        "validate:device": ["validate", "--quick", "--device", "no_such_cpu"],
        "calibrate:threads-0": ["calibrate", "--threads", "0"],
        "calibrate:clock": ["calibrate", "--clock", "sundial"],
        "calibrate:runtime": ["calibrate", "--runtime", "tensorflow"],
        "calibrate:workload": ["calibrate", "--quick", "--workload", "no_such_model", "--out", "c.yaml"],
        "validate:runtime": ["validate", "--quick", "--runtime", "tensorflow"],
        "fit-decoding:missing-trace": ["fit-decoding", "none.json"],
        "fit-decoding:max-symbols-0": ["fit-decoding", "none.json", "--max-symbols", "0"],
        "fit-decoding:vocab-text": ["fit-decoding", "none.json", "--vocab", "many"],
        "serve:utterances-0": SERVE + ["--utterances", "0"],
        "serve:rate-zero": SERVE[:-1] + ["server", "--rate", "0"],
        "serve:streams-0": SERVE[:-1] + ["streaming", "--streams", "0"],
        "serve:max-batch-0": SERVE + ["--max-batch", "0"],
        "serve:chips-0": SERVE + ["--chips", "0"],
        "serve:slo-negative": SERVE + ["--slo-p99-s", "-1", "--find-max-load"],
        "serve:scenario": SERVE[:-1] + ["batch"],
        "serve:lengths-missing": SERVE + ["--lengths", "none.csv"],
        "serve:chunk-below-a-frame": SERVE[:-1] + ["streaming", "--streams", "1", "--chunk-s", "1e-9"],
        "serve:utterance-s-nan": SERVE + ["--utterance-s", "nan"],
        "serve:utterance-cv-inf": SERVE + ["--utterance-cv", "inf"],
        "simulate:audio-below-a-frame": SIM[:5] + ["--audio-s", "0.001"],
        "serve:workers-0": SERVE + ["--workers", "0"],
        "serve:trace-segments-negative": SERVE + ["--trace-segments", "-1", "--out", "o"],
        "sweep:workers-0": sweep + ["--beams", "1", "--workers", "0", "--out", "o"],
        "cli:unknown-verb": ["simulat"],
        "cli:no-verb": [],
        "cli:spec-dir-missing": ["--spec-dir", "no/such/folder", "params", "ibm_rnnt_swb"],
    }
    return [Case(f"arg:{name}", (lambda argv: lambda folder: list(argv))(argv)) for name, argv in listed.items()]


def all_cases() -> list[Case]:
    return generated_spec_cases() + output_cases() + input_cases() + argument_cases()
