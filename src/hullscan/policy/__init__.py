"""What the configuration and the comparison do to the checkers' findings: `apply.py` (disabled
rules, severity overrides, one finding per problem, fingerprints, suppressions), `overlaps.py`
(which rule yields to which), `trusted.py` (pull-request mode: the policy from the merge base),
`baseline.py`, `gitbase.py` (the base commit's worktree), `precommit.py` (sibling hooks)."""
