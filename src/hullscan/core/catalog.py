"""Building hullscan's own rules: one constructor, so every rule carries the same help layout
(what, why, fix, and a link into docs/rules.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hullscan import RULES_DOCS
from hullscan.core.model import Rule, Severity

if TYPE_CHECKING:  # the rule of an advisory; the core imports no other layer at run time
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

# What an informational notice (RustSec's `informational`: the record is not a vulnerability)
# asks of the user, by kind; other kinds get NOTICE_ADVICE.
INFORMATIONAL_ADVICE = {
    "unmaintained": "The package is no longer maintained, so future vulnerabilities may never "
                    "be fixed: move to a maintained alternative (the notice often names one).",
    "unsound": "The package has an unsound API (safe code can break memory safety with it): "
               "upgrade past the fix if there is one, or avoid the affected API.",
}
NOTICE_ADVICE = "Read the notice and decide whether the package should stay."


def advisory_rule(advisory: Advisory, *, name_prefix: str, fix: str,
                  tags: Sequence[str]) -> Rule:
    """The rule of a vulnerability advisory (dependency and image findings): its OSV id, its
    summary, a link to osv.dev, and the advisory's own severity.

    An informational notice (the advisory's `informational` property: `unmaintained`,
    `unsound`, `notice`) is not a vulnerability: its rule keeps the advisory's id and link, but
    its name says the kind instead of "vulnerable" (`vulnerable-dependency-…` becomes
    `unmaintained-dependency-…`), its tags carry `informational` and the kind instead of
    `vulnerability`, and its help gives the notice's advice, not `fix`. Its severity is the
    advisory's, which is low unless the record rates it."""
    kind = informational_kind(advisory)
    summary = advisory.summary or (
        f"Informational notice {advisory.id}" if kind else f"Known vulnerability {advisory.id}")
    uri = f"{OSV_URI}{advisory.id}"
    full = f"{summary} ({', '.join(advisory.ids)})."
    if kind:
        base = name_prefix.removeprefix("vulnerable-")
        name_prefix = f"{kind}-{base}"
        full = f"Informational notice ({kind}), not a vulnerability: {full}"
        fix = INFORMATIONAL_ADVICE.get(kind, NOTICE_ADVICE)
        tags = (*(t for t in tags if t != "vulnerability"), "informational", kind)
    return Rule(
        id=advisory.id,
        name=f"{name_prefix}-{advisory.id.lower()}",
        short_description=summary[:200],
        full_description=full,
        help_text=f"{summary}. {fix} Details: {uri}",
        help_uri=uri,
        default_severity=advisory.severity,
        tags=tuple(dict.fromkeys(tags)),
    )


def informational_kind(advisory: Advisory) -> str | None:
    """The kind of informational notice an advisory is (a short word such as `unmaintained`),
    or None for a vulnerability."""
    kind = advisory.properties.get("informational")
    if not isinstance(kind, str):
        return None
    word = "-".join("".join(c if c.isalnum() else " " for c in kind.lower()).split())
    return word or None
