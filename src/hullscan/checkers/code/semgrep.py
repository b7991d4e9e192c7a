"""The semgrep adapter: local rule files only, semgrep's JSON as findings, `nosemgrep` read
by hullscan."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from hullscan import RULES_DOCS
from hullscan.checkers.code.bandit import CWE
from hullscan.checkers.code.common import NAME, int_or_none, mapping, target_of
from hullscan.checkers.interface import CheckContext
from hullscan.core.catalog import tool_rule
from hullscan.core.config import CONFIG_NAME
from hullscan.core.errors import ConfigError, ToolError, ToolMissingError
from hullscan.core.model import (
    Finding,
    Location,
    Notification,
    NotificationLevel,
    Rule,
    Severity,
    Suppression,
)
from hullscan.core.redact import redact
from hullscan.core.tools import find_tool, run_tool
from hullscan.discover import Target

log = logging.getLogger("hullscan.code")

SEMGREP_URI = "https://semgrep.dev"
SEMGREP_ENV = "HULLSCAN_SEMGREP"
_SEMGREP_CHUNK = 500

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


def find_semgrep(rules: Sequence[str], context: CheckContext) -> str:
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


def run_semgrep(
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
                "--quiet", "--disable-nosem", *configs, "--", *[t.cli_path() for t in chunk]]
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
        target = target_of(str(item.get("path") or ""), by_rel)
        check_id = str(item.get("check_id") or "")
        if target is None or not check_id:
            log.debug("ignoring semgrep result %r", item)
            continue
        extra = mapping(item.get("extra"))
        metadata = mapping(extra.get("metadata"))
        severity = SEMGREP_LEVELS.get(str(extra.get("severity") or "").upper(), Severity.MEDIUM)
        raw_cwe = metadata.get("cwe") or ()
        cwe_items = [raw_cwe] if isinstance(raw_cwe, str) else list(raw_cwe)
        cwe = tuple(dict.fromkeys(
            m.group(0).upper() for c in cwe_items for m in CWE.finditer(str(c))))
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
        start, end = mapping(item.get("start")), mapping(item.get("end"))
        line = int_or_none(start.get("line")) or 1
        col = int_or_none(start.get("col"))
        end_line = int_or_none(end.get("line"))
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
        target = target_of(str(path), by_rel) if path else None
        text = " ".join(str(error.get("message") or error.get("type") or "error").split())
        notes.append(Notification(
            NAME, NotificationLevel.WARNING, f"semgrep: {text.splitlines()[0][:300]}",
            target.rel if target else None))
    return findings, notes
