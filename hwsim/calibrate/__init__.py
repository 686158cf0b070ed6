"""Micro-benchmarks of this machine with numpy, written as a `measured:` device file (hwsim calibrate)."""
