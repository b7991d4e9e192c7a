"""The code checker (SAST): bandit for Python, run in process; semgrep for other languages when
the user installs hullscan[semgrep] and lists local rule files (`checkers.code.semgrep_rules`).

Findings are built from bandit's issue objects (never its SARIF writer, PyCQA/bandit#1311).
bandit is imported only inside `check`, so a Dockerfile hook never pays for it. hullscan's own
`exclude`, `ignore` and inline suppressions apply; bandit's excludes and baseline are not used.
"""


from __future__ import annotations

import logging
import tokenize
from collections.abc import Sequence
from io import BytesIO

from hullscan.checkers.code.bandit import BANDIT_URI, run_bandit
from hullscan.checkers.code.common import NAME, Source
from hullscan.checkers.code.semgrep import SEMGREP_URI, find_semgrep, run_semgrep
from hullscan.checkers.interface import CheckContext
from hullscan.core.errors import ToolError
from hullscan.core.globs import match_any
from hullscan.core.model import CheckerResult, Finding, Notification, NotificationLevel, ToolInfo
from hullscan.core.textfile import UnreadableFile
from hullscan.discover import Target

log = logging.getLogger("hullscan.code")

DEFAULT_EXCLUDE_TESTS = ("tests/**", "test_*.py", "*_test.py", "**/tests/**", "conftest.py")
PYTHON_SUFFIXES = frozenset({".py", ".pyw"})
# Files semgrep rules may target; only read when `semgrep_rules` is configured.
OTHER_SUFFIXES = frozenset({
    ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".go", ".java", ".kt", ".kts", ".scala",
    ".rb", ".php", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".rs", ".swift", ".sh", ".bash",
    ".lua", ".ex", ".exs", ".clj", ".dart", ".sol",
})


class CodeChecker:
    name = NAME
    description = "Source code: bandit for Python, local semgrep rules for other languages"

    def applies(self, target: Target) -> bool:
        suffix = target.path.suffix.lower()
        return suffix in PYTHON_SUFFIXES or suffix in OTHER_SUFFIXES

    def check(self, targets: Sequence[Target], context: CheckContext) -> CheckerResult:
        options = context.config.checker(NAME).options
        semgrep_rules = [str(r) for r in options.get("semgrep_rules", ())]
        semgrep_exe = find_semgrep(semgrep_rules, context) if semgrep_rules else None
        exclude_tests = tuple(options.get("exclude_tests", DEFAULT_EXCLUDE_TESTS))

        notes: list[Notification] = []
        python: list[Source] = []
        others: list[Source] = []
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
                text = _read_source(target, context.config.max_file_size)
            except UnreadableFile as exc:
                notes.append(Notification(NAME, NotificationLevel.WARNING, str(exc), target.rel))
                continue
            (python if is_python else others).append(Source(target, text))

        findings: list[Finding] = []
        tools: list[ToolInfo] = []
        successful = True
        unchecked = 0
        if python:
            try:
                found, skipped, version = run_bandit(python)
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
                found, semgrep_notes = run_semgrep(
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


def _read_source(target: Target, max_size: int) -> str:
    """The file's text: size limit and binary check first; a PEP 263 coding cookie is honoured."""
    try:
        return target.text(max_size)
    except UnreadableFile as exc:
        if exc.why != "encoding":
            raise
        try:
            data = target.data(max_size)
            encoding, _ = tokenize.detect_encoding(BytesIO(data).readline)
            if encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig"):
                raise exc
            return data.decode(encoding)
        except (SyntaxError, LookupError, UnicodeDecodeError, OSError, UnreadableFile):
            raise exc from None
