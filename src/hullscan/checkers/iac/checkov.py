"""The checkov adapter: checkov in process with only the runners the files need (Terraform's
checks loaded only when Terraform is checked), one batch per framework, one by one on failure."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from importlib.abc import InspectLoader
from pathlib import Path
from typing import Any

from hullscan.checkers.iac.common import NAME, RENDERERS, RUNNERS, _File, _short
from hullscan.checkers.iac.pages import _categories
from hullscan.checkers.iac.results import _finding, _parsing_errors, _records
from hullscan.core.errors import ToolMissingError
from hullscan.core.model import (
    Finding,
    Notification,
    NotificationLevel,
)
from hullscan.discover import Target
from hullscan.iac import render

log = logging.getLogger("hullscan.iac")


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




def _terraform_context(files: Sequence[_File]) -> list[str]:
    """Terraform needs its module: every .tf file of the folders of the changed files."""
    folders = sorted({f.target.path.parent for f in files})
    paths = {str(f.target.path) for f in files}
    for folder in folders:
        for candidate in sorted(folder.glob("*.tf")):
            paths.add(str(candidate))
    return sorted(paths)


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


def _kustomize_rendered(runner: Any, folder: Path) -> bool:
    """Whether checkov's kustomize runner got manifests out of `folder` (it says nothing when
    the build fails)."""
    mappings = getattr(runner, "kustomizeFileMappings", None)
    if not isinstance(mappings, dict):
        return True  # another checkov version: nothing to tell
    wanted = os.path.realpath(folder)
    return any(os.path.realpath(str(source)) == wanted for source in mappings.values())
