"""checkov's results as findings: each on the line of the offending key (RBAC checks on the rule
that fails them), skipped checks as in-source suppressions, parse failures as notifications."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from hullscan.checkers.iac.common import NAME, _File
from hullscan.checkers.iac.pages import _rule
from hullscan.core.model import (
    Finding,
    Location,
    Notification,
    NotificationLevel,
    Suppression,
    SuppressionKind,
)
from hullscan.core.redact import redact
from hullscan.core.yamlsafe import line_of, start_line
from hullscan.iac import locate
from hullscan.iac.severity import severity_for

log = logging.getLogger("hullscan.iac")


def _parsing_errors(reports: Iterable[Any], by_abs: dict[str, _File]) -> list[Notification]:
    notes = []
    for report in reports:
        for path in getattr(report, "parsing_errors", []) or []:
            item = by_abs.get(str(path)) or by_abs.get(os.path.abspath(str(path)))
            if item is not None:
                notes.append(Notification(
                    NAME, NotificationLevel.WARNING,
                    f"checkov could not parse this {item.framework} file; not checked",
                    item.target.rel,
                ))
    return notes


def _records(report: Any) -> Iterable[tuple[Any, bool]]:
    for record in getattr(report, "failed_checks", []) or []:
        yield record, False
    for record in getattr(report, "skipped_checks", []) or []:
        yield record, True




def _finding(
    framework: str, record: Any, item: _File, categories: dict[str, list[str]], suppressed: bool
) -> Finding:
    check_id = str(record.check_id)
    severity = severity_for(check_id, categories.get(check_id, []))
    line_range = list(getattr(record, "file_line_range", None) or [1, 1])
    first, last = int(line_range[0] or 1), int(line_range[-1] or line_range[0] or 1)
    result = getattr(record, "check_result", {}) or {}
    keys = [str(k) for k in result.get("evaluated_keys", []) or []]
    keys += locate.FALLBACK_KEYS.get(check_id, [])
    line = _offending_line(framework, record, item, first, last, keys) or first
    resource = str(getattr(record, "resource", "") or "")
    name = str(getattr(record, "check_name", "") or check_id)
    suppression = None
    if suppressed:
        comment = str(result.get("suppress_comment") or "").strip()
        reasoned = bool(comment) and comment.lower() != "no comment provided"
        reason = comment if reasoned else "skipped with a checkov comment (no reason given)"
        suppression = Suppression(SuppressionKind.IN_SOURCE, redact(reason, prose=True),
                                  reasoned=reasoned)
    return Finding(
        rule=_rule(framework, check_id, name, getattr(record, "guideline", None), severity),
        checker=NAME,
        severity=severity,
        message=redact(f"{name} ({resource})" if resource else name, prose=True),
        location=Location(item.target.rel, max(1, line)),
        properties={"resource": resource, "framework": framework},
        suppression=suppression,
    )


def _offending_line(
    framework: str, record: Any, item: _File, first: int, last: int, keys: list[str]
) -> int | None:
    if framework == "helm":
        return _template_line(item.lines, keys)  # rendered lines are not the template's
    if not keys:
        return None
    if framework == "terraform":
        return locate.hcl_line(item.lines, first, last, keys)
    if not item.documents:
        return None
    document = locate.find_yaml_resource(item.documents, first)
    if document is None:
        return None
    root = document
    if framework == "kubernetes" and str(record.check_id) in RBAC_CHECKS:
        line = _rbac_line(str(record.check_id), document)
        if line is not None:
            return line
    if framework in ("cloudformation", "serverless"):
        root = locate.cloudformation_resource(document, str(getattr(record, "resource", "")))
        if root is None:
            return None
    elif framework == "terraform_plan":
        root = locate.mapping_at(document, first)
        if root is None:
            return None
    return locate.yaml_line(root, keys)


# checkov's RBAC checks evaluate a Role's `rules` without naming a key: each is placed on the
# rule that grants what it looks for (CKV_K8S_49 reads only the first rule, as checkov does)
RBAC_CHECKS = frozenset({"CKV_K8S_49", "CKV_K8S_155", "CKV_K8S_156", "CKV_K8S_157",
                         "CKV_K8S_158"})
_K8S_REGISTRY = "checkov.kubernetes.checks.resource.registry"


def _rbac_line(check_id: str, document: Any) -> int | None:
    """The line of the rule (its wildcard key, or its `verbs:`) that makes an RBAC check fail,
    asked of the check itself (its `rule_can` and `failing_operations`)."""
    rules = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(rules, list) or not rules:
        return None
    if check_id == "CKV_K8S_49":
        rule = rules[0]
        for key in ("apiGroups", "resources", "verbs"):
            values = rule.get(key) if isinstance(rule, dict) else None
            if isinstance(values, list) and any("*" in str(v) for v in values):
                return line_of(rule, key)
        return None
    module = sys.modules.get(_K8S_REGISTRY)
    registry = getattr(module, "registry", None)
    check = next((c for group in getattr(registry, "checks", {}).values() for c in group
                  if getattr(c, "id", None) == check_id), None)
    operations = getattr(check, "failing_operations", None)
    if check is None or not isinstance(operations, list):
        return None
    for rule in rules:
        try:
            grants = isinstance(rule, dict) and any(check.rule_can(rule, op) for op in operations)
        except Exception:  # another checkov's internals: the rules' line stays
            return None
        if grants:
            return line_of(rule, "verbs") or start_line(rule)
    return None


def _template_line(lines: Sequence[str], keys: Sequence[str]) -> int:
    """The line of a Helm template holding the offending key: the first line that sets the
    key's last name (templates are not YAML until rendered, so this is a search, not a walk);
    the template's first line when none does."""
    for key in keys:
        names = [part for part in key.split("/") if part and not part.startswith("[")]
        if not names:
            continue
        pattern = re.compile(rf"^\s*(?:-\s+)?[\"']?{re.escape(names[-1])}[\"']?\s*:")
        for number, text in enumerate(lines, start=1):
            if pattern.match(text):
                return number
    return 1
