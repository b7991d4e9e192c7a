"""checkov's checks, read from its registries in process (no scan, no network): every framework
hullscan runs, with the links and severities the iac checker gives their findings (its own
functions, imported: hullscan.checkers.iac and hullscan.iac.severity). checkov is slow to
import, so only `hullscan rules --checker iac` (or every checker) comes here."""

from __future__ import annotations

import importlib
import logging
from dataclasses import replace

from hullscan.core.errors import ToolMissingError
from hullscan.rules.interface import RuleInfo

log = logging.getLogger("hullscan.rules")


# a check id's own framework, whose page its row links when other frameworks share the id
# (CKV_K8S_16 is also a Terraform check of kubernetes_* resources)
_HOME = {"K8S": "kubernetes", "GHA": "github_actions", "OPENAPI": "openapi"}


def checkov_rules(checker: str) -> list[RuleInfo]:
    """One row per check id; a check several frameworks share (CKV_AWS_24: Terraform and
    CloudFormation) is one row whose scope lists them, linked as its home framework's (the
    first one otherwise). checkov's imports configure the root logger: undone here."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        return _checkov_rules(checker)
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


def _checkov_rules(checker: str) -> list[RuleInfo]:
    from hullscan.checkers import iac
    from hullscan.iac.severity import severity_for

    try:
        iac._Checkov(set(iac.RUNNERS))  # imports checkov as a run does (its logging kept out)
    except ToolMissingError:
        return [RuleInfo("CKV*", "checkov", checker, "checkov", None,
                         "checkov's checks: checkov is not installed, so they cannot be listed "
                         "(install the hullscan[iac] extra)", iac.CHECKOV_URI, family=True)]
    iac._load_terraform_checks()  # set aside by an earlier Kubernetes-only run, if any
    found: dict[str, RuleInfo] = {}
    for framework, module_name in iac.RUNNERS.items():
        if framework in iac.RENDERERS:
            continue  # helm, kustomize: the kubernetes checks on the rendered manifests
        try:
            runner = importlib.import_module(module_name).Runner()
            graph = getattr(runner, "graph_registry", None)
            if graph is not None and not getattr(graph, "checks", None):
                graph.load_checks()
            known = iac._categories(runner)  # also remembers each check's page
        except Exception:  # another checkov layout: that framework's checks are not listed
            log.debug("checkov %s: registry not readable", framework, exc_info=True)
            continue
        for _, check in iac.runner_checks(runner):
            check_id = str(check.id)
            previous = found.get(check_id)
            if previous is not None and framework in previous.scope:
                continue
            # the categories a scan's findings get theirs from (iac._categories), so the
            # listing says what a scan reports
            categories = known.get(check_id, [])
            name = " ".join(str(getattr(check, "name", "") or check_id).split())
            severity = severity_for(check_id, categories)
            rule = iac._rule(framework, check_id, name, None, severity)
            if previous is None:
                found[check_id] = RuleInfo.of(rule, checker, "checkov", scope=(framework,))
            else:
                home = _HOME.get(check_id.split("_")[1] if "_" in check_id else "")
                found[check_id] = replace(previous, scope=(*previous.scope, framework)) \
                    if framework != home else replace(
                        previous, scope=(*previous.scope, framework), help_uri=rule.help_uri,
                        description=rule.short_description)
    return list(found.values())


