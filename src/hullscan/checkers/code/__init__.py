"""The code checker (SAST): bandit for Python, local semgrep rules for other languages.

- `checker.py`: the checker (which files, bandit and semgrep, the result);
- `bandit.py`, `semgrep.py`: the tool adapters (runs, output to findings, inline ignores);
- `common.py`: the checker's name, its sources, small readers of tool output.
"""

from hullscan.checkers.code.bandit import (
    BANDIT_URI,
    SEVERITY_TABLE,
    bandit_severity,
    mask_password_message,
    nosec_suppression,
    without_literals,
)
from hullscan.checkers.code.checker import CodeChecker
from hullscan.checkers.code.common import NAME
from hullscan.checkers.code.semgrep import SEMGREP_URI, nosemgrep_suppression, semgrep_results

__all__ = [
    "BANDIT_URI", "NAME", "SEMGREP_URI", "SEVERITY_TABLE", "CodeChecker", "bandit_severity",
    "mask_password_message", "nosec_suppression", "nosemgrep_suppression", "semgrep_results",
    "without_literals",
]
