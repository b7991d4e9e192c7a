"""Text for people: findings grouped by file (the file with the most severe finding first), most
severe first within a file, `path:line:col severity rule-id message`, then a one-line summary.
Colour only on a terminal, and never when NO_COLOR is set."""

from __future__ import annotations

import re
from collections import defaultdict

from hullscan.core.model import Finding, Report, Severity, count_by_severity
from hullscan.formats.interface import RenderContext

_COLOURS = {
    Severity.CRITICAL: "\033[1;35m",
    Severity.HIGH: "\033[1;31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
_RESET = "\033[0m"
_DIM = "\033[2m"


# Line breaks (LF, CR: GitHub's log splits on both; NEL, LS, PS) and other control characters.
# Tab is kept.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escaped(match: re.Match[str]) -> str:
    char = match[0]
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def inline(value: str) -> str:
    """`value` on one line: a newline shows as `\\n`, CR as `\\r`, other control characters
    as `\\xNN`, so text from a repository (file names, tools' messages) cannot start a line of
    its own (in a GitHub Actions log: a workflow command) or send terminal escapes."""
    return _CONTROL.sub(_escaped, value)


def one_line(value: str, limit: int) -> str:
    """`value` with every run of white space (line breaks too) as one space, cut to at most
    `limit` characters, the last an ellipsis when cut."""
    value = " ".join(value.split())
    return value[: limit - 1] + "…" if len(value) > limit else value


def display_path(path: str) -> str:
    """A path for the start of a line: `inline`, and `./` in front of one that starts with `:`
    or white space, so no line starts with `::` (GitHub's workflow commands, leading white
    space ignored) because of a file name."""
    shown = inline(path)
    if shown.startswith(":") or shown[:1].isspace():
        return f"./{shown}"
    return shown


def render(report: Report, context: RenderContext | None = None) -> str:
    """The findings by file, then the summary line; `context` says whether in colour, with
    suppressed and unchanged findings, without the summary (`quiet`)."""
    context = context or RenderContext()
    colour, show_suppressed, quiet = context.colour, context.show_suppressed, context.quiet
    shown = [f for f in report.findings
             if show_suppressed or not (f.suppressed or f.baselined)]
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in shown:
        by_file[finding.location.path].append(finding)
    for items in by_file.values():
        items.sort(key=lambda f: (-f.severity.rank, f.location.start_line,
                                  f.location.start_column or 0, f.rule.id))
    order = sorted(by_file, key=lambda p: (-by_file[p][0].severity.rank, p))
    lines: list[str] = []
    for path in order:
        for f in by_file[path]:
            loc = f.location
            sev = f.severity.value
            if colour:
                sev = f"{_COLOURS[f.severity]}{sev}{_RESET}"
            text = (f"{display_path(path)}:{loc.start_line}:{loc.start_column or 1} {sev} "
                    f"{inline(f.rule.id)} {inline(f.message)}")
            if f.suppressed and f.suppression is not None:
                text += f" [suppressed: {inline(f.suppression.justification)}]"
            elif f.baselined:
                text += " [unchanged: known before]"
            if colour and (f.suppressed or f.baselined):
                text = f"{_DIM}{text}{_RESET}"
            lines.append(text)
    if not quiet:
        if lines:
            lines.append("")
        lines.append(summary(report))
    return "\n".join(lines) + "\n" if lines else ""


def summary(report: Report) -> str:
    active = report.active
    counts = count_by_severity(active)
    parts = [f"{counts[s]} {s.value}" for s in Severity if counts[s]]
    files = len({f.location.path for f in active})
    total = len(active)
    noun = "finding" if total == 1 else "findings"
    text = f"hullscan: {total} {noun}"
    if parts:
        text += f" ({', '.join(parts)}) in {files} file{'s' if files != 1 else ''}"
    suppressed = len(report.findings) - total
    if suppressed:
        text += f", {suppressed} suppressed"
    if report.compared_with:
        text += f", {len(report.baselined)} unchanged (not blocking)"
    scanned, image = report.files_checked, report.image_files
    if image and not scanned:
        text += f"; {image:,} file{'s' if image != 1 else ''} checked in the image"
    else:
        text += f"; {scanned} file{'s' if scanned != 1 else ''} checked"
        if image:
            text += f" (and {image:,} in the image)"
    if report.fail_on is None:
        text += "; fail-on never"
    else:
        blocking = len(report.blocking)
        text += f"; {blocking} at or above {report.fail_on.value}"
    failed = report.failed_checkers
    if failed:
        text += f"; checker(s) failed: {', '.join(failed)}"
    return text
