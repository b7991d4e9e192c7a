"""The bandit adapter: bandit in process (or in a few worker processes for many files), its
issues as findings, `# nosec` read by hullscan."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from hullscan.checkers.code.common import NAME, Source, int_or_none
from hullscan.core.catalog import tool_rule
from hullscan.core.errors import ToolMissingError
from hullscan.core.model import (
    Finding,
    Location,
    Notification,
    NotificationLevel,
    Rule,
    Severity,
    Suppression,
)
from hullscan.core.redact import mask, redact

log = logging.getLogger("hullscan.code")

BANDIT_URI = "https://github.com/PyCQA/bandit"
# bandit runs in worker processes from this many files on (a hook's few files stay in process).
PARALLEL_MIN_FILES = 200
MAX_WORKERS = 4

# (bandit severity, bandit confidence) -> severity. Documented in docs/rules.md#code-checker.
# Never critical: bandit matches patterns, it cannot tell whether untrusted data reaches them.
SEVERITY_TABLE: dict[tuple[str, str], Severity] = {
    ("HIGH", "HIGH"): Severity.HIGH,
    ("HIGH", "MEDIUM"): Severity.HIGH,
    ("HIGH", "LOW"): Severity.MEDIUM,
    ("MEDIUM", "HIGH"): Severity.MEDIUM,
    ("MEDIUM", "MEDIUM"): Severity.MEDIUM,
    ("MEDIUM", "LOW"): Severity.LOW,
    ("LOW", "HIGH"): Severity.LOW,
    ("LOW", "MEDIUM"): Severity.LOW,
    ("LOW", "LOW"): Severity.INFO,
}
# bandit's hardcoded-password tests quote the value they found.
PASSWORD_TESTS = frozenset({"B105", "B106", "B107"})
_QUOTED = re.compile(r"^(?P<head>.*?: )'(?P<secret>.*)'\s*$", re.DOTALL)
_STRING_LITERAL = re.compile(
    r"""(?i:[rbuf]{0,2})(\"\"\"[\s\S]*?(\"\"\"|$)|'''[\s\S]*?('''|$)|"(?:\\.|[^"\\])*("|$)|'(?:\\.|[^'\\])*('|$))"""
)
CWE = re.compile(r"CWE-\d+", re.IGNORECASE)


def bandit_severity(severity: str, confidence: str) -> Severity:
    """bandit's severity, lowered one step when its confidence is low (table above)."""
    return SEVERITY_TABLE.get((severity.upper(), confidence.upper()), Severity.LOW)


def mask_password_message(message: str) -> str:
    """"Possible hardcoded password: 'hunter2'" -> "...: '******' (7 chars)"; the rest of the
    message goes through `redact` like every other message."""
    m = _QUOTED.match(message)
    if m is None:
        return redact(message, prose=True)
    hint, _, length = mask(m.group("secret")).rpartition(" (")
    return f"{redact(m.group('head'), prose=True)}'{hint}' ({length}"


def without_literals(line: str) -> str:
    """A line with its string literals replaced, so no quoted value reaches a fingerprint."""
    return _STRING_LITERAL.sub('"<str>"', line)




def run_bandit(sources: Sequence[Source]) -> tuple[list[Finding], list[Notification], str]:
    try:
        import bandit
        from bandit.core import config as b_config
        from bandit.core import docs_utils
        from bandit.core import manager as b_manager
    except ImportError as exc:
        raise ToolMissingError(
            "bandit", "not installed: install hullscan[code] (pip install 'hullscan[code]')"
        ) from exc
    del b_config, b_manager  # imported here only to fail early, with a clear message

    by_path = {str(s.target.path): s for s in sources}
    pooled = _bandit_parallel(list(by_path)) if len(by_path) >= PARALLEL_MIN_FILES else None
    issues, skipped = pooled if pooled is not None else bandit_files(list(by_path))

    notes: list[Notification] = []
    for fname, reason in skipped:
        source = by_path.get(str(fname))
        rel = source.target.rel if source else str(fname)
        if "syntax error" in str(reason):
            message = "skipped: not valid Python (syntax error), not checked"
        elif "exception while scanning" in str(reason):
            message = "skipped: bandit failed on this file, not checked"
        else:
            message = f"skipped: bandit cannot read it: {reason}"
        notes.append(Notification(NAME, NotificationLevel.WARNING, message, rel))

    findings: list[Finding] = []
    rules: dict[str, Rule] = {}
    for issue in issues:
        source = by_path.get(str(issue.get("filename")))
        if source is None:
            log.debug("ignoring bandit issue for unknown file %r", issue.get("filename"))
            continue
        findings.append(_bandit_finding(issue, source, rules, docs_utils.get_url))
    return findings, notes, str(getattr(bandit, "__version__", "")) or "unknown"


def bandit_files(paths: Sequence[str]) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """bandit, in this process, on `paths`: its issues as plain dicts (`Issue.as_dict` without
    the code excerpt) and its skipped files with the reason. Also the process-pool worker."""
    from bandit.core import config as b_config
    from bandit.core import manager as b_manager

    bandit_log = logging.getLogger("bandit")
    if not any(isinstance(h, logging.NullHandler) for h in bandit_log.handlers):
        # bandit logs per-file errors itself; they become notifications here instead.
        bandit_log.addHandler(logging.NullHandler())
    # `# nosec` comments are read by hullscan (`nosec_suppression`), not by bandit, so that they
    # are suppressions with their reason in the report, and new ones are reviewed in
    # pull-request mode instead of silently dropping findings.
    manager = b_manager.BanditManager(b_config.BanditConfig(), "file", ignore_nosec=True)
    manager.discover_files(list(paths))
    manager.run_tests()
    issues = [issue.as_dict(with_code=False) for issue in manager.get_issue_list()]
    skipped = [(str(name), str(reason)) for name, reason in manager.get_skipped()]
    return issues, skipped


def _bandit_parallel(
    paths: Sequence[str],
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]] | None:
    """bandit in a few worker processes for a large set of files (bandit is CPU-bound and
    single-threaded); None when the pool cannot be used, so the caller runs it in process."""
    workers = min(MAX_WORKERS, os.cpu_count() or 1, len(paths) // (PARALLEL_MIN_FILES // 2))
    if workers < 2:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    chunks = [list(paths[i::workers]) for i in range(workers)]
    try:
        # forkserver: hullscan runs checkers in threads, and forking a threaded process is unsafe
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            parts = list(pool.map(bandit_files, chunks))
    except (OSError, BrokenProcessPool, ValueError) as exc:
        log.debug("bandit worker pool unavailable (%s): running in process", exc)
        return None
    issues = [issue for part, _ in parts for issue in part]
    skipped = [item for _, part in parts for item in part]
    return issues, skipped


def _bandit_finding(
    issue: Mapping[str, Any], source: Source, rules: dict[str, Rule], get_url: Any
) -> Finding:
    test_id = str(issue.get("test_id"))
    bandit_sev, confidence = str(issue.get("issue_severity")), str(issue.get("issue_confidence"))
    severity = bandit_severity(bandit_sev, confidence)
    cwe_data = issue.get("issue_cwe")
    cwe_id = int_or_none(cwe_data.get("id")) if isinstance(cwe_data, dict) else None
    cwe = (f"CWE-{cwe_id}",) if cwe_id else ()
    rule = rules.get(test_id)
    if rule is None:
        name = str(issue.get("test_name") or test_id)
        text = f"bandit {test_id}: {name.replace('_', ' ')}"
        rule = tool_rule(test_id, f"bandit-{name.replace('_', '-')}", text,
                         "reported by bandit", str(get_url(test_id)), severity,
                         ("security", "code", "python", "bandit"))
        rule = replace(rule, cwe=cwe)
        rules[test_id] = rule

    raw = " ".join(str(issue.get("issue_text") or test_id).split())
    lines = source.text.splitlines()
    line = max(1, int_or_none(issue.get("line_number")) or 1)
    line_text = lines[line - 1] if line <= len(lines) else ""
    basis: str | None = None
    if test_id in PASSWORD_TESTS:
        message = mask_password_message(raw)
        basis = f"{test_id} {redact(without_literals(line_text), prose=True)}"
    else:
        message = redact(raw, prose=True)

    linerange = [n for n in (issue.get("line_range") or []) if isinstance(n, int)]
    end_line = max(linerange) if linerange else line
    col_offset = int_or_none(issue.get("col_offset"))
    column = col_offset + 1 if col_offset is not None else None
    end_column = None
    end_offset = int_or_none(issue.get("end_col_offset"))
    if end_line == line and end_offset is not None and column and end_offset + 1 > column:
        end_column = end_offset + 1
    properties: dict[str, object] = {
        "bandit": {"severity": bandit_sev.lower(), "confidence": confidence.lower()},
    }
    if cwe:
        properties["cwe"] = list(cwe)
    return Finding(
        rule=rule,
        checker=NAME,
        severity=severity,
        message=message,
        location=Location(source.target.rel, line, column,
                          end_line if end_line > line else None, end_column),
        fingerprint_basis=basis,
        properties=properties,
        suppression=nosec_suppression(
            lines[line - 1 : max(line, end_line)], test_id, str(issue.get("test_name") or "")),
    )


_NOSEC = re.compile(r"#\s*nosec\b:?(?P<rest>.*)$", re.IGNORECASE)
_NOSEC_ID = re.compile(r"B\d{3}|[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def nosec_suppression(lines: Sequence[str], test_id: str, test_name: str) -> Suppression | None:
    """bandit's `# nosec` on the flagged lines, as bandit reads it: alone it suppresses every
    test, `# nosec B602, B607` (ids or test names) only those. What follows the ids is the
    reason (`# nosec B602 -- the command is a constant`)."""
    for text in lines:
        match = _NOSEC.search(text)
        if match is None:
            continue
        words = re.split(r"([\s,]+)", match.group("rest").strip())
        ids: list[str] = []
        consumed = 0
        for index, word in enumerate(words):
            if index % 2 == 1:  # a separator
                continue
            if _NOSEC_ID.fullmatch(word):
                ids.append(word)
                consumed = index + 1
            else:
                break
        if ids and test_id not in ids and test_name not in ids:
            continue
        return Suppression.in_source(redact("".join(words[consumed:]), prose=True), "# nosec")
    return None
