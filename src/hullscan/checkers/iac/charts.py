"""Helm charts and kustomizations: what is rendered, what is checked without rendering (plain
templates, default values), and why a folder is not rendered."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

from hullscan.checkers.iac.checkov import _Checkov
from hullscan.checkers.iac.common import NAME, RUNNERS, _File, _short
from hullscan.checkers.iac.pages import _rule
from hullscan.checkers.interface import CheckContext
from hullscan.core.errors import ToolMissingError
from hullscan.core.model import (
    Finding,
    Location,
    Notification,
    NotificationLevel,
)
from hullscan.core.redact import redact
from hullscan.core.yamlsafe import YamlProblem, load_all
from hullscan.discover import Target
from hullscan.iac import helm, render
from hullscan.iac.severity import severity_for

log = logging.getLogger("hullscan.iac")


def _plain_templates(folder: Path, context: CheckContext,
                     notes: list[Notification]) -> list[_File]:
    """The plain template files of a chart (and its vendored subcharts) that helm renders, as
    Kubernetes files for hullscan's own rules."""
    chart = helm.unrendered_chart(folder, context.root, context.config.max_file_size,
                                  context.config.trusted_registries, set())
    out = []
    for template, text in chart.plain if chart is not None else []:
        try:
            out.append(_File(template, "kubernetes", text, load_all(text)))
        except YamlProblem as exc:
            notes.append(Notification(NAME, NotificationLevel.WARNING,
                                      f"{exc}; not checked by hullscan's rules", template.rel))
    return out


def _counted(count: int, noun: str) -> str:
    """`1 template file`, `3 template files`, `` for none."""
    return f"{count} {noun}{'' if count == 1 else 's'}" if count else ""


def _helm_unusable() -> str | None:
    """Why charts cannot be rendered here, or None: no helm on PATH, or a helm checkov does
    not accept (it asks `helm version` for helm 3 or 4), asked the way checkov asks it."""
    if shutil.which("helm") is None:
        return "helm is not installed"
    try:
        _Checkov({"helm"})  # imports checkov as a run does (its logging kept out)
        with render.guarded():
            runner = importlib.import_module(RUNNERS["helm"]).Runner()
            if runner.check_system_deps():
                return "the installed helm is not usable (helm 3 or 4 is needed)"
    except ToolMissingError:
        return "helm cannot be used without checkov"
    except Exception as exc:  # checkov's internals: the charts are still checked as far as can be
        return f"helm could not be started ({_short(exc)})"
    return None


def _chart_targets(targets: Sequence[Target], root: Path, charts: set[str]) -> Iterator[Target]:
    """The targets, with every file of a Helm chart (its templates, its values) standing for
    the chart's `Chart.yaml`, once per chart."""
    for target in targets:
        folder = helm.chart_folder(target.path)
        if folder is None:
            yield target
            continue
        real = os.path.realpath(folder)
        if real in charts:
            continue
        charts.add(real)
        chart = folder / "Chart.yaml"
        if chart == target.path:
            yield target
            continue
        try:
            rel = chart.relative_to(root).as_posix()
        except ValueError:
            rel = chart.as_posix()
        yield Target(chart, rel, target.explicit)


def _values_finding(values: Target, hit: helm.ValuesHit) -> Finding:
    if hit.rule is not None:
        rule, severity = hit.rule, hit.rule.default_severity
    else:
        check_id = hit.check_id or "?"
        severity = severity_for(check_id, [])
        rule = _rule("kubernetes", check_id, hit.check_name, None, severity)
    return Finding(
        rule=rule, checker=NAME, severity=severity, message=redact(hit.message, prose=True),
        location=Location(values.rel, hit.line), fingerprint_basis=hit.basis,
        properties={"framework": "helm-values"},
    )


def _render_refusal(framework: str, target: Target, context: CheckContext) -> str | None:
    """Why this helm chart or kustomization is not rendered: in pull-request mode when it
    links outside the repository, and never when it would fetch something."""
    if context.pull_request:
        # The sealed render (no plugins, exec functions or helm in kustomize, no network, a
        # minimal environment) runs no code of the change either; what it must not do is read
        # files outside the repository through links the change commits.
        escaping = render.escaping_link(target.path.parent, context.root)
        if escaping:
            return f"{escaping} links outside the repository (pull-request mode)"
    return render.refusal(framework, target.path.parent, context.root)


def _framework_by_name(target: Target) -> str | None:
    """For files named explicitly (`hullscan iac FILE`): a best guess from the extension."""
    name = target.path.name.lower()
    if name.endswith((".yaml", ".yml")):
        return "kubernetes"
    if name.endswith(".json"):
        return "cloudformation"
    return None
