"""Serving a fleet (glue around hwsim.sim.serving): load generation, chip memory, one run's summary, capacity
search and the executors that run many points."""
