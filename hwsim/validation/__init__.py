"""Predicted vs measured on this machine: the numpy reference decoder against the simulator on local_cpu."""
