"""Dockerfile parsing for hullscan's own rules."""
