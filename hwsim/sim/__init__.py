"""The discrete-event engine of ASR inference: when the calls of a decode schedule run on a device's resources.

What runs comes from hwsim.decode (the schedules) and what it costs from hwsim.cost (precomputed `Segment`s
behind the `CallCosts` protocol of hwsim.cost.segments); only `chip.py` and `fleet.py` import simpy. Nothing here
reads YAML or calls the cost model per event.
"""
