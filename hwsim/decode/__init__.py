"""The RNN-T decoding algorithms, written once and run by both the simulator and the numpy reference decoder.

Each algorithm is a search over hypotheses that asks a `Scorer` for network outputs; the simulator's scorer
is the seeded synthetic model of hwsim.decode.synthetic, the reference decoder's runs real numpy networks.
Both record the same DecodeSteps, so their call schedules cannot diverge.
"""

from hwsim.decode.registry import ALGORITHMS, Algorithm, AlgorithmEntry, run_search

__all__ = ["ALGORITHMS", "Algorithm", "AlgorithmEntry", "run_search"]
