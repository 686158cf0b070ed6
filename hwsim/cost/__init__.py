"""(Op, precision, Device) -> cost; never imports simpy or reads YAML (except cost.device.load_device)."""
