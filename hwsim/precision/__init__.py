"""PrecisionSpec x Graph -> PrecisionPlan: the resolved format of every tensor and op."""

from hwsim.precision.plan import OpPrecision, PrecisionPlan, TensorPrecision, plan_precision

__all__ = ["OpPrecision", "PrecisionPlan", "TensorPrecision", "plan_precision"]
