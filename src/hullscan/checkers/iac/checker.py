"""The IaC checker: checkov (in process, only the runners the files need) for Terraform,
CloudFormation, Kubernetes, GitHub workflows, serverless, ARM/Bicep and OpenAPI, with real
severities, each result on the line of the offending key; plus hullscan's own workload rules on
Kubernetes manifests (image trust, hostPath).

checkov is an optional extra (`hullscan[iac]`) and is imported only here, inside `check`.
"""


from __future__ import annotations

import logging
import shutil
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from hullscan.checkers.iac.charts import (
    _chart_targets,
    _counted,
    _framework_by_name,
    _helm_unusable,
    _plain_templates,
    _render_refusal,
    _values_finding,
)
from hullscan.checkers.iac.checkov import _Checkov
from hullscan.checkers.iac.common import (
    CHECKOV_URI,
    NAME,
    RENDERERS,
    YAML_FRAMEWORKS,
    _drop_rendered_duplicates,
    _File,
    _short,
    drop_superseded,
)
from hullscan.checkers.iac.pages import _load_check_pages
from hullscan.checkers.interface import CheckContext
from hullscan.core.errors import ToolError, ToolMissingError
from hullscan.core.model import (
    CheckerResult,
    Finding,
    Notification,
    NotificationLevel,
    ToolInfo,
)
from hullscan.core.textfile import UnreadableFile
from hullscan.core.yamlsafe import YamlProblem, load_all
from hullscan.discover import Target
from hullscan.iac import helm, k8s, workflows
from hullscan.iac.detect import framework_of

log = logging.getLogger("hullscan.iac")


class IacChecker:
    name = NAME
    description = "Infrastructure as code: checkov and hullscan's workload rules"

    def applies(self, target: Target) -> bool:
        return framework_of(target) is not None

    def check(self, targets: Sequence[Target], context: CheckContext) -> CheckerResult:
        notes: list[Notification] = []
        files: list[_File] = []
        values_findings: list[tuple[Target, helm.ValuesHit]] = []
        values_files: list[str] = []  # the default values of charts not rendered
        successful = True
        charts: set[str] = set()  # chart folders already handled in this run
        unrendered: set[Path] = set()  # charts (and subcharts) checked without rendering
        helm_problem: list[str | None] | None = None  # why helm cannot render (asked once)
        own_only: list[_File] = []  # plain templates of rendered charts: hullscan's rules only
        for target in _chart_targets(targets, context.root, charts):
            framework = framework_of(target) or _framework_by_name(target)
            if framework is None:
                notes.append(Notification(NAME, NotificationLevel.WARNING,
                                          "not a recognised IaC file; skipped", target.rel))
                continue
            try:
                text = target.text(context.config.max_file_size)
            except UnreadableFile as exc:
                notes.append(Notification(NAME, NotificationLevel.WARNING, str(exc), target.rel))
                continue
            if framework in RENDERERS:
                refused = _render_refusal(framework, target, context)
                if refused:  # could not be checked: fail closed
                    successful = False
                    if framework == "helm":  # its plain templates and values still are
                        self._unrendered_chart(target, context, unrendered, files,
                                               values_findings, values_files, notes, None,
                                               refused=refused)
                    else:
                        notes.append(Notification(
                            NAME, NotificationLevel.ERROR,
                            f"this {framework} folder was not rendered or checked: {refused}",
                            target.rel))
                    continue
            if framework == "helm":
                if helm_problem is None:  # asked once, and only for a chart it may render
                    helm_problem = [_helm_unusable()]
                if helm_problem[0] is not None:
                    successful = self._unrendered_chart(
                        target, context, unrendered, files, values_findings, values_files,
                        notes, helm_problem[0],
                    ) and successful
                    continue
            elif framework in RENDERERS and not any(shutil.which(b)
                                                    for b in RENDERERS[framework]):
                binary = " or ".join(RENDERERS[framework])
                notes.append(Notification(
                    NAME, NotificationLevel.NOTE,
                    f"{binary} is not installed: the {framework} folder was not rendered or "
                    "checked",
                    target.rel,
                ))
                continue
            item = _File(target, framework, text)
            if framework == "helm":
                # helm renders the chart for checkov; hullscan's own rules read its plain
                # templates, on their own lines (rendered lines are not the template's)
                known = {f.target.rel for f in own_only}
                own_only.extend(f for f in _plain_templates(target.path.parent, context, notes)
                                if f.target.rel not in known)
            if framework in YAML_FRAMEWORKS:
                try:
                    item.documents = load_all(text)
                except YamlProblem as exc:
                    notes.append(Notification(NAME, NotificationLevel.WARNING,
                                              f"{exc}; not checked", target.rel))
                    continue
            files.append(item)

        findings: list[Finding] = []
        for item in [*files, *own_only]:
            try:
                if item.framework == "kubernetes":
                    findings.extend(
                        k8s.own_findings(item.target, item.documents, context.config)
                    )
                if item.framework == "github_actions":
                    findings.extend(
                        workflows.image_findings(item.target, item.documents, context.config)
                    )
            except Exception as exc:  # one odd file must not cost the others their findings
                log.debug("own rules failed on %s", item.target.rel, exc_info=True)
                notes.append(Notification(
                    NAME, NotificationLevel.ERROR,
                    f"internal error in hullscan's rules: {type(exc).__name__}: {_short(exc)}",
                    item.target.rel,
                ))
                successful = False

        tools: list[ToolInfo] = []
        workflow_files = [f.target for f in files if f.framework == "github_actions"]
        if workflow_files:
            try:
                produced, exe = workflows.run_zizmor(
                    workflow_files, context.root, workflows.zizmor_config_args(context))
                findings.extend(produced)
                tools.append(ToolInfo("zizmor", workflows.zizmor_version(exe),
                                      workflows.ZIZMOR_URI))
            except ToolError as exc:
                successful = False
                notes.append(Notification(NAME, NotificationLevel.ERROR,
                                          f"{exc}; workflows were checked by checkov only"))
        if files:
            try:
                checkov = _Checkov({f.framework for f in files})
            except ToolMissingError as exc:
                successful = False
                notes.append(Notification(NAME, NotificationLevel.ERROR,
                                          f"{exc}; only hullscan's own rules ran"))
            else:
                tools.append(ToolInfo("checkov", checkov.version, CHECKOV_URI))
                by_framework: dict[str, list[_File]] = defaultdict(list)
                for item in files:
                    by_framework[item.framework].append(item)
                for framework in sorted(by_framework):
                    produced, failures = checkov.run(framework, by_framework[framework],
                                                     context.root)
                    for note in failures:
                        successful = successful and note.level is not NotificationLevel.ERROR
                        notes.append(note)
                    findings.extend(produced)
        # what was read and checked: the files checkov and the own rules got (a chart's plain
        # templates, not the chart files that led to them) and the values of unrendered charts
        checked = tuple(dict.fromkeys([f.target.rel for f in [*files, *own_only]]
                                      + values_files))
        if values_findings:
            _load_check_pages("kubernetes")  # the values' checks, when no manifest ran them
            findings.extend(_values_finding(values, hit) for values, hit in values_findings)
        return CheckerResult(
            checker=NAME,
            findings=tuple(drop_superseded(_drop_rendered_duplicates(findings))),
            notifications=tuple(notes),
            successful=successful,
            tools=tuple(tools),
            files_scanned=len(checked),
            paths=checked,
        )


    def _unrendered_chart(
        self, target: Target, context: CheckContext, seen: set[Path], files: list[_File],
        findings: list[tuple[Target, helm.ValuesHit]], values_files: list[str],
        notes: list[Notification],
        why: str | None, *, refused: str | None = None,
    ) -> bool:
        """A chart that is not rendered: its plain template files become Kubernetes files of
        this run, its default values are checked, and what is left unchecked is an error
        naming the chart (exit 3: never reported as clean). `why` says why helm cannot render
        here; `refused`, why hullscan does not let it render this chart (always an error: its
        dependencies or linked files are not checked either). Returns whether everything of
        the chart was checked."""
        chart = helm.unrendered_chart(target.path.parent, context.root,
                                      context.config.max_file_size,
                                      context.config.trusted_registries, seen)
        if chart is None:  # met already (a subchart of a chart of this run): said there
            return refused is None
        complete = True
        for template, text in chart.plain:
            try:
                documents = load_all(text)
            except YamlProblem as exc:
                # helm would output it as it is and fail to install it: say so, check the rest
                notes.append(Notification(NAME, NotificationLevel.WARNING,
                                          f"{exc}; not checked", template.rel))
                continue
            files.append(_File(template, "kubernetes", text, documents))
        for rel, reason in chart.unreadable:
            notes.append(Notification(NAME, NotificationLevel.WARNING, reason, rel))
        for values, hits in chart.values:
            values_files.append(values.rel)
            findings.extend((values, hit) for hit in hits)
        unchecked = chart.templated + chart.packaged
        count = len(unchecked)
        shown = ", ".join(unchecked[:3]) + (f" and {count - 3} more" if count > 3 else "")
        what = " and ".join(part for part in (
            _counted(len(chart.templated), "template file") + (
                " with template directives" if chart.templated else ""),
            _counted(len(chart.packaged), "packaged subchart"),
        ) if part.strip())
        plain = len(chart.plain)
        checked = (f"{plain} plain template file{'' if plain == 1 else 's'} and the default "
                   "values were checked")
        if refused is not None:
            left = (f"{what} {'was' if count == 1 else 'were'} not checked ({shown}); "
                    if unchecked else "")
            notes.append(Notification(
                NAME, NotificationLevel.ERROR,
                f"this helm chart ({chart.name}) was not rendered: {refused}; {left}{checked}",
                target.rel,
            ))
            complete = False
        elif unchecked and why is not None:
            notes.append(Notification(
                NAME, NotificationLevel.ERROR,
                f"chart {chart.name}: {why}, so {what} {'was' if count == 1 else 'were'} not "
                f"rendered or checked ({shown}); installing helm 3 or 4 renders "
                f"{'it' if count == 1 else 'them'}. {checked}",
                target.rel,
            ))
            complete = False
        return complete
