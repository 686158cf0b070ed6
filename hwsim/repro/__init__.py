"""Reproductions of the papers' figures as committed reports (one module per figure or table)."""
