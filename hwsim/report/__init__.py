"""Tables and plots from results, written as committed reports."""
