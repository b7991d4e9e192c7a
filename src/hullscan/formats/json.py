"""The model as JSON (format version 1, documented in docs/json-format.md)."""

from __future__ import annotations

import json
from typing import Any

from hullscan import __version__
from hullscan.core.model import Finding, Notification, Report, Severity, count_by_severity
from hullscan.formats.interface import RenderContext

FORMAT_VERSION = 1


def render(report: Report, context: RenderContext | None = None) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"


def to_json(report: Report) -> dict[str, Any]:
    counts = count_by_severity(report.active)
    return {
        "format_version": FORMAT_VERSION,
        "hullscan_version": __version__,
        "fail_on": report.fail_on.value if report.fail_on else "never",
        "summary": {
            "findings": len(report.active),
            "suppressed": len(report.findings) - len(report.active),
            "blocking": len(report.blocking),
            "new": len(report.new),
            "unchanged": len(report.baselined),
            "compared_with": list(report.compared_with),
            "by_severity": {s.value: counts[s] for s in Severity},
            # repository files checked, each once (per checker: checkers[].files_scanned)
            "files_checked": report.files_checked,
            "image_files": report.image_files,
            "failed_checkers": list(report.failed_checkers),
        },
        "checkers": [
            {
                "name": r.checker,
                "successful": r.successful,
                "files_scanned": r.files_scanned,
                "tools": [{"name": t.name, "version": t.version} for t in r.tools],
            }
            for r in report.results
        ],
        "findings": [_finding(f) for f in report.findings],
        "notifications": [_notification(n) for n in report.notifications],
        "expiring_ignores": [
            {"ignore": e.description, "expires": e.expires.isoformat(), "reason": e.reason,
             "path": e.path, "line": e.line}
            for e in report.expiring_ignores
        ],
    }


def _finding(f: Finding) -> dict[str, Any]:
    loc = f.location
    return {
        "checker": f.checker,
        "rule": {
            "id": f.rule.id,
            "name": f.rule.name,
            "short_description": f.rule.short_description,
            "help_uri": f.rule.help_uri,
            "default_severity": f.rule.default_severity.value,
            "tags": list(f.rule.tags),
            "cwe": list(f.rule.cwe),
        },
        "severity": f.severity.value,
        "message": f.message,
        "location": {
            "path": loc.path,
            "start_line": loc.start_line,
            "start_column": loc.start_column,
            "end_line": loc.end_line,
            "end_column": loc.end_column,
        },
        "fingerprint": f.fingerprint,
        "baseline_state": f.baseline_state.value if f.baseline_state else None,
        "properties": dict(sorted(f.properties.items())),
        "suppression": (
            {"kind": f.suppression.kind.value, "justification": f.suppression.justification}
            if f.suppression
            else None
        ),
    }


def _notification(n: Notification) -> dict[str, Any]:
    return {"checker": n.checker, "level": n.level.value, "path": n.path, "line": n.line,
            "message": n.message}
