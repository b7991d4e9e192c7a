"""The code checker (SAST): bandit for Python, run in process; semgrep for other languages when
the user installs hullscan[semgrep] and lists local rule files (`checkers.code.semgrep_rules`).

Findings are built from bandit's issue objects (never its SARIF writer, PyCQA/bandit#1311).
bandit is imported only inside `check`, so a Dockerfile hook never pays for it. hullscan's own
`exclude`, `ignore` and inline suppressions apply; bandit's excludes and baseline are not used.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tokenize
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path
from typing import Any

from hullscan import RULES_DOCS
from hullscan.catalog import tool_rule
from hullscan.checkers.interface import CheckContext
from hullscan.config import CONFIG_NAME
from hullscan.discover import Target
from hullscan.errors import ConfigError, ToolError, ToolMissingError
from hullscan.globs import match_any
from hullscan.model import (
    CheckerResult,
    Finding,
    Location,
    Notification,
    NotificationLevel,
    Rule,
    Severity,
    Suppression,
    ToolInfo,
)
from hullscan.redact import mask, redact
from hullscan.textfile import UnreadableFile, read_text
from hullscan.tools import find_tool, run_tool

log = logging.getLogger("hullscan.code")

NAME = "code"
BANDIT_URI = "https://github.com/PyCQA/bandit"
SEMGREP_URI = "https://semgrep.dev"
SEMGREP_ENV = "HULLSCAN_SEMGREP"
DEFAULT_EXCLUDE_TESTS = ("tests/**", "test_*.py", "*_test.py", "**/tests/**", "conftest.py")
_SEMGREP_CHUNK = 500
# bandit runs in worker processes from this many files on (a hook's few files stay in process).
PARALLEL_MIN_FILES = 200
MAX_WORKERS = 4

PYTHON_SUFFIXES = frozenset({".py", ".pyw"})
# Files semgrep rules may target; only read when `semgrep_rules` is configured.
OTHER_SUFFIXES = frozenset({
    ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".go", ".java", ".kt", ".kts", ".scala",
    ".rb", ".php", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".rs", ".swift", ".sh", ".bash",
    ".lua", ".ex", ".exs", ".clj", ".dart", ".sol",
})

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
# semgrep rule severity -> severity (the rule author's rating, taken as it is).
SEMGREP_LEVELS = {
    "CRITICAL": Severity.CRITICAL,
    "ERROR": Severity.HIGH,
    "HIGH": Severity.HIGH,
    "WARNING": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "INFO": Severity.LOW,
    "LOW": Severity.LOW,
    "INVENTORY": Severity.INFO,
    "EXPERIMENT": Severity.INFO,
}

# bandit's hardcoded-password tests quote the value they found.
PASSWORD_TESTS = frozenset({"B105", "B106", "B107"})
_QUOTED = re.compile(r"^(?P<head>.*?: )'(?P<secret>.*)'\s*$", re.DOTALL)
_STRING_LITERAL = re.compile(
    r"""(?i:[rbuf]{0,2})(\"\"\"[\s\S]*?(\"\"\"|$)|'''[\s\S]*?('''|$)|"(?:\\.|[^"\\])*("|$)|'(?:\\.|[^'\\])*('|$))"""
)
_CWE = re.compile(r"CWE-\d+", re.IGNORECASE)


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


@dataclass
class _Source:
    target: Target
    text: str


class CodeChecker:
    name = NAME
    description = "Source code: bandit for Python, local semgrep rules for other languages"

    def applies(self, target: Target) -> bool:
        suffix = target.path.suffix.lower()
        return suffix in PYTHON_SUFFIXES or suffix in OTHER_SUFFIXES

    def check(self, targets: Sequence[Target], context: CheckContext) -> CheckerResult:
        options = context.config.checker(NAME).options
        semgrep_rules = [str(r) for r in options.get("semgrep_rules", ())]
        semgrep_exe = _semgrep(semgrep_rules, context) if semgrep_rules else None
        exclude_tests = tuple(options.get("exclude_tests", DEFAULT_EXCLUDE_TESTS))

        notes: list[Notification] = []
        python: list[_Source] = []
        others: list[_Source] = []
        for target in targets:
            if exclude_tests and match_any(exclude_tests, target.rel):
                log.debug("%s: test file, skipped (checkers.code.exclude_tests)", target.rel)
                continue
            is_python = _is_python(target)
            if not is_python and semgrep_exe is None:
                if target.explicit:
                    notes.append(Notification(
                        NAME, NotificationLevel.NOTE,
                        "not Python, and no semgrep rules are configured "
                        "(checkers.code.semgrep_rules): not checked", target.rel))
                continue
            try:
                text = _read_source(target.path, context.config.max_file_size)
            except UnreadableFile as exc:
                notes.append(Notification(NAME, NotificationLevel.WARNING, str(exc), target.rel))
                continue
            (python if is_python else others).append(_Source(target, text))

        findings: list[Finding] = []
        tools: list[ToolInfo] = []
        successful = True
        unchecked = 0
        if python:
            try:
                found, skipped, version = _run_bandit(python)
                findings.extend(found)
                notes.extend(skipped)
                unchecked += len(skipped)
                tools.append(ToolInfo("bandit", version, BANDIT_URI))
            except ToolError as exc:
                successful = False
                notes.append(Notification(NAME, NotificationLevel.ERROR, str(exc)))
            except Exception as exc:  # bandit crashing as a whole: the run is unsuccessful
                log.debug("bandit crashed", exc_info=True)
                successful = False
                notes.append(Notification(
                    NAME, NotificationLevel.ERROR,
                    f"bandit: crashed: {type(exc).__name__}: {' '.join(str(exc).split())}"))
        if semgrep_exe is not None and (python or others):
            try:
                found, semgrep_notes = _run_semgrep(
                    semgrep_exe, semgrep_rules, [s.target for s in (*python, *others)],
                    context.root, context.policy_root or context.root)
                findings.extend(found)
                notes.extend(semgrep_notes)
                tools.append(ToolInfo("semgrep", None, SEMGREP_URI))
            except ToolError as exc:
                successful = False
                notes.append(Notification(NAME, NotificationLevel.ERROR, str(exc)))
        return CheckerResult(
            checker=NAME,
            findings=tuple(findings),
            notifications=tuple(notes),
            successful=successful,
            tools=tuple(tools),
            files_scanned=len(python) + len(others) - unchecked,
        )


def _is_python(target: Target) -> bool:
    suffix = target.path.suffix.lower()
    if suffix in PYTHON_SUFFIXES:
        return True
    # A file named explicitly (a hook's `types: [python]` script without a suffix) is Python
    # unless its suffix says it is another language.
    return target.explicit and suffix not in OTHER_SUFFIXES


def _read_source(path: Path, max_size: int) -> str:
    """The file's text: size limit and binary check first; a PEP 263 coding cookie is honoured."""
    try:
        return read_text(path, max_size)
    except UnreadableFile as exc:
        if "not UTF-8" not in str(exc):
            raise
        try:
            data = path.read_bytes()
            encoding, _ = tokenize.detect_encoding(BytesIO(data).readline)
            if encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig"):
                raise exc
            return data.decode(encoding)
        except (SyntaxError, LookupError, UnicodeDecodeError, OSError):
            raise exc from None


# --- bandit -----------------------------------------------------------------------------------


def _run_bandit(sources: Sequence[_Source]) -> tuple[list[Finding], list[Notification], str]:
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
    issue: Mapping[str, Any], source: _Source, rules: dict[str, Rule], get_url: Any
) -> Finding:
    test_id = str(issue.get("test_id"))
    bandit_sev, confidence = str(issue.get("issue_severity")), str(issue.get("issue_confidence"))
    severity = bandit_severity(bandit_sev, confidence)
    cwe_data = issue.get("issue_cwe")
    cwe_id = _int(cwe_data.get("id")) if isinstance(cwe_data, dict) else None
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
    line = max(1, _int(issue.get("line_number")) or 1)
    line_text = lines[line - 1] if line <= len(lines) else ""
    basis: str | None = None
    if test_id in PASSWORD_TESTS:
        message = mask_password_message(raw)
        basis = f"{test_id} {redact(without_literals(line_text), prose=True)}"
    else:
        message = redact(raw, prose=True)

    linerange = [n for n in (issue.get("line_range") or []) if isinstance(n, int)]
    end_line = max(linerange) if linerange else line
    col_offset = _int(issue.get("col_offset"))
    column = col_offset + 1 if col_offset is not None else None
    end_column = None
    end_offset = _int(issue.get("end_col_offset"))
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


# --- semgrep ----------------------------------------------------------------------------------


def _semgrep(rules: Sequence[str], context: CheckContext) -> str:
    """semgrep's executable; listing rules without semgrep installed is a configuration error."""
    config = context.config.path or CONFIG_NAME
    try:
        exe = find_tool("semgrep", SEMGREP_ENV)
    except ToolMissingError as exc:
        raise ConfigError(
            config, "checkers.code.semgrep_rules: rules are listed but semgrep is not "
            f"installed ({exc}); install hullscan[semgrep] or remove the key") from None
    rules_root = context.policy_root or context.root
    for rule in rules:
        # local files only: a registry name (`auto`, `p/...`), a URL or a path outside the
        # repository would make semgrep fetch or read rules nobody reviewed here
        if not _local_rule(rule, rules_root):
            raise ConfigError(config, f"checkers.code.semgrep_rules: {rule}: not a rule file or "
                              "folder of the repository (registry rules, URLs and paths "
                              "outside the repository are never used)")
        # in pull-request mode the rule files come from the base commit, like the configuration
        if not (rules_root / rule).exists():
            raise ConfigError(config, f"checkers.code.semgrep_rules: {rule}: no such file or "
                              "folder (paths are relative to the repository root)")
    return exe


def _local_rule(rule: str, rules_root: Path) -> bool:
    """A relative path inside the repository, not something semgrep would fetch."""
    if "://" in rule or rule == "auto" or rule.startswith(("p/", "r/", "s/")):
        return False
    if Path(rule).is_absolute() or "\\" in rule:
        return False
    try:
        Path(os.path.realpath(rules_root / rule)).relative_to(os.path.realpath(rules_root))
    except ValueError:
        return False
    return True


def _run_semgrep(
    exe: str, rules: Sequence[str], targets: Sequence[Target], root: Path, rules_root: Path
) -> tuple[list[Finding], list[Notification]]:
    configs = [arg for rule in rules for arg in ("--config", str(rules_root / rule))]
    by_rel = {t.rel: t for t in targets}
    findings: list[Finding] = []
    notes: list[Notification] = []
    for start in range(0, len(targets), _SEMGREP_CHUNK):
        chunk = targets[start : start + _SEMGREP_CHUNK]
        # --disable-nosem: `# nosemgrep` comments are read by hullscan (`nosemgrep_suppression`)
        # so they are suppressions with a reason, reviewed when a pull request adds one
        argv = [exe, "scan", "--json", "--metrics", "off", "--disable-version-check",
                "--quiet", "--disable-nosem", *configs, "--", *[_cli_path(t) for t in chunk]]
        # a minimal environment: no SEMGREP_APP_TOKEN (no login, no registry), no GITHUB_*
        run = run_tool("semgrep", argv, cwd=root, ok_codes=(0, 1), clean_env=True, env={
            "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"})
        try:
            data = json.loads(run.stdout or "{}")
        except json.JSONDecodeError as exc:
            raise ToolError("semgrep", f"unreadable JSON output: {exc.msg}", run.stderr) from exc
        found, more = semgrep_results(data, by_rel)
        findings.extend(found)
        notes.extend(more)
    return findings, notes


_NOSEM = re.compile(
    r"(?:#|//|--|/\*|<!--)\s*nosem(?:grep)?\b(?::\s*(?P<ids>[\w.\-]+(?:\s*,\s*[\w.\-]+)*))?"
    r"(?P<reason>.*)$"
)


def nosemgrep_suppression(target: Target, line: int, check_id: str) -> Suppression | None:
    """semgrep's `nosemgrep` (or `nosemgrep: rule-id, ...`) on the finding's line or the line
    above, as semgrep reads it; text after it is the reason."""
    try:
        lines = target.path.read_text("utf-8", "replace").splitlines()
    except OSError:
        return None
    for number in (line, line - 1):
        if not 1 <= number <= len(lines):
            continue
        match = _NOSEM.search(lines[number - 1])
        if match is None:
            continue
        ids = {i.strip() for i in (match.group("ids") or "").split(",") if i.strip()}
        if ids and not any(check_id == i or check_id.endswith(f".{i}") for i in ids):
            continue
        reason = re.sub(r"(\*/|-->)\s*$", "", match.group("reason"))
        return Suppression.in_source(redact(reason, prose=True), "nosemgrep")
    return None


def _cli_path(target: Target) -> str:
    if target.rel.startswith(".."):
        return str(target.path)
    return f"./{target.rel}" if target.rel.startswith("-") else target.rel


def _target_of(path: str, by_rel: Mapping[str, Target]) -> Target | None:
    return by_rel.get(path) or by_rel.get(path.removeprefix("./")) or next(
        (t for t in by_rel.values() if str(t.path) == path), None
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def semgrep_results(
    data: Any, by_rel: Mapping[str, Target]
) -> tuple[list[Finding], list[Notification]]:
    """semgrep's `--json` output as findings (and its per-file errors as notifications)."""
    if not isinstance(data, dict):
        raise ToolError("semgrep", "unexpected JSON output (not an object)")
    findings: list[Finding] = []
    rules: dict[str, Rule] = {}
    for item in data.get("results") or ():
        if not isinstance(item, dict):
            continue
        target = _target_of(str(item.get("path") or ""), by_rel)
        check_id = str(item.get("check_id") or "")
        if target is None or not check_id:
            log.debug("ignoring semgrep result %r", item)
            continue
        extra = _mapping(item.get("extra"))
        metadata = _mapping(extra.get("metadata"))
        severity = SEMGREP_LEVELS.get(str(extra.get("severity") or "").upper(), Severity.MEDIUM)
        raw_cwe = metadata.get("cwe") or ()
        cwe_items = [raw_cwe] if isinstance(raw_cwe, str) else list(raw_cwe)
        cwe = tuple(dict.fromkeys(
            m.group(0).upper() for c in cwe_items for m in _CWE.finditer(str(c))))
        message = redact(" ".join(str(extra.get("message") or check_id).split()), prose=True)
        rule = rules.get(check_id)
        if rule is None:
            refs = metadata.get("references")
            uri = metadata.get("source") or (refs[0] if isinstance(refs, list) and refs else None)
            short = check_id.rsplit(".", 1)[-1].replace("-", " ").replace("_", " ")
            rule = tool_rule(check_id, f"semgrep-{check_id.rsplit('.', 1)[-1]}"[:255],
                             f"semgrep {short}", "reported by a local semgrep rule",
                             str(uri or f"{RULES_DOCS}#semgrep"), severity,
                             ("security", "code", "semgrep"))
            rule = replace(rule, cwe=cwe)
            rules[check_id] = rule
        start, end = _mapping(item.get("start")), _mapping(item.get("end"))
        line = _int(start.get("line")) or 1
        col = _int(start.get("col"))
        end_line = _int(end.get("line"))
        findings.append(Finding(
            rule=rule,
            checker=NAME,
            severity=severity,
            message=message,
            location=Location(target.rel, max(1, line), col if col and col > 0 else None,
                              end_line if end_line and end_line > line else None),
            properties={"cwe": list(cwe)} if cwe else {},
            suppression=nosemgrep_suppression(target, max(1, line), check_id),
        ))
    notes: list[Notification] = []
    for error in data.get("errors") or ():
        if not isinstance(error, dict):
            continue
        path = error.get("path")
        target = _target_of(str(path), by_rel) if path else None
        text = " ".join(str(error.get("message") or error.get("type") or "error").split())
        notes.append(Notification(
            NAME, NotificationLevel.WARNING, f"semgrep: {text.splitlines()[0][:300]}",
            target.rel if target else None))
    return findings, notes
