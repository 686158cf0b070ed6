"""The runtimes the reference RNN-T can run on: numpy (always) and onnxruntime (optional extra 'onnx')."""

from __future__ import annotations

from hwsim.errors import SpecError

RUNTIMES = ("numpy", "onnxruntime")


def require_onnxruntime() -> None:
    """One-line error (exit 2) when the optional onnx/onnxruntime packages are missing."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        raise SpecError(None, "--runtime", "onnx and onnxruntime installed (pip install 'hwsim[onnx]')",
                        "onnxruntime") from None
