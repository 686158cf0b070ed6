"""The runtimes the reference RNN-T can run on: numpy (always) and onnxruntime (optional extra 'onnx')."""

from __future__ import annotations

from hwsim.cost.ops import COMPONENT_OF
from hwsim.cost.options import Placement, RunOptions
from hwsim.errors import SpecError
from hwsim.graph.model import Op

RUNTIMES = ("numpy", "onnxruntime")
# How the reference decoders place the work, for the simulator to mirror: everything on the CPU, log-softmax inside
# the joint call, top-k and bookkeeping in the search, nothing crosses a link.
REFERENCE_OPTIONS = RunOptions(softmax_placement=Placement.ACCELERATOR, topk_placement=Placement.HOST)
# Ops a runtime runs inside another component's timed call than the graph's component: onnxruntime's prediction
# session ends with joint.pred_proj (as sherpa-onnx's decoder model does), so its measured prediction time holds
# that op, which the graph (and numpy, which times it as joint) counts as joint. Validation compares like with
# like by moving the op's predicted time to the component the runtime measures it in.
MEASURED_IN: dict[str, dict[str, str]] = {"numpy": {}, "onnxruntime": {"joint.pred_proj": "prediction"}}


def measured_component(runtime: str, op: Op) -> str:
    """The component whose timed call holds `op` when `runtime` runs it (the graph's, unless MEASURED_IN moves it)."""
    return MEASURED_IN[runtime].get(op.name, COMPONENT_OF[op.component.value])


def require_onnxruntime() -> None:
    """One-line error (exit 2) when the optional onnx/onnxruntime packages are missing."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        raise SpecError(None, "--runtime", "onnx and onnxruntime installed (pip install 'hwsim[onnx]')",
                        "onnxruntime") from None
