"""hullscan's own secret rules: when a secret-named assignment is a committed credential."""
