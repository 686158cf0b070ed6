"""numpy QAT reference quantizers (praxis 1.4.0 and fms_mo 0.8.7 semantics) with STE gradients."""

from hwsim.quant.api import quantize, quantize_backward, resolve_kind
from hwsim.quant.common import QuantGrads, QuantizerKind, QuantResult, QuantSettings

__all__ = ["QuantGrads", "QuantizerKind", "QuantResult", "QuantSettings", "quantize", "quantize_backward",
           "resolve_kind"]
