"""Serving simulation: many utterances or real-time streams on one or many chips, with a pluggable batcher.

entities.py (utterances, chunks, records), policies.py (batching policy registry), chip.py (per-chip resources,
queues and workers), engine.py (dispatcher, arrivals, the run). Like the rest of hwsim.sim it only looks costs up
through the CallCosts protocol; it never reads specs or computes a cost per event.
"""
