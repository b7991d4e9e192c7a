"""The rules of the wrapped tools other than checkov (rules/checkov.py), read without a scan:
compose-lint's rule classes and packaged docs, bandit's plugins and blacklists (through its
extension manager), and one family row for the tools that cannot list their rules offline
(hadolint, zizmor, semgrep's local rule files, OSV advisories)."""

from __future__ import annotations

import importlib
import re
import sys
from importlib import resources
from typing import Any

from hullscan import RULES_DOCS
from hullscan.core.model import Severity
from hullscan.rules.interface import RuleInfo

HADOLINT_WIKI = "https://github.com/hadolint/hadolint/wiki"
ZIZMOR_AUDITS = "https://docs.zizmor.sh/audits/"
OSV_LIST = "https://osv.dev/list"


def _levels(table: dict[str, Severity]) -> str:
    return ", ".join(f"{level}: {severity.value}" for level, severity in table.items())


def hadolint_rules(checker: str) -> list[RuleInfo]:
    """hadolint cannot list its rules (no such option): one family row, plus the rules hullscan
    gives a meaning or severity of its own (DL1000, SEVERITY_OVERRIDES)."""
    from hullscan.checkers.dockerfile import LEVELS, SEVERITY_OVERRIDES, _hadolint_rule

    rows = [
        RuleInfo("DL*/SC*", "hadolint", checker, "hadolint", None,
                 "hadolint's Dockerfile rules (DL) and the ShellCheck rules it runs on RUN (SC); "
                 f"severity from hadolint's level ({_levels(LEVELS)})",
                 HADOLINT_WIKI, family=True),
        RuleInfo.of(_hadolint_rule("DL1000", "", Severity.HIGH), checker, "hadolint"),
    ]
    for code, (severity, why) in SEVERITY_OVERRIDES.items():
        rule = _hadolint_rule(code, "", severity)
        rows.append(RuleInfo(code, rule.name, checker, "hadolint", severity,
                             f"hadolint {code}, rated {severity.value} by hullscan: {why}",
                             rule.help_uri))
    return rows


def compose_lint_rules(checker: str) -> list[RuleInfo]:
    """compose-lint's rules, from its registered rule classes; each links its packaged rule doc
    (docs/rules/CL-XXXX.md of its repository), else its first reference."""
    from hullscan.checkers.compose import _DEFAULT_SEVERITY, COMPOSE_LINT_URI, SEVERITIES

    try:
        registry: Any = importlib.import_module("compose_lint.rules")
        classes = list(registry.get_registered_rules())
    except Exception:
        return [_missing("CL-*", "compose-lint", checker, COMPOSE_LINT_URI,
                         "compose-lint (a core dependency)")]
    rows = []
    for cls in classes:
        meta = cls().metadata
        code = str(meta.id)
        level = str(getattr(meta.severity, "value", meta.severity)).lower()
        references = [str(r) for r in getattr(meta, "references", None) or []]
        uri = next((r for r in references if r.startswith(("https://", "http://"))),
                   COMPOSE_LINT_URI)
        try:
            if resources.files("compose_lint").joinpath("rule_docs", f"{code}.md").is_file():
                uri = f"{COMPOSE_LINT_URI}/blob/main/docs/rules/{code}.md"
        except (ImportError, OSError, TypeError):
            pass
        rows.append(RuleInfo(code, f"compose-lint-{code.lower()}", checker, "compose-lint",
                             SEVERITIES.get(level, _DEFAULT_SEVERITY),
                             " ".join(str(meta.name).split()), uri))
    return rows


def zizmor_family(checker: str) -> RuleInfo:
    """zizmor cannot list its audits offline (`zizmor --help` has no such option)."""
    from hullscan.iac.workflows import ZIZMOR_SEVERITY

    return RuleInfo("zizmor/*", "zizmor", checker, "zizmor", None,
                    "zizmor's GitHub Actions audits, as zizmor/<audit> (template-injection, "
                    "excessive-permissions, unpinned-uses, ...); severity from zizmor's "
                    f"({_levels(ZIZMOR_SEVERITY)})", ZIZMOR_AUDITS, family=True)


def bandit_rules(checker: str) -> list[RuleInfo]:
    """bandit's plugins (B1xx-B7xx) and blacklist entries (B3xx, B4xx), from its extension
    manager, with the links bandit's docs_utils gives; a plugin's severity is bandit's per
    finding ("varies"), a blacklist entry's is its level at bandit's high confidence."""
    from hullscan.checkers.code import BANDIT_URI, bandit_severity

    try:
        from bandit.core import docs_utils, extension_loader
    except ImportError:
        return [_missing("B*", "bandit", checker, BANDIT_URI, "the hullscan[code] extra")]
    manager = extension_loader.MANAGER
    rows = []
    for test_id, plugin in manager.plugins_by_id.items():
        name = str(plugin.name)
        rows.append(RuleInfo(str(test_id), f"bandit-{name.replace('_', '-')}", checker, "bandit",
                             None, _plugin_summary(str(test_id), plugin.plugin, name),
                             str(docs_utils.get_url(test_id))))
    for test_id, item in manager.blacklist_by_id.items():
        name = str(item.get("name") or test_id)
        rows.append(RuleInfo(
            str(test_id), f"bandit-{name.replace('_', '-')}", checker, "bandit",
            bandit_severity(str(item.get("level") or "MEDIUM"), "HIGH"),
            " ".join(str(item.get("message") or name).split()),
            str(docs_utils.get_url(test_id)),
        ))
    return rows


def _plugin_summary(test_id: str, function: Any, name: str) -> str:
    """The title of a plugin's docs (`B602: Test for use of popen with shell equals true`), in
    its function's or its module's docstring."""
    module = sys.modules.get(getattr(function, "__module__", ""))
    for doc in (getattr(function, "__doc__", None), getattr(module, "__doc__", None)):
        match = re.search(rf"{test_id}:\s*(.+?)\**\s*$", doc or "", re.MULTILINE)
        if match:
            return match.group(1).strip()
    return name.replace("_", " ")


def semgrep_family(checker: str) -> RuleInfo:
    return RuleInfo("semgrep:*", "semgrep", checker, "semgrep", None,
                    "the rules of the local semgrep rule files in checkers.code.semgrep_rules, "
                    "by their ids; severity from each rule's",
                    f"{RULES_DOCS}#other-languages-semgrep-with-local-rules", family=True)


def osv_family(checker: str, name: str) -> RuleInfo:
    return RuleInfo("OSV:*", name, checker, "osv", None,
                    "a known vulnerability or informational notice from OSV, by its advisory id "
                    "(GHSA-..., PYSEC-..., CVE-..., RUSTSEC-...); severity from its CVSS vector "
                    "or rating", OSV_LIST, family=True)


def _missing(rule_id: str, tool: str, checker: str, uri: str, install: str) -> RuleInfo:
    return RuleInfo(rule_id, tool, checker, tool, None,
                    f"{tool}'s rules: {tool} is not installed, so they cannot be listed "
                    f"(install {install})", uri, family=True)
