"""SARIF 2.1.0, shaped for GitHub code scanning.

One run per checker, each with its own `automationDetails.id` (`hullscan/<checker>/`) so GitHub
accepts them in one upload; the rules each run's results use, with `security-severity`; every
result at a repository-relative file with `startLine >= 1`; a content fingerprint as
`primaryLocationLineHash`; suppressed findings kept with a `suppressions` entry; `baselineState`
`new` or `unchanged` when a base commit or baseline was compared; a checker that
could not run recorded in `invocations[].toolExecutionNotifications`.

Within GitHub's upload limits whatever the number of findings: at most 25,000 results per run
and the file under 10 MB gzip-compressed (`sarif_limits.fit_for_upload`, which `hullscan merge`
uses too). A run that loses results says how many in a warning notification; only the SARIF is
cut, the other formats and the exit code keep every finding.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from hullscan import INFORMATION_URI, TOOL_NAME, __version__
from hullscan.core.model import CheckerResult, Finding, Notification, Report, Rule, Severity
from hullscan.formats.sarif_log import DEFAULT_SCHEMA_URI, SARIF_VERSION

if TYPE_CHECKING:
    from hullscan.formats.interface import RenderContext
    from hullscan.formats.sarif_limits import Cut

DEFAULT_CATEGORY = TOOL_NAME
# GitHub limits: fullDescription <= 1024 characters, rule name <= 255.
_MAX_DESCRIPTION = 1024

log = logging.getLogger("hullscan")


def render(report: Report, context: RenderContext | None = None) -> str:
    """The SARIF log, within GitHub's upload limits. `context.sarif_category` prefixes every
    run's automationDetails.id (default "hullscan": "hullscan/dockerfile/")."""
    category = context.sarif_category if context is not None else DEFAULT_CATEGORY
    text, _log = _fitted(report, category)
    return text


def to_sarif(report: Report, category: str = DEFAULT_CATEGORY) -> dict[str, Any]:
    return _fitted(report, category)[1]


def category_problem(category: str) -> str | None:
    """Why `category` cannot prefix automationDetails ids (None when it can): GitHub reads
    the category up to the last `/`, so hullscan adds `/<checker>/` itself."""
    if not category:
        return "the SARIF category must not be empty"
    if any(c.isspace() or not c.isprintable() for c in category):
        return f"the SARIF category {category!r} must not contain spaces or control characters"
    if category.endswith("/"):
        return (f"the SARIF category {category!r} must not end with '/' (hullscan adds "
                "'/<checker>/')")
    return None


def _fitted(report: Report, category: str) -> tuple[str, dict[str, Any]]:
    from hullscan.formats.sarif_limits import fit_for_upload

    sarif: dict[str, Any] = {
        "$schema": DEFAULT_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [_run(result, category) for result in report.results],
    }
    text, cuts = fit_for_upload(sarif, _left_out)
    for cut in cuts:
        checker = report.results[cut.run].checker
        log.warning(
            "warning: the SARIF holds %s of the %s results of the %s checker (GitHub's upload "
            "limits); the other formats list all of them", f"{cut.kept:,}", f"{cut.total:,}",
            checker,
        )
    return text, sarif


def _left_out(cut: Cut) -> str:
    from hullscan.formats.sarif_limits import MAX_RESULTS_PER_RUN

    limits = f"at most {MAX_RESULTS_PER_RUN:,} results per run"
    if cut.for_size:
        limits += " and 10 MB gzip-compressed per file"
    return (
        f"hullscan left {cut.dropped:,} of {cut.total:,} results out of this run: GitHub code "
        f"scanning accepts {limits}. The {cut.kept:,} kept are the unsuppressed, new and most "
        "severe first. The full list is in hullscan's JSON and text output (--format json, "
        "--format text)."
    )


def _rules_of(result: CheckerResult) -> list[Rule]:
    """The rules the run's results use, by id. A finding's rule carries its effective severity
    (after configured overrides)."""
    rules = {finding.rule.id: finding.rule for finding in result.findings}
    return [rules[k] for k in sorted(rules)]


def _run(result: CheckerResult, category: str) -> dict[str, Any]:
    rules = _rules_of(result)
    index = {rule.id: i for i, rule in enumerate(rules)}
    driver: dict[str, Any] = {
        "name": TOOL_NAME,
        "fullName": f"{TOOL_NAME} {result.checker} checker",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [_rule(r) for r in rules],
    }
    tool: dict[str, Any] = {"driver": driver}
    if result.tools:
        tool["extensions"] = [
            {
                key: value
                for key, value in (
                    ("name", t.name),
                    ("version", t.version),
                    ("informationUri", t.information_uri),
                )
                if value
            }
            for t in result.tools
        ]
    run: dict[str, Any] = {
        "tool": tool,
        "automationDetails": {"id": f"{category}/{result.checker}/"},
        "invocations": [_invocation(result)],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule.id]) for f in result.findings],
        "properties": {"checker": result.checker, "filesScanned": result.files_scanned},
    }
    return run


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rule(rule: Rule) -> dict[str, Any]:
    severity: Severity = rule.default_severity
    # GitHub shows CWE tags in the external/cwe/cwe-NNN form (as CodeQL writes them).
    cwe_tags = [f"external/cwe/{c.lower()}" for c in rule.cwe]
    tags = sorted({"security", *rule.tags, *cwe_tags})
    out: dict[str, Any] = {
        "id": rule.id,
        "name": _truncate(rule.name, 255),
        "shortDescription": {"text": _truncate(rule.short_description, _MAX_DESCRIPTION)},
        "fullDescription": {"text": _truncate(rule.full_description, _MAX_DESCRIPTION)},
        "help": {"text": rule.help_text, "markdown": rule.help_markdown or _markdown(rule)},
        "defaultConfiguration": {"level": severity.sarif_level},
        "properties": {
            "tags": tags,
            "precision": "high",
            "problem.severity": _problem_severity(severity),
            "security-severity": severity.security_severity,
            "severity": severity.value,
        },
    }
    if rule.cwe:
        out["properties"]["cwe"] = list(rule.cwe)
    if rule.help_uri:
        out["helpUri"] = rule.help_uri
    return out


def _problem_severity(severity: Severity) -> str:
    return {"error": "error", "warning": "warning", "note": "recommendation"}[severity.sarif_level]


def _markdown(rule: Rule) -> str:
    text = f"**{rule.short_description}**\n\n{rule.full_description}\n\n{rule.help_text}"
    if rule.help_uri:
        text += f"\n\n[More information]({rule.help_uri})"
    return text


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    loc = finding.location
    region: dict[str, Any] = {"startLine": max(1, loc.start_line)}
    if loc.start_column:
        region["startColumn"] = loc.start_column
    if loc.end_line:
        region["endLine"] = max(loc.end_line, region["startLine"])
    same_line = loc.end_line is None or loc.end_line == loc.start_line
    after_start = loc.start_column is None or (loc.end_column or 0) > loc.start_column
    if loc.end_column and same_line and after_start:
        region["endColumn"] = loc.end_column
    properties: dict[str, Any] = {"severity": finding.severity.value}
    properties.update({k: v for k, v in sorted(finding.properties.items())})
    out: dict[str, Any] = {
        "ruleId": finding.rule.id,
        "ruleIndex": rule_index,
        "level": finding.severity.sarif_level,
        "message": {"text": finding.message},
        "locations": [
            {"physicalLocation": {"artifactLocation": {"uri": loc.path}, "region": region}}
        ],
        "partialFingerprints": {"primaryLocationLineHash": finding.fingerprint},
        "properties": properties,
    }
    if finding.baseline_state is not None:
        out["baselineState"] = finding.baseline_state.value
    if finding.suppression is not None:
        out["suppressions"] = [
            {
                "kind": finding.suppression.kind.value,
                "status": "accepted",
                "justification": finding.suppression.justification,
            }
        ]
    return out


def _invocation(result: CheckerResult) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": result.successful}
    if result.notifications:
        invocation["toolExecutionNotifications"] = [
            _notification(n) for n in result.notifications
        ]
    return invocation


def _notification(note: Notification) -> dict[str, Any]:
    out: dict[str, Any] = {"level": note.level.value, "message": {"text": note.message}}
    if note.path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": note.path}}
        if note.line:
            physical["region"] = {"startLine": note.line}
        out["locations"] = [{"physicalLocation": physical}]
    return out
