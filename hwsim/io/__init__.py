"""Files in and out: every YAML/JSON/CSV read, atomic output folders, spec paths and run-size limits."""
