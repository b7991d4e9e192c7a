"""The rule registry: every rule hullscan reports, its own (HS...) and the wrapped tools',
with id, checker, default severity, description and help link (`hullscan rules`)."""

from hullscan.rules.interface import RuleInfo
from hullscan.rules.registry import CHECKER_NAMES, UnknownCheckerError, all_rules

__all__ = ["CHECKER_NAMES", "RuleInfo", "UnknownCheckerError", "all_rules"]
