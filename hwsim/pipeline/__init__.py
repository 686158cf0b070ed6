"""From a run request to results: prepare the costs of one point, simulate it, sweep many on executors."""
