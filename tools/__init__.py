"""Offline tools: doc and golden-file generators, training and re-prediction scripts (not shipped in the wheel).

A package only so that tests can import the generators (`from tools.spec_docs import generated_files`); each tool
still runs as `python tools/NAME.py` from the repository root.
"""
