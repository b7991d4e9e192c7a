"""Building hullscan's own rules: one constructor, so every rule carries the same help layout
(what, why, fix, and a link into docs/rules.md)."""

from __future__ import annotations

from collections.abc import Sequence

from hullscan import RULES_DOCS
from hullscan.model import Rule, Severity
from hullscan.vuln.interface import Advisory


def make_rule(
    rule_id: str, name: str, short: str, full: str, fix: str, severity: Severity,
    tags: Sequence[str],
) -> Rule:
    return Rule(
        id=rule_id,
        name=name,
        short_description=short,
        full_description=full,
        help_text=f"{full}\n\nFix: {fix}",
        help_markdown=(
            f"**{short}**\n\n{full}\n\n**Fix:** {fix}\n\n"
            f"[Rule reference]({RULES_DOCS}#{rule_id.lower()})"
        ),
        help_uri=f"{RULES_DOCS}#{rule_id.lower()}",
        default_severity=severity,
        tags=("security", "container", *(t for t in tags if not t.startswith("CWE-"))),
        cwe=tuple(t for t in tags if t.startswith("CWE-")),
    )




def tool_rule(
    rule_id: str, name: str, text: str, origin: str, uri: str, severity: Severity,
    tags: Sequence[str],
) -> Rule:
    """A rule of a wrapped tool (hadolint, checkov, zizmor): its id and text, its link."""
    return Rule(
        id=rule_id,
        name=name,
        short_description=text,
        full_description=f"{text} ({origin}).",
        help_text=f"{text}. See {uri} for the rationale and the fix.",
        help_uri=uri,
        default_severity=severity,
        tags=tuple(tags),
    )


OSV_URI = "https://osv.dev/vulnerability/"


def advisory_rule(advisory: Advisory, *, name_prefix: str, fix: str,
                  tags: Sequence[str]) -> Rule:
    """The rule of a vulnerability advisory (dependency and image findings): its OSV id, its
    summary, a link to osv.dev, and the advisory's own severity."""
    summary = advisory.summary or f"Known vulnerability {advisory.id}"
    uri = f"{OSV_URI}{advisory.id}"
    return Rule(
        id=advisory.id,
        name=f"{name_prefix}-{advisory.id.lower()}",
        short_description=summary[:200],
        full_description=f"{summary} ({', '.join(advisory.ids)}).",
        help_text=f"{summary}. {fix} Details: {uri}",
        help_uri=uri,
        default_severity=advisory.severity,
        tags=tuple(tags),
    )
