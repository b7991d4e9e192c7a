"""What the rule registry knows about one rule: enough to list it, without running a scan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hullscan.core.model import Rule, Severity

HULLSCAN = "hullscan"  # the source of hullscan's own rules (HS...)


@dataclass(frozen=True)
class RuleInfo:
    """One rule as `hullscan rules` lists it.

    `checker` is the checker that reports it (the same HS id can be reported by several
    checkers: one RuleInfo each). `source` is who defines it: "hullscan" or the wrapped tool
    ("hadolint", "checkov", "compose-lint", "zizmor", "bandit", "semgrep", "osv").
    `severity` is the default severity hullscan gives it; None when it is decided per finding
    (bandit's severity and confidence, an advisory's CVSS score). `family` marks a row that
    stands for a whole family of a tool's rules the tool cannot list offline (`DL*/SC*`).
    `scope` lists the checkov frameworks (or other file kinds) a check applies to.
    """

    id: str
    name: str
    checker: str
    source: str
    severity: Severity | None
    description: str
    help_uri: str | None
    family: bool = False
    scope: tuple[str, ...] = ()

    @classmethod
    def of(cls, rule: Rule, checker: str, source: str = HULLSCAN,
           scope: tuple[str, ...] = ()) -> RuleInfo:
        """The listing of a model Rule (hullscan's own, or one built like a finding's)."""
        return cls(rule.id, rule.name, checker, source, rule.default_severity,
                   rule.short_description, rule.help_uri, scope=scope)

    @property
    def severity_text(self) -> str:
        return self.severity.value if self.severity is not None else "varies"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "checker": self.checker,
            "source": self.source,
            "severity": self.severity.value if self.severity is not None else None,
            "description": self.description,
            "help_uri": self.help_uri,
            "family": self.family,
            "scope": list(self.scope),
        }


# A provider lists the rules one checker reports; heavy imports happen inside it.
Provider = Callable[[], list[RuleInfo]]
