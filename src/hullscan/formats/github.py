"""The `github` format: annotations (workflow commands), then the findings as text for the log.
The job summary, GitHub's other surface for a job, is the `markdown` format.

Annotations: GitHub keeps at most 10 errors, 10 warnings and 10 notices per step and drops the
rest silently in print order, so the most severe are printed first, each level stops at its
limit, and a last notice says how many were left out and where to find them. Only findings that
count (unsuppressed, and new when a base or baseline was compared) are annotated; a checker that
failed is an error annotation of its own. The full list follows as plain text for the log.

Nobody but hullscan writes commands: annotation messages and properties are escaped as GitHub's
toolkit does, and the text listing runs between `::stop-commands::TOKEN` and `::TOKEN::` (a
fresh random token per run, so a folder named `::warning ...::` is only text).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from hullscan.core.model import Finding, NotificationLevel, Report, Severity
from hullscan.formats import text
from hullscan.formats.interface import RenderContext

ANNOTATIONS_PER_LEVEL = 10
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, message: str, **properties: object) -> str:
    props = ",".join(
        f"{key}={_escape_property(str(value))}" for key, value in properties.items()
        if value is not None
    )
    return f"::{level}{' ' + props if props else ''}::{_escape_data(message)}"


def by_severity(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, *f.sort_key()))


def annotation_lines(report: Report, limit: int = ANNOTATIONS_PER_LEVEL) -> list[str]:
    """Workflow-command lines, most severe first, within GitHub's per-level limits."""
    lines: list[str] = []
    used = {"error": 0, "warning": 0, "notice": 0}
    for note in report.notifications:
        if note.level is NotificationLevel.ERROR and used["error"] < limit:
            used["error"] += 1
            lines.append(_command(
                "error", note.one_line(), file=note.path, line=note.line,
                title=f"hullscan: {note.checker} could not check everything",
            ))
    findings = by_severity(report.new)
    left_out = 0
    planned: list[tuple[str, Finding]] = []
    for finding in findings:
        level = _LEVEL[finding.severity]
        if used[level] < limit:
            used[level] += 1
            planned.append((level, finding))
        else:
            left_out += 1
    if left_out and used["notice"] >= limit:
        # the last notice slot goes to the "more findings" notice
        for i in range(len(planned) - 1, -1, -1):
            if planned[i][0] == "notice":
                del planned[i]
                left_out += 1
                break
    for level, finding in planned:
        loc = finding.location
        lines.append(_command(
            level, finding.message,
            file=loc.path, line=loc.start_line, col=loc.start_column,
            endLine=loc.end_line if loc.end_line and loc.end_line > loc.start_line else None,
            title=f"{finding.rule.id} {finding.rule.name} ({finding.severity.value})",
        ))
    if left_out:
        noun = "finding is" if left_out == 1 else "findings are"
        lines.append(_command(
            "notice",
            f"{left_out} more {noun} not annotated (GitHub shows at most {limit} errors, "
            f"{limit} warnings and {limit} notices per step): see the job summary, the "
            "code-scanning alerts or the SARIF file.",
            title="hullscan: more findings",
        ))
    return lines


def render(report: Report, context: RenderContext | None = None) -> str:
    """The `github` format: annotations, then the findings as text for the job log, with
    workflow commands stopped while it is printed (its lines hold file names and messages)."""
    token = secrets.token_hex(16)
    body = text.render(report)
    return ("\n".join(annotation_lines(report)) + "\n"
            + f"::stop-commands::{token}\n" + body + f"::{token}::\n")
