"""The runtimes the reference RNN-T can run on: numpy (always) and onnxruntime (optional extra 'onnx')."""

from __future__ import annotations

from hwsim.cost.options import Placement, RunOptions
from hwsim.errors import SpecError

RUNTIMES = ("numpy", "onnxruntime")
# How the reference decoders place the work, for the simulator to mirror: everything on the CPU, log-softmax inside
# the joint call, top-k and bookkeeping in the search, nothing crosses a link.
REFERENCE_OPTIONS = RunOptions(softmax_placement=Placement.ACCELERATOR, topk_placement=Placement.HOST)
# Ops a runtime runs inside another component's timed call than the graph's component: onnxruntime's prediction
# session ends with joint.pred_proj (as sherpa-onnx's decoder model does), so its measured prediction time holds
# that op, which the graph (and numpy, which times it as joint) counts as joint. Validation compares like with
# like by moving the op's predicted time to the component the runtime measures it in.
MEASURED_IN: dict[str, dict[str, str]] = {"numpy": {}, "onnxruntime": {"joint.pred_proj": "prediction"}}


def require_onnxruntime() -> None:
    """One-line error (exit 2) when the optional onnx/onnxruntime packages are missing."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        raise SpecError(None, "--runtime", "onnx and onnxruntime installed (pip install 'hwsim[onnx]')",
                        "onnxruntime") from None
