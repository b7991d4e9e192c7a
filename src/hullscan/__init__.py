"""hullscan: container-security checks before merge, reported as SARIF."""

__version__ = "0.1.0"
TOOL_NAME = "hullscan"
INFORMATION_URI = "https://github.com/hullscan/hullscan"
RULES_DOCS = "https://github.com/hullscan/hullscan/blob/main/docs/rules.md"
