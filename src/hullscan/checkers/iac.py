"""The IaC checker: checkov (in process, only the runners the files need) for Terraform,
CloudFormation, Kubernetes, GitHub workflows, serverless, ARM/Bicep and OpenAPI, with real
severities, each result on the line of the offending key; plus hullscan's own workload rules on
Kubernetes manifests (image trust, hostPath).

checkov is an optional extra (`hullscan[iac]`) and is imported only here, inside `check`.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import logging
import os
import re
import shutil
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib.abc import InspectLoader
from pathlib import Path
from typing import Any

from hullscan.catalog import tool_rule
from hullscan.checkers.interface import CheckContext
from hullscan.discover import Target
from hullscan.errors import ToolError, ToolMissingError
from hullscan.iac import helm, k8s, locate, render, workflows
from hullscan.iac.detect import framework_of
from hullscan.iac.severity import severity_for
from hullscan.model import (
    CheckerResult,
    Finding,
    Location,
    Notification,
    NotificationLevel,
    Rule,
    Suppression,
    SuppressionKind,
    ToolInfo,
)
from hullscan.redact import redact
from hullscan.textfile import UnreadableFile
from hullscan.yamlsafe import YamlProblem, line_of, load_all, start_line

log = logging.getLogger("hullscan.iac")

NAME = "iac"
CHECKOV_URI = "https://www.checkov.io/"
POLICY_INDEX = "https://www.checkov.io/5.Policy%20Index/{}.html"

# framework -> checkov runner module (imported only when files of that framework exist)
# frameworks that render a folder with an external binary first (checked only when it exists)
RENDERERS: dict[str, tuple[str, ...]] = {"helm": ("helm",), "kustomize": ("kustomize", "kubectl")}
RUNNERS: dict[str, str] = {
    "helm": "checkov.helm.runner",
    "kustomize": "checkov.kustomize.runner",
    "terraform": "checkov.terraform.runner",
    "terraform_plan": "checkov.terraform.plan_runner",
    "cloudformation": "checkov.cloudformation.runner",
    "kubernetes": "checkov.kubernetes.runner",
    "github_actions": "checkov.github_actions.runner",
    "serverless": "checkov.serverless.runner",
    "arm": "checkov.arm.runner",
    "bicep": "checkov.bicep.runner",
    "openapi": "checkov.openapi.runner",
}
YAML_FRAMEWORKS = frozenset(
    {"cloudformation", "kubernetes", "github_actions", "serverless", "arm", "openapi",
     "terraform_plan"}
)
# checkov checks that one of hullscan's shared rules covers: dropped when that rule reported
# on the same line (image checks, on the `image:` line) or in the same file (the socket check,
# which checkov reports on the resource's first line and hullscan on the hostPath).
SUPERSEDES: dict[str, tuple[frozenset[str], str]] = {
    "CKV_K8S_14": (frozenset({"HS102"}), "line"),
    "CKV_K8S_43": (frozenset({"HS101", "HS102"}), "line"),
    "CKV_K8S_27": (frozenset({"HS140"}), "file"),
    # zizmor's workflow audits are finer than checkov's: one finding per problem.
    "CKV_GHA_2": (frozenset({"zizmor/template-injection"}), "line"),
    "CKV2_GHA_1": (frozenset({"zizmor/excessive-permissions"}), "file"),
    "CKV_GHA_1": (frozenset({"zizmor/insecure-commands"}), "file"),
    "zizmor/unpinned-images": (frozenset({"HS101", "HS102"}), "line"),
}


@dataclass
class _File:
    target: Target
    framework: str
    text: str
    documents: list[Any] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


def drop_superseded(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per problem: drop a tool's finding when the rule that covers the same
    concept reported on the same line (or in the same file, for file-scoped entries)."""
    lines = {(f.location.path, f.location.start_line, f.rule.id) for f in findings}
    files = {(f.location.path, f.rule.id) for f in findings}
    kept = []
    for finding in findings:
        covered, scope = SUPERSEDES.get(finding.rule.id, (frozenset(), ""))
        loc = finding.location
        if scope == "line" and any((loc.path, loc.start_line, r) in lines for r in covered):
            continue
        if scope == "file" and any((loc.path, r) in files for r in covered):
            continue
        kept.append(finding)
    return kept


def _drop_rendered_duplicates(findings: Sequence[Finding]) -> list[Finding]:
    """A kustomization's rendered resources repeat its plain manifests: keep a rendered finding
    only when the plain manifest did not already report that check on that resource (what a
    patch or an overlay changed)."""
    plain = {
        (f.rule.id, f.properties.get("resource"))
        for f in findings if f.properties.get("framework") == "kubernetes"
    }
    kept = []
    for finding in findings:
        if finding.properties.get("framework") in RENDERERS:
            resource = str(finding.properties.get("resource", "")).rsplit(":", 1)[-1]
            if (finding.rule.id, resource) in plain:
                continue
        kept.append(finding)
    return kept


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


def _rendered_source(framework: str, folder: Path, record: Any) -> Path | None:
    """The file of `folder` a result on a rendered file (in checkov's temporary folder, removed
    when its run ends) belongs to. Helm: checkov writes helm's output as
    `<chart name>/<path in the chart>`, from the `# Source:` comment helm puts before each
    document, and reports that file; its own mapping back to the templates is built in worker
    processes and lost (checkov 3.3). Kustomize: graph checks keep the kustomization's own
    path in `file_path`."""
    source = str(getattr(record, "file_path", "") or "").replace("\\", "/")
    if framework == "helm":
        inside = source.lstrip("/").partition("/")[2]
        if not inside:
            return None
        candidate = folder / inside
    elif framework == "kustomize" and Path(source).is_absolute():
        candidate = Path(source)
    else:
        return None
    try:
        candidate.resolve().relative_to(folder.resolve())
    except (OSError, RuntimeError, ValueError):
        return None
    return candidate if candidate.is_file() else None


def _template_line(lines: Sequence[str], keys: Sequence[str]) -> int:
    """The line of a Helm template holding the offending key: the first line that sets the
    key's last name (templates are not YAML until rendered, so this is a search, not a walk);
    the template's first line when none does."""
    for key in keys:
        names = [part for part in key.split("/") if part and not part.startswith("[")]
        if not names:
            continue
        pattern = re.compile(rf"^\s*(?:-\s+)?[\"']?{re.escape(names[-1])}[\"']?\s*:")
        for number, text in enumerate(lines, start=1):
            if pattern.match(text):
                return number
    return 1


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


def _kustomize_rendered(runner: Any, folder: Path) -> bool:
    """Whether checkov's kustomize runner got manifests out of `folder` (it says nothing when
    the build fails)."""
    mappings = getattr(runner, "kustomizeFileMappings", None)
    if not isinstance(mappings, dict):
        return True  # another checkov version: nothing to tell
    wanted = os.path.realpath(folder)
    return any(os.path.realpath(str(source)) == wanted for source in mappings.values())


def _framework_by_name(target: Target) -> str | None:
    """For files named explicitly (`hullscan iac FILE`): a best guess from the extension."""
    name = target.path.name.lower()
    if name.endswith((".yaml", ".yml")):
        return "kubernetes"
    if name.endswith(".json"):
        return "cloudformation"
    return None


_TERRAFORM = "checkov.terraform"
_TERRAFORM_CHECKS = "checkov.terraform.checks"
# in a deferred `checkov.terraform`: the code of its `__init__`'s check imports, not run yet
_DEFERRED = "__hullscan_deferred_checks__"


def _imports_checks(node: ast.stmt) -> bool:
    """Whether a statement of `checkov.terraform`'s `__init__` imports Terraform checks."""
    if isinstance(node, ast.ImportFrom):
        names = [node.module or ""] if node.level == 0 else [
            f"{_TERRAFORM}.{node.module}" if node.module else _TERRAFORM]
    elif isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        return False
    return any(n == _TERRAFORM_CHECKS or n.startswith(f"{_TERRAFORM_CHECKS}.") for n in names)


def _defer_terraform_checks() -> None:
    """Import `checkov.terraform` without its Terraform checks.

    checkov's other runners import from the `checkov.terraform` package: graph classes from its
    submodules, and the names its `__init__` re-exports from `checkov.terraform.modules`
    (`TFModule`, `TFDefinitionKey`, `get_abs_path`, ...; CloudFormation's runner reaches
    `graph_builder/foreach/module_handler.py`, which imports `TFModule` from it). The same
    `__init__` star-imports every Terraform check, most of the import time of a one-file
    Kubernetes run. So when no Terraform file is checked, run that `__init__` without its imports
    of `checkov.terraform.checks`: every name other packages import from it is defined, the
    checks are not loaded. Whatever the `__init__` of the installed checkov holds, only those
    imports are set aside; `_load_terraform_checks` runs them when a later run in this process
    checks Terraform, and so does reading any other attribute of the package."""
    if _TERRAFORM in sys.modules:
        return
    spec = importlib.util.find_spec(_TERRAFORM)
    if spec is None or spec.origin is None or not isinstance(spec.loader, InspectLoader):
        return
    source = spec.loader.get_source(_TERRAFORM)
    if source is None:
        return
    body = ast.parse(source, spec.origin).body
    checks = [node for node in body if _imports_checks(node)]
    if not checks:
        return  # nothing to set aside: the normal import is as fast
    rest = [node for node in body if not _imports_checks(node)]
    module = importlib.util.module_from_spec(spec)

    def load_on_access(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        _load_terraform_checks()
        try:
            return module.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {_TERRAFORM!r} has no attribute {name!r}") from None

    module.__dict__[_DEFERRED] = compile(ast.Module(checks, type_ignores=[]), spec.origin, "exec")
    module.__dict__["__getattr__"] = load_on_access
    parent = sys.modules["checkov"]
    sys.modules[_TERRAFORM] = module
    setattr(parent, "terraform", module)  # noqa: B010 - what import does
    try:
        exec(compile(ast.Module(rest, type_ignores=[]), spec.origin, "exec"), module.__dict__)
    except BaseException:
        del sys.modules[_TERRAFORM]  # as a failed import leaves it
        delattr(parent, "terraform")
        raise


def _load_terraform_checks() -> None:
    """Run the check imports `_defer_terraform_checks` set aside (once; no-op otherwise)."""
    module = sys.modules.get(_TERRAFORM)
    code = module.__dict__.pop(_DEFERRED, None) if module is not None else None
    if module is None or code is None:
        return
    try:
        exec(code, module.__dict__)
    except BaseException:
        module.__dict__[_DEFERRED] = code  # the next run tries again rather than run without
        raise
    module.__dict__.pop("__getattr__", None)


class _Checkov:
    """checkov, imported lazily; one `run` per framework within this one invocation."""

    def __init__(self, frameworks: Iterable[str]) -> None:
        root_logger = logging.getLogger()
        handlers, level = list(root_logger.handlers), root_logger.level
        try:
            if not {"terraform", "terraform_plan"} & set(frameworks):
                _defer_terraform_checks()
            from checkov.runner_filter import RunnerFilter
            from checkov.version import version
        except ImportError as exc:
            raise ToolMissingError(
                "checkov", "checkov is not installed (pip install 'hullscan[iac]')"
            ) from exc
        finally:
            # checkov's import configures the root logger (a stderr handler, DEBUG records kept
            # in memory): hullscan's output stays its own.
            for handler in list(root_logger.handlers):
                if handler not in handlers:
                    root_logger.removeHandler(handler)
            root_logger.setLevel(level)
        # No remote guidelines or platform calls: nothing here logs in to a platform.
        os.environ.setdefault("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
        logging.getLogger("checkov").setLevel(logging.CRITICAL)
        self.filter_class = RunnerFilter
        self.version = str(version)

    def run(
        self, framework: str, files: Sequence[_File], root: Path
    ) -> tuple[list[Finding], list[Notification]]:
        if framework not in RUNNERS:
            return [], [Notification(NAME, NotificationLevel.NOTE,
                                     f"no checkov runner for {framework}")]
        if framework in RENDERERS:
            return self._run_rendered(framework, files, root)
        by_abs = {str(f.target.path): f for f in files}
        paths = list(by_abs)
        if framework == "terraform":
            paths = _terraform_context(files)
        try:
            runner, reports = self._run(framework, paths)
        except Exception as exc:  # checkov crashed: isolate the file(s) that make it crash
            log.debug("checkov %s crashed on the batch", framework, exc_info=True)
            return self._run_one_by_one(framework, files, root, exc)
        return (
            self._convert(framework, runner, reports, by_abs, root),
            _parsing_errors(reports, by_abs),
        )

    def _run_rendered(
        self, framework: str, files: Sequence[_File], root: Path
    ) -> tuple[list[Finding], list[Notification]]:
        """Helm charts and kustomizations: checkov renders the folder; results on its files."""
        findings: list[Finding] = []
        notes: list[Notification] = []
        for item in files:
            folder = item.target.path.parent
            try:
                with render.guarded():  # no network, no plugins, no tokens (iac/render.py)
                    module = importlib.import_module(RUNNERS[framework])
                    runner = module.Runner()
                    missing = runner.check_system_deps()  # also picks the renderer command
                    if missing:
                        notes.append(Notification(
                            NAME, NotificationLevel.NOTE,
                            f"no usable {' or '.join(RENDERERS[framework])} to render this "
                            f"{framework} folder; not checked",
                            item.target.rel,
                        ))
                        continue
                    runner_filter = self.filter_class(framework=[framework],
                                                      show_progress_bar=False)
                    report = runner.run(root_folder=str(folder), runner_filter=runner_filter)
            except Exception as exc:
                notes.append(Notification(NAME, NotificationLevel.ERROR,
                                          f"checkov {framework} crashed: {_short(exc)}",
                                          item.target.rel))
                continue
            if framework == "kustomize" and not _kustomize_rendered(runner, folder):
                notes.append(Notification(
                    NAME, NotificationLevel.ERROR,
                    "kustomize rendered nothing for this folder (the build failed); not checked",
                    item.target.rel,
                ))
                continue
            reports = report if isinstance(report, list) else [report]
            rendered: dict[str, _File] = {}
            lost = 0
            for rep in reports:
                for record, _ in _records(rep):
                    reported = str(getattr(record, "file_abs_path", "") or "")
                    if reported in rendered:
                        continue
                    path = Path(reported)
                    if not path.is_file():
                        path = _rendered_source(framework, folder, record) or path
                    if not path.is_file():
                        lost += 1
                        continue
                    try:
                        rel = path.resolve().relative_to(root).as_posix()
                    except ValueError:
                        lost += 1
                        continue
                    text = path.read_text("utf-8", "replace")
                    rendered[reported] = _File(Target(path, rel), framework, text)
            if lost:
                notes.append(Notification(
                    NAME, NotificationLevel.ERROR,
                    f"checkov {framework} reported {lost} result(s) on rendered files hullscan "
                    "could not trace back to this folder's files; those are not reported",
                    item.target.rel,
                ))
            findings.extend(self._convert(framework, runner, reports, rendered, root))
        return findings, notes

    def _run(self, framework: str, paths: list[str]) -> tuple[Any, list[Any]]:
        if framework in ("terraform", "terraform_plan"):
            _load_terraform_checks()  # set aside by an earlier run in this process, if any
        module = importlib.import_module(RUNNERS[framework])
        runner = module.Runner()
        runner_filter = self.filter_class(
            framework=[framework], download_external_modules=False, show_progress_bar=False,
        )
        report = runner.run(root_folder=None, files=paths, runner_filter=runner_filter)
        reports = report if isinstance(report, list) else [report]
        return runner, reports

    def _run_one_by_one(
        self, framework: str, files: Sequence[_File], root: Path, first_error: Exception
    ) -> tuple[list[Finding], list[Notification]]:
        findings: list[Finding] = []
        notes: list[Notification] = []
        parse_notes: list[Notification] = []
        for item in files:
            by_abs = {str(item.target.path): item}
            try:
                runner, reports = self._run(framework, list(by_abs))
            except Exception as exc:
                notes.append(Notification(
                    NAME, NotificationLevel.ERROR,
                    f"checkov crashed on this file: {type(exc).__name__}: {_short(exc)}",
                    item.target.rel,
                ))
                continue
            findings.extend(self._convert(framework, runner, reports, by_abs, root))
            parse_notes.extend(_parsing_errors(reports, by_abs))
        if not notes:  # the batch failed but every file passed alone
            notes.append(Notification(
                NAME, NotificationLevel.WARNING,
                f"checkov {framework} failed on the batch ({_short(first_error)}); "
                "files were checked one by one",
            ))
        return findings, notes + parse_notes

    def _convert(
        self, framework: str, runner: Any, reports: Iterable[Any],
        by_abs: dict[str, _File], root: Path,
    ) -> list[Finding]:
        categories = _categories(runner)
        findings: list[Finding] = []
        for report in reports:
            for record, suppressed in _records(report):
                path = str(getattr(record, "file_abs_path", "") or "")
                item = by_abs.get(path) or by_abs.get(os.path.abspath(path))
                if item is None:
                    continue  # context files (other .tf of the module) are not reported
                findings.append(_finding(framework, record, item, categories, suppressed))
        return findings


def _parsing_errors(reports: Iterable[Any], by_abs: dict[str, _File]) -> list[Notification]:
    notes = []
    for report in reports:
        for path in getattr(report, "parsing_errors", []) or []:
            item = by_abs.get(str(path)) or by_abs.get(os.path.abspath(str(path)))
            if item is not None:
                notes.append(Notification(
                    NAME, NotificationLevel.WARNING,
                    f"checkov could not parse this {item.framework} file; not checked",
                    item.target.rel,
                ))
    return notes


def _records(report: Any) -> Iterable[tuple[Any, bool]]:
    for record in getattr(report, "failed_checks", []) or []:
        yield record, False
    for record in getattr(report, "skipped_checks", []) or []:
        yield record, True


def _categories(runner: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    registries = [getattr(runner, "registry", None)]
    graph_registry = getattr(runner, "graph_registry", None)
    for registry in registries:
        if registry is None:
            continue
        for checks in (*getattr(registry, "checks", {}).values(),
                       *getattr(registry, "wildcard_checks", {}).values()):
            for check in checks:
                out[check.id] = [c.name for c in getattr(check, "categories", []) or []]
                _remember_page(_page_scope(runner), check.id, _check_file(check))
    for check in getattr(graph_registry, "checks", []) or []:
        # graph (YAML/JSON) checks carry one `category` string, Python checks `categories`
        cats = getattr(check, "categories", None) or [
            c for c in [getattr(check, "category", None)] if isinstance(c, str) and c]
        out.setdefault(check.id, [getattr(c, "name", str(c)) for c in cats])
        _remember_page(_page_scope(runner), check.id,
                       getattr(check, "check_path", None) or _check_file(check))
    for check_id, names in _module_checks(runner).items():
        out.setdefault(check_id, names)
    return out


def _module_checks(runner: Any) -> dict[str, list[str]]:
    """The categories (and pages) of the checks in the registries the runner's module uses:
    most checkov runners (Terraform, CloudFormation, ...) keep their resource checks in
    module-level registries, not on the runner, and without them every check of those
    frameworks fell back to medium instead of its category's severity."""
    out: dict[str, list[str]] = {}
    candidates: list[Any] = []
    for cls in type(runner).__mro__:  # terraform's registries are its base runner's
        module = sys.modules.get(cls.__module__)
        if module is not None and module.__name__.startswith("checkov."):
            candidates.extend(vars(module).values())
    importer = getattr(runner, "import_registry", None)  # openapi and the other YAML runners
    if callable(importer):
        try:
            candidates.append(importer())
        except Exception:
            log.debug("checkov's import_registry failed", exc_info=True)
    for value in candidates:
        checks = getattr(value, "checks", None)
        if not isinstance(checks, dict) or isinstance(value, type):
            continue
        wildcard = getattr(value, "wildcard_checks", None)
        for group in (*checks.values(), *(wildcard.values() if isinstance(wildcard, dict)
                                           else ())):
            for check in group if isinstance(group, list) else []:
                check_id = getattr(check, "id", None)
                if isinstance(check_id, str):
                    _remember_page(_page_scope(runner), check_id, _check_file(check))
                    out.setdefault(check_id, [
                        getattr(c, "name", str(c)) for c in getattr(check, "categories", []) or []
                    ])
    return out


# (framework, check id) -> the check's own page: its source in checkov's repository, as
# `checkov --list` links it (checkov.docs_generator.CODE_LINK_BASE + the file's path in the
# package); checkov's per-check guidelines come only from its platform, which hullscan never
# calls. Keyed by framework too: Terraform and CloudFormation share ids (CKV_AWS_24).
_CHECK_PAGES: dict[tuple[str, str], str] = {}
_CODE_LINK_BASE = "https://github.com/bridgecrewio/checkov/blob/main/checkov"
_LINK_BASES: list[str] = []


def _check_file(check: Any) -> str | None:
    try:
        return inspect.getfile(type(check))
    except (TypeError, OSError):
        return None


def _code_link_base() -> str:
    """checkov's own link base for `checkov --list`, read from its docs_generator's source (not
    imported: importing it loads every framework's checks); hullscan's copy otherwise."""
    if not _LINK_BASES:
        base = _CODE_LINK_BASE
        try:
            spec = importlib.util.find_spec("checkov.docs_generator")
            origin = spec.origin if spec is not None else None
            tree = ast.parse(Path(origin).read_text("utf-8")) if origin else None
        except (ImportError, OSError, SyntaxError, ValueError):
            tree = None
        for node in tree.body if tree is not None else []:
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "CODE_LINK_BASE" for t in node.targets) \
                    and isinstance(node.value, ast.Constant) \
                    and str(node.value.value).startswith("https://"):
                base = str(node.value.value).rstrip("/")
        _LINK_BASES.append(base)
    return _LINK_BASES[0]


def _page_scope(runner: Any) -> str:
    """The framework a runner's checks belong to (a module: the registry module's framework)."""
    scope = getattr(runner, "check_type", None)
    if isinstance(scope, str):
        return scope
    return str(getattr(runner, "__name__", "")).removeprefix("checkov.").split(".")[0]


def _remember_page(framework: str, check_id: str, source: str | None) -> None:
    """The page of a check whose code is a file of the installed checkov package (custom
    checks elsewhere keep the policy index)."""
    if (framework, check_id) in _CHECK_PAGES or not source:
        return
    spec = importlib.util.find_spec("checkov")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        try:
            inside = Path(os.path.realpath(source)).relative_to(os.path.realpath(folder))
        except ValueError:
            continue
        _CHECK_PAGES[framework, check_id] = f"{_code_link_base()}/{inside.as_posix()}"
        return


def _load_check_pages(framework: str) -> None:
    """The pages of a framework's resource checks without running its runner (the checks the
    values of an unrendered chart are reported with)."""
    name = "checkov.kubernetes.checks.resource.registry"
    if framework != "kubernetes":
        return
    try:
        if name not in sys.modules:
            _Checkov({framework})  # imports checkov as a run does (its logging kept out)
        module = importlib.import_module(name)
    except Exception:  # checkov broken or another layout: the policy index stays
        log.debug("checkov's kubernetes registry is not importable", exc_info=True)
        return
    _categories(module)


def _terraform_context(files: Sequence[_File]) -> list[str]:
    """Terraform needs its module: every .tf file of the folders of the changed files."""
    folders = sorted({f.target.path.parent for f in files})
    paths = {str(f.target.path) for f in files}
    for folder in folders:
        for candidate in sorted(folder.glob("*.tf")):
            paths.add(str(candidate))
    return sorted(paths)


def _rule(framework: str, check_id: str, name: str, guideline: str | None, sev: Any) -> Rule:
    # helm and kustomize results are the kubernetes runner's checks on rendered manifests
    scope = "kubernetes" if framework in RENDERERS else framework
    uri = (guideline or _CHECK_PAGES.get((framework, check_id))
           or _CHECK_PAGES.get((scope, check_id)) or POLICY_INDEX.format(framework))
    return tool_rule(
        check_id, f"checkov-{check_id.lower().replace('_', '-')}", name.rstrip("."),
        f"checkov {framework} check {check_id}", uri, sev,
        ("iac", framework.replace("_", "-"), "checkov"),
    )


def _finding(
    framework: str, record: Any, item: _File, categories: dict[str, list[str]], suppressed: bool
) -> Finding:
    check_id = str(record.check_id)
    severity = severity_for(check_id, categories.get(check_id, []))
    line_range = list(getattr(record, "file_line_range", None) or [1, 1])
    first, last = int(line_range[0] or 1), int(line_range[-1] or line_range[0] or 1)
    result = getattr(record, "check_result", {}) or {}
    keys = [str(k) for k in result.get("evaluated_keys", []) or []]
    keys += locate.FALLBACK_KEYS.get(check_id, [])
    line = _offending_line(framework, record, item, first, last, keys) or first
    resource = str(getattr(record, "resource", "") or "")
    name = str(getattr(record, "check_name", "") or check_id)
    suppression = None
    if suppressed:
        comment = str(result.get("suppress_comment") or "").strip()
        reasoned = bool(comment) and comment.lower() != "no comment provided"
        reason = comment if reasoned else "skipped with a checkov comment (no reason given)"
        suppression = Suppression(SuppressionKind.IN_SOURCE, redact(reason, prose=True),
                                  reasoned=reasoned)
    return Finding(
        rule=_rule(framework, check_id, name, getattr(record, "guideline", None), severity),
        checker=NAME,
        severity=severity,
        message=redact(f"{name} ({resource})" if resource else name, prose=True),
        location=Location(item.target.rel, max(1, line)),
        properties={"resource": resource, "framework": framework},
        suppression=suppression,
    )


def _offending_line(
    framework: str, record: Any, item: _File, first: int, last: int, keys: list[str]
) -> int | None:
    if framework == "helm":
        return _template_line(item.lines, keys)  # rendered lines are not the template's
    if not keys:
        return None
    if framework == "terraform":
        return locate.hcl_line(item.lines, first, last, keys)
    if not item.documents:
        return None
    document = locate.find_yaml_resource(item.documents, first)
    if document is None:
        return None
    root = document
    if framework == "kubernetes" and str(record.check_id) in RBAC_CHECKS:
        line = _rbac_line(str(record.check_id), document)
        if line is not None:
            return line
    if framework in ("cloudformation", "serverless"):
        root = locate.cloudformation_resource(document, str(getattr(record, "resource", "")))
        if root is None:
            return None
    elif framework == "terraform_plan":
        root = locate.mapping_at(document, first)
        if root is None:
            return None
    return locate.yaml_line(root, keys)


# checkov's RBAC checks evaluate a Role's `rules` without naming a key: each is placed on the
# rule that grants what it looks for (CKV_K8S_49 reads only the first rule, as checkov does)
RBAC_CHECKS = frozenset({"CKV_K8S_49", "CKV_K8S_155", "CKV_K8S_156", "CKV_K8S_157",
                         "CKV_K8S_158"})
_K8S_REGISTRY = "checkov.kubernetes.checks.resource.registry"


def _rbac_line(check_id: str, document: Any) -> int | None:
    """The line of the rule (its wildcard key, or its `verbs:`) that makes an RBAC check fail,
    asked of the check itself (its `rule_can` and `failing_operations`)."""
    rules = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(rules, list) or not rules:
        return None
    if check_id == "CKV_K8S_49":
        rule = rules[0]
        for key in ("apiGroups", "resources", "verbs"):
            values = rule.get(key) if isinstance(rule, dict) else None
            if isinstance(values, list) and any("*" in str(v) for v in values):
                return line_of(rule, key)
        return None
    module = sys.modules.get(_K8S_REGISTRY)
    registry = getattr(module, "registry", None)
    check = next((c for group in getattr(registry, "checks", {}).values() for c in group
                  if getattr(c, "id", None) == check_id), None)
    operations = getattr(check, "failing_operations", None)
    if check is None or not isinstance(operations, list):
        return None
    for rule in rules:
        try:
            grants = isinstance(rule, dict) and any(check.rule_can(rule, op) for op in operations)
        except Exception:  # another checkov's internals: the rules' line stays
            return None
        if grants:
            return line_of(rule, "verbs") or start_line(rule)
    return None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__


def helm_available() -> bool:
    return shutil.which("helm") is not None

