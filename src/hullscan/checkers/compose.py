"""The Compose checker: compose-lint (JSON output) plus hullscan's shared workload rules.

compose-lint runs once over every Compose file hullscan could load. Its findings keep their
`CL-xxxx` ids unless one of hullscan's rules reports the same problem on the same line (see
`hullscan.compose.rules.SUPERSEDES`). When compose-lint is missing, crashes or times out, the
own rules still run and the result is marked unsuccessful; when one run over all files fails,
it is retried file by file, so one file compose-lint cannot handle costs only that file.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullscan.checkers.interface import CheckContext
from hullscan.compose import rules as own_rules
from hullscan.compose.loader import ComposeLoadError, EmptyDocument, load_compose
from hullscan.core.errors import ToolError, ToolTimeoutError
from hullscan.core.model import (
    CheckerResult,
    Finding,
    Location,
    Notification,
    NotificationLevel,
    Rule,
    Severity,
    Suppression,
    SuppressionKind,
    ToolInfo,
)
from hullscan.core.redact import redact
from hullscan.core.textfile import UnreadableFile
from hullscan.core.tools import find_tool, first_line, run_tool
from hullscan.discover import COMPOSE_NAME, Target
from hullscan.policy import trusted

log = logging.getLogger("hullscan.compose")

NAME = "compose"
COMPOSE_LINT_ENV = "HULLSCAN_COMPOSE_LINT"
COMPOSE_LINT_URI = "https://github.com/tmatens/compose-lint"

# compose-lint severity -> hullscan severity (the same four-level scale).
SEVERITIES = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
}
_DEFAULT_SEVERITY = Severity.MEDIUM  # a level a newer compose-lint might add



def is_compose_file(name: str) -> bool:
    """compose.yaml/.yml, docker-compose.yaml/.yml and their `compose.*.yaml` variants."""
    return bool(COMPOSE_NAME.match(name))


@dataclass
class _Loaded:
    target: Target
    document: Mapping[Any, Any]


@dataclass
class _LintOutput:
    items: list[dict[str, Any]] = field(default_factory=list)
    file_errors: dict[str, str] = field(default_factory=dict)  # rel -> one-line reason
    version: str | None = None


class ComposeChecker:
    name = NAME
    description = "Docker Compose files: compose-lint and hullscan's workload rules"

    def applies(self, target: Target) -> bool:
        return is_compose_file(target.path.name)

    def check(self, targets: Sequence[Target], context: CheckContext) -> CheckerResult:
        notes: list[Notification] = []
        loaded: list[_Loaded] = []
        for target in targets:
            item, note = _load(target, context.config.max_file_size)
            if note is not None:
                notes.append(note)
            if item is not None:
                loaded.append(item)

        successful = True
        tools: list[ToolInfo] = []
        own: list[tuple[Finding, tuple[int, ...]]] = []
        lint: _LintOutput | None = None
        if loaded:
            # compose-lint runs while the own rules check the same files.
            # compose-lint reads a .compose-lint.yml beside each file or in the working folder:
            # in pull-request mode only the base commit's root one
            with trusted.config_args(context, "compose-lint", "rules: {}\n") as config_args, \
                    ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(_run_compose_lint, [i.target for i in loaded], context.root,
                                      config_args)
                for item in loaded:
                    own.extend(_own_findings(item, context))
                try:
                    lint = pending.result()
                except ToolError as exc:
                    successful = False
                    notes.append(Notification(NAME, NotificationLevel.ERROR,
                                              f"{_one_line(str(exc))}; only hullscan's own "
                                              "rules ran"))
        findings: list[Finding] = []
        if lint is not None:
            tools.append(ToolInfo("compose-lint", lint.version, COMPOSE_LINT_URI))
            for rel, reason in sorted(lint.file_errors.items()):
                notes.append(Notification(
                    NAME, NotificationLevel.WARNING,
                    f"compose-lint could not check this file ({reason}); only hullscan's own "
                    "rules ran on it", rel,
                ))
            by_rel = {i.target.rel: i for i in loaded}
            covered = {
                (f.location.path, line, f.rule.id)
                for f, lines in own
                for line in (f.location.start_line, *lines)
            }
            seen: set[tuple[str, int, str, str]] = set()
            for raw in lint.items:
                finding = _compose_lint_finding(raw, by_rel, lint.version)
                if finding is None:
                    continue
                key = (finding.location.path, finding.location.start_line, finding.rule.id,
                       finding.message)
                mine = own_rules.SUPERSEDES.get(finding.rule.id, ())
                if key in seen or any(
                    (finding.location.path, finding.location.start_line, m) in covered
                    for m in mine
                ):
                    continue
                seen.add(key)
                findings.append(finding)
        findings.extend(f for f, _ in own)
        return CheckerResult(
            checker=NAME,
            findings=tuple(findings),
            notifications=tuple(notes),
            successful=successful,
            tools=tuple(tools),
            files_scanned=len(loaded),
        )


def _load(target: Target, max_size: int) -> tuple[_Loaded | None, Notification | None]:
    """The file's document, or a one-line notification saying why it is not checked."""

    def warn(reason: str) -> tuple[None, Notification]:
        return None, Notification(NAME, NotificationLevel.WARNING, reason, target.rel)

    try:
        text = target.text(max_size)
    except UnreadableFile as exc:
        return warn(str(exc))
    empty = Notification(NAME, NotificationLevel.NOTE, "empty file: nothing to check", target.rel)
    if not text.strip():
        return None, empty
    try:
        document = load_compose(text)
    except EmptyDocument:
        return None, empty
    except ComposeLoadError as exc:
        return warn(f"skipped: {exc}")
    if not isinstance(document, Mapping):
        return warn("skipped: not a Compose file (the top level is not a mapping)")
    if "services" not in document:
        return warn("skipped: not a Compose file (no `services` key)")
    if not isinstance(document["services"], Mapping):
        return warn("skipped: not a Compose file (`services` is not a mapping)")
    return _Loaded(target, document), None


def _own_findings(
    item: _Loaded, context: CheckContext
) -> Iterable[tuple[Finding, tuple[int, ...]]]:
    rule_context = own_rules.RuleContext(trusted_registries=context.config.trusted_registries)
    for hit in own_rules.check(item.document, rule_context):
        finding = Finding(
            rule=hit.rule,
            checker=NAME,
            severity=hit.rule.default_severity,
            message=hit.message,
            location=Location(item.target.rel, hit.line, 1),
            fingerprint_basis=hit.fingerprint_basis,
            properties={"cwe": list(hit.rule.cwe)} if hit.rule.cwe else {},
        )
        yield finding, hit.also_lines


# --- compose-lint -----------------------------------------------------------------------------


def _run_compose_lint(
    targets: Sequence[Target], root: Path, config_args: Sequence[str] = ()
) -> _LintOutput:
    """compose-lint over all files in one process; per file when that run fails. Raises
    ToolError only when compose-lint cannot run at all."""
    exe = find_tool("compose-lint", COMPOSE_LINT_ENV)
    try:
        return _compose_lint_once(exe, targets, root, config_args)
    except ToolTimeoutError:
        raise
    except ToolError as exc:
        if len(targets) == 1:
            raise
        log.debug("compose-lint failed on %d files (%s); retrying file by file", len(targets), exc)
    merged = _LintOutput()
    failures: list[ToolError] = []
    for target in targets:
        try:
            output = _compose_lint_once(exe, [target], root, config_args)
        except ToolTimeoutError:
            raise
        except ToolError as exc:
            failures.append(exc)
            merged.file_errors[target.rel] = _reason(exc)
            continue
        merged.items.extend(output.items)
        merged.file_errors.update(output.file_errors)
        merged.version = merged.version or output.version
    if len(failures) == len(targets):
        raise failures[0]
    return merged


def _compose_lint_once(
    exe: str, targets: Sequence[Target], root: Path, config_args: Sequence[str] = ()
) -> _LintOutput:
    # Relative paths from the root: compose-lint echoes them back and reads a
    # .compose-lint.yml from there, so a repository's own settings still apply. Each file is
    # graded on its own (hullscan checks override files as files of their own), without the
    # .env/env_file values beside it, and an unresolved `include:` is a warning, not a failure.
    argv = [
        exe, "check", "--format", "json", "--no-merge-overrides", "--no-env",
        # suppressed findings are kept: they are reported as suppressed, with the reason
        "--allow-partial-coverage", *config_args,
        "--", *[t.cli_path() for t in targets],  # `--`: a file named like an option is a file
    ]
    # Exit codes: 0 clean, 1 findings at or above its --fail-on, 2 errors (a file it could
    # not parse, a crashed rule, a bad config), still with the JSON envelope.
    run = run_tool("compose-lint", argv, cwd=root, ok_codes=(0, 1, 2))
    try:
        data = json.loads(run.stdout or "")
    except json.JSONDecodeError as exc:
        detail = first_line(run.stderr) if run.stderr.strip() else exc.msg
        raise ToolError("compose-lint", f"exited with code {run.returncode} without JSON "
                        f"output: {redact(detail)}", run.stderr) from exc
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ToolError("compose-lint", "unexpected JSON output (no findings list)", run.stderr)
    by_rel = {t.rel: t for t in targets}
    output = _LintOutput(
        items=[d for d in data["findings"] if isinstance(d, dict)],
    )
    tool = data.get("tool")
    if isinstance(tool, dict) and isinstance(tool.get("version"), str):
        output.version = tool["version"]
    for error in data.get("errors") or []:
        if not isinstance(error, dict):
            continue
        message = _one_line(str(error.get("message") or "error"))
        target = _match(str(error.get("file") or ""), by_rel)
        if target is None:
            # A run-level error (a broken .compose-lint.yml, ...): the run is unusable.
            raise ToolError("compose-lint", message, run.stderr)
        output.file_errors.setdefault(target.rel, message)
    return output


def _reason(exc: ToolError) -> str:
    text = str(exc)
    return _one_line(text.removeprefix(f"{exc.tool}: "))


def _one_line(text: str, limit: int = 300) -> str:
    line = redact_prose(" ".join(text.split()))
    return line if len(line) <= limit else line[: limit - 1] + "…"


def redact_prose(text: str) -> str:
    return redact(text, prose=True)


def _match(file: str, by_rel: Mapping[str, Target]) -> Target | None:
    if not file:
        return None
    found = by_rel.get(file) or by_rel.get(file.removeprefix("./"))
    if found is not None:
        return found
    normalised = file.replace("\\", "/")
    return next(
        (t for t in by_rel.values() if str(t.path) == file or t.path.as_posix() == normalised),
        None,
    )


_RULE_CACHE: dict[tuple[str, str], Rule] = {}


def _compose_lint_rule(code: str, severity: Severity, item: Mapping[str, Any],
                       version: str | None) -> Rule:
    key = (code, severity.value)
    rule = _RULE_CACHE.get(key)
    if rule is not None:
        return rule
    meta = _rule_metadata(version).get(code)
    if meta is not None:
        short, full = meta
    else:  # an unknown rule: its first message, which names no instance-specific value
        full = redact_prose(" ".join(str(item.get("message") or code).split()))
        short = f"compose-lint {code}"
    references = [redact_prose(str(r)) for r in item.get("references") or [] if str(r).strip()]
    uri = next((r for r in references if r.startswith(("https://", "http://"))), None)
    fix = redact_prose(str(item.get("fix") or "").strip())
    help_text = full
    help_markdown = f"**{short}**\n\n{full}"
    if fix:
        help_text += f"\n\nFix:\n{fix}"
        help_markdown += f"\n\n**Fix:**\n\n```text\n{fix}\n```"
    if references:
        help_text += "\n\nReferences:\n" + "\n".join(f"- {r}" for r in references)
        help_markdown += "\n\n**References:**\n\n" + "\n".join(
            f"- <{r}>" if r.startswith(("https://", "http://")) else f"- {r}" for r in references
        )
    help_text += f"\n\n(reported by compose-lint; details: `compose-lint --explain {code}`)"
    help_markdown += f"\n\nReported by [compose-lint]({COMPOSE_LINT_URI}): " \
        f"`compose-lint --explain {code}`."
    full_description = f"{full} (reported by compose-lint)"
    if len(full_description) > 1000:
        full_description = full_description[:999] + "…"
    rule = Rule(
        id=code,
        name=f"compose-lint-{code.lower()}",
        short_description=short,
        full_description=full_description,
        help_text=help_text,
        help_markdown=help_markdown,
        help_uri=uri,
        default_severity=severity,
        tags=("compose", "compose-lint"),
    )
    _RULE_CACHE[key] = rule
    return rule


_METADATA: dict[str, dict[str, tuple[str, str]]] = {}


def _rule_metadata(version: str | None) -> dict[str, tuple[str, str]]:
    """compose-lint's rule names and descriptions (its JSON output carries neither), read from
    the compose_lint package when it is the same version as the compose-lint that ran."""
    key = version or ""
    cached = _METADATA.get(key)
    if cached is not None:
        return cached
    found: dict[str, tuple[str, str]] = {}
    try:
        package: Any = importlib.import_module("compose_lint")
        if version is not None and getattr(package, "__version__", None) == version:
            registry: Any = importlib.import_module("compose_lint.rules")
            for cls in registry.get_registered_rules():
                meta = cls().metadata
                found[str(meta.id)] = (
                    " ".join(str(meta.name).split()), " ".join(str(meta.description).split())
                )
    except Exception:  # an internal API of another version: fall back to messages
        log.debug("compose-lint rule metadata unavailable", exc_info=True)
        found = {}
    _METADATA[key] = found
    return found


def _compose_lint_finding(
    item: Mapping[str, Any], by_rel: Mapping[str, _Loaded], version: str | None
) -> Finding | None:
    code = str(item.get("rule_id") or "")
    loaded = _match(str(item.get("file") or ""), {k: v.target for k, v in by_rel.items()})
    if not code or loaded is None:
        log.debug("ignoring compose-lint result %r", {k: item.get(k) for k in ("file", "rule_id")})
        return None
    document = by_rel[loaded.rel].document
    severity = SEVERITIES.get(str(item.get("severity") or "").lower(), _DEFAULT_SEVERITY)
    raw_line = item.get("line")
    if isinstance(raw_line, int) and not isinstance(raw_line, bool) and raw_line >= 1:
        line = raw_line
    else:  # no line: the service's key, which hullscan knows
        line = _service_line(document, item.get("service"))
    suppression = None
    if item.get("suppressed"):
        reason = _one_line(str(item.get("suppression_reason") or ""), 500)
        suppression = Suppression(
            SuppressionKind.EXTERNAL,
            f"disabled in compose-lint's configuration: {reason}" if reason else
            "disabled in compose-lint's configuration (no reason given)",
        )
    service = item.get("service")
    if not isinstance(service, str) or not service:
        service = _service_at(document, line)
    return Finding(
        rule=_compose_lint_rule(code, severity, item, version),
        checker=NAME,
        severity=severity,
        message=_one_line(_naming_service(str(item.get("message") or code), service), 1000),
        location=Location(loaded.rel, line, None),
        suppression=suppression,
        properties={"service": service} if service else {},
    )


def _naming_service(message: str, service: str | None) -> str:
    """compose-lint's message with the service named as hullscan's own rules name it
    (`Service 'web' runs ...`): its messages say only "Service ..." or name an image or port."""
    if not service or f"'{service}'" in message:
        return message
    if message.startswith("Service "):
        return f"Service '{service}' {message.removeprefix('Service ')}"
    return f"Service '{service}': {message}"


def _service_at(document: Mapping[Any, Any], line: int) -> str | None:
    """The service whose block holds `line` (the last service key at or above it), or None
    for a line outside `services`."""
    from hullscan.compose.positions import key_line, node_line

    services = document.get("services")
    if not isinstance(services, Mapping) or not services:
        return None
    start = node_line(services)
    if line < start:
        return None
    found: str | None = None
    for name in services:
        if key_line(services, name, start) <= line:
            found = str(name)
    ends = [key_line(document, key, 0) for key in document if key != "services"]
    after = [end for end in ends if end > start]
    if after and line >= min(after):
        return None  # a top-level key after `services` (networks:, volumes:)
    return found


def _service_line(document: Mapping[Any, Any], service: Any) -> int:
    from hullscan.compose.positions import key_line, node_line

    services = document.get("services")
    if isinstance(services, Mapping) and service is not None:
        for name in services:
            if str(name) == str(service):
                return key_line(services, name, node_line(services))
    return 1
