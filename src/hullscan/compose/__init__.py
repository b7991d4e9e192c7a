"""Docker Compose files: a safe loader with line positions, and hullscan's own workload rules."""
