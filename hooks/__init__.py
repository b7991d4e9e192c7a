"""Thin pre-commit entry points (installed as the package `hullscan_hooks`).

Each hook parses its arguments, calls the shared pipeline, renders, and returns the exit code.
"""
