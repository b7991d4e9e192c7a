"""GitHub's two surfaces for a job: annotations (workflow commands) and the job summary.

Annotations: GitHub keeps at most 10 errors, 10 warnings and 10 notices per step and drops the
rest silently in print order, so the most severe are printed first, each level stops at its
limit, and a last notice says how many were left out and where to find them. Only findings that
count (unsuppressed, and new when a base or baseline was compared) are annotated; a checker that
failed is an error annotation of its own. The full list follows as plain text for the log.

The summary (`markdown`): counts per severity and checker, the blocking findings first with
links to their file and line at the commit under review, what did not block (suppressed,
unchanged), expired and soon-expiring ignores, and how to reproduce locally. GitHub drops a step
summary over 1 MiB, so rows stop at a budget with a note.

Nobody but hullscan writes commands or Markdown: annotation messages and properties are escaped
as GitHub's toolkit does, the text listing runs between `::stop-commands::TOKEN` and `::TOKEN::`
(a fresh random token per run, so a folder named `::warning ...::` is only text), and every piece
of text in the summary that comes from the repository or a tool (paths, messages, rule ids,
reasons, the reproduce command) is escaped or fenced so it cannot add links, images, HTML,
headings or table cells.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

from hullscan.formats import text
from hullscan.formats.interface import RenderContext
from hullscan.model import Finding, NotificationLevel, Report, Severity, count_by_severity

ANNOTATIONS_PER_LEVEL = 10
SUMMARY_BUDGET = 1_000_000  # bytes; GitHub's limit is 1 MiB per step
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


def _by_severity(findings: Iterable[Finding]) -> list[Finding]:
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
    findings = _by_severity(report.new)
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


# --- the job summary --------------------------------------------------------------------------


# Markdown's inline punctuation (emphasis, code, links and images, tables, strikethrough, math)
# and what starts an autolink (`://`, `www.`), escaped with a backslash; `<`, `>` and `&`
# become HTML entities.
_MARKDOWN = re.compile(r"[\\`*_\[\](){}!#|~$]|:(?=//)|(?<=www)\.", re.IGNORECASE)
_BACKTICKS = re.compile(r"`+")


def _cell(value: str, limit: int = 400) -> str:
    """Untrusted text as Markdown that shows exactly that text, on one line, in a table cell
    or anywhere else."""
    escaped = _MARKDOWN.sub(lambda match: f"\\{match[0]}", text.one_line(value, limit))
    return html.escape(escaped, quote=False)


def _fence(value: str, least: int = 1) -> str:
    """Backticks enough to fence `value`: more than its longest run of backticks."""
    longest = max((len(run) for run in _BACKTICKS.findall(value)), default=0)
    return "`" * max(least, longest + 1)


def _code(value: str, *, table: bool, limit: int = 400) -> str:
    """A code span showing `value` as it is (nothing in it is Markdown or HTML). In a table
    cell, text with a `|` is escaped instead: GitHub splits cells before it reads code spans,
    and a backslash before the pipe would be shown or would end the cell."""
    value = text.one_line(value, limit) or " "
    if table and "|" in value:
        return _cell(value, limit)
    fence = _fence(value)
    pad = " " if value[0] in "` " or value[-1] in "` " else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _url(value: str) -> str | None:
    """An http(s) URL as a link destination that cannot end early: characters Markdown or
    HTML would read (parentheses, spaces, `<>`, quotes, backslashes) percent-encoded."""
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https"):
        return None
    return quote(value, safe="/:?#[]@!$&'*+,;=%~")


def _link(finding: Finding, context: RenderContext, *, table: bool = True) -> str:
    loc = finding.location
    label = f"{loc.path}:{loc.start_line}"
    if context.repository_url and context.revision:
        url = _url(f"{context.repository_url}/blob/{quote(context.revision, safe='')}/"
                   f"{quote(loc.path)}#L{loc.start_line}")
        if url is not None:
            return f"[{_cell(label)}]({url})"
    return _code(label, table=table)


def _row(finding: Finding, context: RenderContext) -> str:
    rule = _cell(finding.rule.id)
    url = _url(finding.rule.help_uri) if finding.rule.help_uri else None
    if url is not None:
        rule = f"[{rule}]({url})"
    return (f"| {finding.severity.value} | {rule} | {_link(finding, context)} | "
            f"{_cell(finding.message)} |")


_TABLE_HEAD = ["| severity | rule | where | finding |", "|---|---|---|---|"]


class _Budget:
    """Lines of Markdown up to a byte budget."""

    def __init__(self, limit: int) -> None:
        self.lines: list[str] = []
        self.left = limit
        self.cut = 0

    def add(self, line: str) -> bool:
        size = len(line.encode("utf-8")) + 1
        if size > self.left:
            self.cut += 1
            return False
        self.lines.append(line)
        self.left -= size
        return True


def summary(report: Report, context: RenderContext | None = None,
            budget: int = SUMMARY_BUDGET) -> str:
    context = context or RenderContext()
    reserve = 2_000  # for the closing sections and the cut note
    out = _Budget(budget - reserve)
    blocking = _by_severity(report.blocking)
    new = report.new
    threshold = report.fail_on.value if report.fail_on else "never"
    failed = report.failed_checkers
    if failed:
        head = f"## hullscan: checker(s) failed: {', '.join(failed)}"
    elif blocking:
        head = (f"## hullscan: {len(blocking)} blocking finding"
                f"{'s' if len(blocking) != 1 else ''} (fail-on {threshold})")
    else:
        head = f"## hullscan: nothing blocks (fail-on {threshold})"
    out.add(head)
    out.add("")
    if report.compared_with:
        out.add(f"Compared with {_cell(', '.join(report.compared_with))}: {len(new)} new, "
                f"{len(report.baselined)} unchanged (unchanged findings do not block).")
        out.add("")
    _counts_table(report, out)
    if blocking:
        out.add("")
        out.add("### Blocking findings")
        out.add("")
        for line in _TABLE_HEAD:
            out.add(line)
        for finding in blocking:
            out.add(_row(finding, context))
    blocking_ids = {id(f) for f in blocking}
    others = [f for f in _by_severity(new) if id(f) not in blocking_ids]
    if others:
        out.add("")
        out.add("### Other findings" if not report.compared_with else "### Other new findings")
        out.add("")
        for line in _TABLE_HEAD:
            out.add(line)
        for finding in others:
            out.add(_row(finding, context))
    _policy_sections(report, context, out)
    tail = _Budget(reserve + out.left)
    suppressed = len(report.findings) - len(report.active)
    tail.add("")
    tail.add("### Not blocking")
    tail.add("")
    tail.add(f"- suppressed (inline or by `ignore:` entries): {suppressed}")
    if report.compared_with:
        tail.add(f"- unchanged (known in the {_cell(', '.join(report.compared_with))}): "
                 f"{len(report.baselined)}")
    expired = [f for f in report.findings if f.rule.id == "HS001"]
    if expired:
        tail.add("")
        tail.add("### Expired ignores")
        tail.add("")
        for finding in expired:
            tail.add(f"- {_link(finding, context, table=False)}: {_cell(finding.message)}")
    if report.expiring_ignores:
        tail.add("")
        tail.add("### Ignores expiring within 14 days")
        tail.add("")
        for entry in report.expiring_ignores:
            where = (_code(f"{entry.path}:{entry.line}", table=False)
                     if entry.path and entry.line else "config")
            tail.add(f"- {where}: {_cell(entry.description)} expires on "
                     f"{_cell(str(entry.expires))} "
                     f"(reason: {_cell(entry.reason)})")
    problems = [n for n in report.notifications if n.level is not NotificationLevel.NOTE]
    if problems:
        tail.add("")
        tail.add("### Problems")
        tail.add("")
        for note in problems[:50]:
            tail.add(f"- {note.level.value}: {_cell(note.one_line())}")
        if len(problems) > 50:
            tail.add(f"- ... and {len(problems) - 50} more (see the job log)")
    if context.reproduce:
        tail.add("")
        tail.add("### Reproduce locally")
        tail.add("")
        fence = _fence(context.reproduce, least=3)  # longer than any backtick run in it
        tail.add(f"{fence}sh")
        tail.add("pip install 'hullscan[all]'")
        tail.add(context.reproduce)
        tail.add(fence)
    cut = out.cut + tail.cut
    lines = out.lines + tail.lines
    if cut:
        lines += ["", f"_{cut} more line(s) left out: GitHub drops a job summary over 1 MiB. "
                  "The SARIF file and the code-scanning alerts have every finding._"]
    return "\n".join(lines) + "\n"


def _policy_sections(report: Report, context: RenderContext, out: _Budget) -> None:
    """Pull-request mode: changes to the policy that were not applied, with what they would
    have hidden, and the inline suppressions the change adds."""
    from hullscan.policy import NEW_SUPPRESSION_PROPERTY
    from hullscan.trusted import WEAKENED_CHECK, WOULD_HIDE, WOULD_HIDE_COUNT

    weakened = [f for f in report.findings if f.rule.id == WEAKENED_CHECK.id]
    if weakened:
        out.add("")
        out.add("### Changes to the check (not applied in pull-request mode)")
        out.add("")
        for finding in weakened:
            out.add(f"- {_link(finding, context)}: {_cell(finding.message)}")
            hidden = finding.properties.get(WOULD_HIDE)
            if isinstance(hidden, list) and hidden:
                count = finding.properties.get(WOULD_HIDE_COUNT)
                total = count if isinstance(count, int) else len(hidden)
                shown = ", ".join(_cell(str(h), 120) for h in hidden[:20])
                more = f" and {total - 20} more" if total > 20 else ""
                out.add(f"  - would have hidden: {shown}{more}")
    added = [f for f in report.findings if NEW_SUPPRESSION_PROPERTY in f.properties]
    if added:
        out.add("")
        out.add("### Inline suppressions this change adds")
        out.add("")
        out.add("| rule | where | reason | honoured |")
        out.add("|---|---|---|---|")
        for finding in sorted(added, key=Finding.sort_key):
            verdict = str(finding.properties[NEW_SUPPRESSION_PROPERTY])
            reason = finding.suppression.justification if finding.suppression else "none"
            honoured = "yes" if verdict == "honoured" else f"no: {verdict}"
            out.add(f"| {_cell(finding.rule.id)} | {_link(finding, context)} | "
                    f"{_cell(reason)} | {_cell(honoured)} |")


def _counts_table(report: Report, out: _Budget) -> None:
    counted = report.new
    checkers = [r.checker for r in report.results if r.findings or r.files_scanned]
    if not checkers:
        out.add("No files to check.")
        return
    out.add("| severity | " + " | ".join(checkers) + " | total |")
    out.add("|---|" + "---:|" * (len(checkers) + 1))
    totals = count_by_severity(counted)
    for severity in Severity:
        row = [
            str(sum(1 for f in counted if f.checker == c and f.severity is severity))
            for c in checkers
        ]
        out.add(f"| {severity.value} | " + " | ".join(row) + f" | {totals[severity]} |")
    scanned, image = report.files_checked, report.image_files
    where = f"{scanned} checked file{'s' if scanned != 1 else ''}"
    if image:
        files = f"{image:,} file{'s' if image != 1 else ''} of the image"
        where = f"{where} and {files}" if scanned else files
    out.add("")
    out.add(f"{len(counted)} finding{'s' if len(counted) != 1 else ''} in {where}.")


def markdown(report: Report, context: RenderContext | None = None) -> str:
    return summary(report, context)

