#!/usr/bin/env bash
# Measure a real GPU for hwsim (issue 12, item 5): one short script, about 5-8 minutes on an H100/H200.
#
#   bash benchmarks/gpu_measure.sh [LIKE] [OUTDIR]
#
#   LIKE    datasheet device the measured file starts from (default h200_sxm; h100_sxm on an H100)
#   OUTDIR  where results go (default $OUT if set, else reports/gpu_measured)
#
# Needs: python3 >= 3.11 with PyTorch built for the machine's CUDA (import torch; torch.cuda.is_available()),
# and hwsim's core dependencies (numpy pandas simpy matplotlib pyyaml pydantic tqdm). Nothing is downloaded:
# hwsim runs from this checkout through PYTHONPATH. Writes:
#   OUTDIR/LIKE_measured.yaml            measured device file (copy it to devices/ and commit)
#   OUTDIR/calibrate/{README.md,comparison.csv}   large bf16 GEMM TFLOP/s, copy GB/s, launch latency vs datasheet
#   OUTDIR/validate_{float32,bfloat16}[_measured]/ per-component reference RNN-T in PyTorch vs the simulator
#   OUTDIR/nvidia-smi.txt, OUTDIR/log.txt
#
# TORCH_DEVICE=cpu bash benchmarks/gpu_measure.sh h100_sxm /tmp/x   exercises the whole script on CPU torch with
# --quick sizes (a dry run of the code path; its numbers mean nothing).
set -euo pipefail
LIKE="${1:-h200_sxm}"
TORCH_DEVICE="${TORCH_DEVICE:-cuda}"
EXTRA=(--torch-device "$TORCH_DEVICE")
[ "$TORCH_DEVICE" = cpu ] && EXTRA+=(--quick)
DEST="${2:-${OUT:-reports/gpu_measured}}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python3}"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$DEST"
exec > >(tee "$DEST/log.txt") 2>&1

TORCH_DEVICE="$TORCH_DEVICE" "$PY" - <<'PYCHECK'
import os, sys
try:
    import torch
except ImportError:
    sys.exit("gpu_measure: PyTorch is not installed for this python (set PYTHON=...)")
if os.environ["TORCH_DEVICE"] != "cpu" and not torch.cuda.is_available():
    sys.exit("gpu_measure: torch.cuda.is_available() is False: no GPU visible")
for name in ("numpy", "pandas", "simpy", "matplotlib", "yaml", "pydantic", "tqdm"):
    __import__(name)
print("torch", torch.__version__, "cuda", torch.version.cuda,
      "gpu", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none (cpu dry run)")
PYCHECK
nvidia-smi > "$DEST/nvidia-smi.txt" 2>&1 || true

HWSIM=("$PY" -m hwsim.cli)
MEASURED="$DEST/${LIKE}_measured.yaml"

echo "== calibrate (GEMMs bf16/fp16/tf32, copy, host link, launch, CUDA graphs)"
"${HWSIM[@]}" calibrate --backend torch "${EXTRA[@]}" --like "$LIKE" --out "$MEASURED" --report "$DEST/calibrate"

echo "== validate against the datasheet device and the measured one"
for DTYPE in float32 bfloat16; do
  "${HWSIM[@]}" validate --backend torch "${EXTRA[@]}" --device "$LIKE" --dtype "$DTYPE" --out "$DEST/validate_${DTYPE}"
done
"${HWSIM[@]}" validate --backend torch "${EXTRA[@]}" --device "$MEASURED" --dtype bfloat16 --out "$DEST/validate_bfloat16_measured"
"${HWSIM[@]}" validate --backend torch "${EXTRA[@]}" --device "$MEASURED" --dtype bfloat16 --cuda-graphs \
  --out "$DEST/validate_bfloat16_measured_graphs_prediction"
echo "== done: results in $DEST"
