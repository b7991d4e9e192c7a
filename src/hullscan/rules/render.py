"""`hullscan rules` output: one line per rule (text) or a list of objects (json)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from hullscan.rules.interface import RuleInfo

_ID_WIDTH_LIMIT = 24


def render_text(rules: Sequence[RuleInfo]) -> str:
    """`ID  checker  severity  description  (help link)`, a blank line between the groups of
    one checker and one source (hullscan's own rules, then each wrapped tool's)."""
    if not rules:
        return ""
    id_width = min(max(len(r.id) for r in rules), _ID_WIDTH_LIMIT)
    checker_width = max(len(r.checker) for r in rules)
    severity_width = max(len(r.severity_text) for r in rules)
    lines: list[str] = []
    group: tuple[str, str] | None = None
    for rule in rules:
        if group is not None and group != (rule.checker, rule.source):
            lines.append("")
        group = (rule.checker, rule.source)
        description = " ".join(rule.description.split())
        link = f"  ({rule.help_uri})" if rule.help_uri else ""
        lines.append(f"{rule.id:<{id_width}}  {rule.checker:<{checker_width}}  "
                     f"{rule.severity_text:<{severity_width}}  {description}{link}")
    return "\n".join(lines) + "\n"


def render_json(rules: Sequence[RuleInfo]) -> str:
    return json.dumps([rule.as_json() for rule in rules], indent=2, ensure_ascii=False) + "\n"
