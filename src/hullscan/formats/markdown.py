"""The `markdown` format: the job summary. Counts per severity and checker, the blocking
findings first with links to their file and line at the commit under review, what did not block
(suppressed, unchanged), expired and soon-expiring ignores, and how to reproduce locally. GitHub
drops a step summary over 1 MiB, so rows stop at a budget with a note.

Nobody but hullscan writes Markdown: every piece of text in the summary that comes from the
repository or a tool (paths, messages, rule ids, reasons, the reproduce command) is escaped or
fenced so it cannot add links, images, HTML, headings or table cells.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit

from hullscan.core.model import Finding, NotificationLevel, Report, Severity, count_by_severity
from hullscan.formats import text
from hullscan.formats.github import by_severity
from hullscan.formats.interface import RenderContext

SUMMARY_BUDGET = 1_000_000  # bytes; GitHub's limit is 1 MiB per step


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

    def section(self, title: str) -> None:
        """A level-3 heading with a blank line on each side."""
        self.add("")
        self.add(f"### {title}")
        self.add("")


def summary(report: Report, context: RenderContext | None = None,
            budget: int = SUMMARY_BUDGET) -> str:
    context = context or RenderContext()
    reserve = 2_000  # for the closing sections and the cut note
    out = _Budget(budget - reserve)
    blocking = by_severity(report.blocking)
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
        out.section("Blocking findings")
        for line in _TABLE_HEAD:
            out.add(line)
        for finding in blocking:
            out.add(_row(finding, context))
    blocking_ids = {id(f) for f in blocking}
    others = [f for f in by_severity(new) if id(f) not in blocking_ids]
    if others:
        out.section("Other findings" if not report.compared_with else "Other new findings")
        for line in _TABLE_HEAD:
            out.add(line)
        for finding in others:
            out.add(_row(finding, context))
    _policy_sections(report, context, out)
    tail = _Budget(reserve + out.left)
    suppressed = len(report.findings) - len(report.active)
    tail.section("Not blocking")
    tail.add(f"- suppressed (inline or by `ignore:` entries): {suppressed}")
    if report.compared_with:
        tail.add(f"- unchanged (known in the {_cell(', '.join(report.compared_with))}): "
                 f"{len(report.baselined)}")
    expired = [f for f in report.findings if f.rule.id == "HS001"]
    if expired:
        tail.section("Expired ignores")
        for finding in expired:
            tail.add(f"- {_link(finding, context, table=False)}: {_cell(finding.message)}")
    if report.expiring_ignores:
        tail.section("Ignores expiring within 14 days")
        for entry in report.expiring_ignores:
            where = (_code(f"{entry.path}:{entry.line}", table=False)
                     if entry.path and entry.line else "config")
            tail.add(f"- {where}: {_cell(entry.description)} expires on "
                     f"{_cell(str(entry.expires))} "
                     f"(reason: {_cell(entry.reason)})")
    problems = [n for n in report.notifications if n.level is not NotificationLevel.NOTE]
    if problems:
        tail.section("Problems")
        for note in problems[:50]:
            tail.add(f"- {note.level.value}: {_cell(note.one_line())}")
        if len(problems) > 50:
            tail.add(f"- ... and {len(problems) - 50} more (see the job log)")
    if context.reproduce:
        tail.section("Reproduce locally")
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
    from hullscan.policy.apply import NEW_SUPPRESSION_PROPERTY
    from hullscan.policy.trusted import WEAKENED_CHECK, WOULD_HIDE, WOULD_HIDE_COUNT

    weakened = [f for f in report.findings if f.rule.id == WEAKENED_CHECK.id]
    if weakened:
        out.section("Changes to the check (not applied in pull-request mode)")
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
        out.section("Inline suppressions this change adds")
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


def render(report: Report, context: RenderContext | None = None) -> str:
    return summary(report, context)

