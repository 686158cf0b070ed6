"""Exact model-size accounting: value bits + packing padding + quantization metadata, per tensor."""

from hwsim.size.account import SizeReport, TensorSize, account_size

__all__ = ["SizeReport", "TensorSize", "account_size"]
