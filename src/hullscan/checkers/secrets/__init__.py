"""The secrets checker: committed credentials in any text file.

- `checker.py`: the checker (which files, what was skipped);
- `scan.py`: one file's text to findings;
- `detect_secrets.py`: the tool adapter (detect-secrets' plugins, in process);
- `keyword.py`: when a secret-named assignment is a committed credential (HS210);
- `rules.py`: the rules, and which rule each kind of secret is reported under.
"""

from hullscan.checkers.secrets.checker import SecretsChecker
from hullscan.checkers.secrets.rules import ALL_RULES, NAME, RULES

__all__ = ["ALL_RULES", "NAME", "RULES", "SecretsChecker"]
