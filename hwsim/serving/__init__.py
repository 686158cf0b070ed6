"""Serving a fleet (glue around the engine, hwsim.sim.fleet): load generation, chip memory, one run's summary, capacity
search and the executors that run many points."""
