"""The RNN-T decoding algorithms and the schedules they record, with no simulator import.

The five searches (`registry.py`, `algorithms.py`) are written once and run by both the simulator and the numpy
reference decoder: each asks a `Scorer` for network outputs. The simulator's scorer is the seeded synthetic model
of `synthetic.py` (`simulated.build_schedule` runs a search on it); the reference decoder's (hwsim.reference)
runs real numpy networks. Both record the same DecodeSteps into a `DecodeSchedule` (`schedule.py`; trace files:
`schedule_io.py`), so their call schedules cannot diverge, and the engine (hwsim.sim) only replays schedules.
"""

from hwsim.decode.registry import ALGORITHMS, Algorithm, AlgorithmEntry, run_search

__all__ = ["ALGORITHMS", "Algorithm", "AlgorithmEntry", "run_search"]
