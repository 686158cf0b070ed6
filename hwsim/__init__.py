"""hwsim: performance simulator, model-size accountant and QAT reference for quantized ASR models."""

__version__ = "0.1.0"
