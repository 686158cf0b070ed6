"""Pydantic models at the YAML boundary; nothing after `load_*` reads YAML."""
