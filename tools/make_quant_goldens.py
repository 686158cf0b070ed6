"""Regenerate tests/golden/quant/*.npz by running the real libraries (offline; never run in CI).

Usage:  python tools/make_quant_goldens.py [--workdir /tmp/hwsim_quant_goldens] [--skip-install]

It builds two throw-away virtualenvs under --workdir, because the libraries pin incompatible stacks:
  praxis  : praxis==1.4.0 --no-deps, jax/jaxlib 0.4.26, numpy 1.26.4 and the light deps needed to import
            praxis.layers.quantization.operations (lingvo 0.14.2 installed --no-deps: praxis 1.4.0 pins
            lingvo 0.12.7, which has no Python 3.11 wheel; only its pure-Python core modules are imported).
  fms     : torch==2.13.0 (local CPU wheel) first, then fms-model-optimizer==0.8.7 --no-deps plus
            transformers/pandas/safetensors/pkginfo/tqdm so that `fms_mo.quant.quantizers` imports.
Inputs are drawn here (seeded), saved once, and each worker writes one small .npz per quantizer whose
keys are "<case>__<field>" (x, G, bits, alpha..., dequant, q, scale, zp, grad, dalpha, dalpha_neg).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = ROOT / "tests" / "golden" / "quant"
SEED = 20240602

PRAXIS_PACKAGES = [
    "numpy==1.26.4", "jax==0.4.26", "jaxlib==0.4.26", "absl-py==1.4.0", "flax==0.8.2", "fiddle==0.3.0",
    "jaxtyping==0.2.28", "typeguard==2.13.3", "opt-einsum==3.3.0", "optax==0.2.2", "einops==0.7.0",
    "etils==1.7.0", "chex", "clu==0.0.11", "praxis==1.4.0", "lingvo==0.14.2", "ml_dtypes==0.4.0",
    "scipy<1.14", "msgpack", "rich", "pyyaml", "typing_extensions", "toolz", "ml_collections",
    "tensorstore<0.1.70", "orbax-checkpoint==0.5.9", "graphviz", "libcst", "importlib_resources", "zipp",
    "fsspec", "protobuf", "nest_asyncio", "humanize", "wrapt", "sympy", "mpmath", "jax_bitempered_loss",
]
FMS_PACKAGES = ["numpy==2.2.6", "transformers<=5.12.1,>4.45", "tqdm", "pandas", "safetensors", "pkginfo>1.10"]


def make_inputs() -> dict[str, np.ndarray]:
    """Seeded weights/activations, including exact zeros, rounding ties and the 2x6 block-3 example."""
    rng = np.random.default_rng(SEED)
    ties = np.array([[7, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0],
                     [0, 0, 0, 0, 0, 0, 0, 0],
                     [0, 0, 3, 0, 0, 0, 0, 0],
                     [0.25, -0.75, 0, 1.0, -1.0, 0.5, 0, -0.25]], np.float32)
    inputs = {
        "gauss": rng.normal(0, 1, (4, 8)),
        "laplace": rng.laplace(0, 1, (4, 8)),
        "ties": ties,
        "fig2": rng.normal(0, 1, (2, 6)),
        "act_pos": np.maximum(rng.normal(0.5, 1, (3, 8)), 0),
        "act_signed": rng.normal(0.2, 1.2, (3, 8)),
        "lstm_in": rng.uniform(-1.6, 1.6, (3, 8)),
        "lstm_h": np.tanh(rng.normal(0, 1.5, (3, 8))),
    }
    inputs["act_pos"][0, :3] = [0.0, 2.0, 1.0]  # exactly 0 and exactly at the clips used below
    inputs["act_signed"][0, :3] = [2.0, -1.5, 0.0]
    inputs["lstm_in"][0, :2] = [4 / 3, -4 / 3]
    inputs["lstm_h"][0, :2] = [1.0, -1.0]
    out = {k: np.asarray(v, np.float32) for k, v in inputs.items()}
    for name in list(out):
        out[f"G_{name}"] = rng.normal(0, 1, out[name].shape).astype(np.float32)
    return out


def run(cmd: list[str]) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, timeout=1800)


def build_env(env_dir: Path, first: list[str], rest: list[str]) -> Path:
    python = env_dir / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(env_dir)])
    if first:
        run([str(python), "-m", "pip", "install", "-q", *first])
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", *rest])
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/hwsim_quant_goldens")
    parser.add_argument("--skip-install", action="store_true")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    inputs_file = workdir / "inputs.npz"
    np.savez(inputs_file, **make_inputs())
    praxis_py, fms_py = workdir / "praxis" / "bin" / "python", workdir / "fms" / "bin" / "python"
    if not args.skip_install:
        praxis_py = build_env(workdir / "praxis", [], PRAXIS_PACKAGES)
        fms_py = build_env(workdir / "fms", ["torch==2.13.0"], ["fms-model-optimizer==0.8.7"])
        run([str(fms_py), "-m", "pip", "install", "-q", *FMS_PACKAGES])
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    workers = Path(__file__).resolve().parent / "quant_golden_workers.py"
    run([str(praxis_py), str(workers), "praxis", str(inputs_file), str(GOLDEN_DIR)])
    run([str(fms_py), str(workers), "fms", str(inputs_file), str(GOLDEN_DIR)])


if __name__ == "__main__":
    main()
