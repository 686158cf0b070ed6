"""Discrete-event simulation of ASR inference: decode schedules (what runs) and the SimPy engine (when).

Only `engine.py` imports simpy. Nothing here reads YAML or calls the cost model per event: the engine gets
precomputed call costs through the `CallCosts` protocol.
"""
