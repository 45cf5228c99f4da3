"""Evaluators: pure functions from observations to verdicts. No I/O, no pytest."""
