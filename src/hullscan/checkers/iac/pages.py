"""checkov's rule metadata: each check's categories (its severity) and its own page, read from
the registries checkov keeps them in; the rule of a check."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hullscan.checkers.iac.common import POLICY_INDEX, RENDERERS
from hullscan.core.catalog import tool_rule
from hullscan.core.model import (
    Rule,
)

log = logging.getLogger("hullscan.iac")


def runner_checks(runner: Any) -> Iterator[tuple[str, Any]]:
    """Every check a checkov runner runs, with where it was found: "registry" (the runner's
    own), "module" (the module-level registries of its class's modules, where most runners,
    Terraform and CloudFormation among them, keep their resource checks; `import_registry()`
    of openapi and the other YAML runners), "graph" (its graph registry: JSON/YAML checks)."""
    registry = getattr(runner, "registry", None)
    modules: list[Any] = []
    for cls in type(runner).__mro__:  # terraform's registries are its base runner's
        module = sys.modules.get(cls.__module__)
        if module is not None and module.__name__.startswith("checkov."):
            modules.extend(vars(module).values())
    importer = getattr(runner, "import_registry", None)
    if callable(importer):
        try:
            modules.append(importer())
        except Exception:
            log.debug("checkov's import_registry failed", exc_info=True)
    for where, candidates in (("registry", [registry]), ("module", modules)):
        for value in candidates:
            checks = getattr(value, "checks", None)
            if not isinstance(checks, dict) or isinstance(value, type):
                continue
            wildcard = getattr(value, "wildcard_checks", None)
            for group in (*checks.values(), *(wildcard.values() if isinstance(wildcard, dict)
                                               else ())):
                for check in group if isinstance(group, list) else []:
                    if isinstance(getattr(check, "id", None), str):
                        yield where, check
    for check in getattr(getattr(runner, "graph_registry", None), "checks", None) or []:
        if isinstance(getattr(check, "id", None), str):
            yield "graph", check


def _categories(runner: Any) -> dict[str, list[str]]:
    """Each check's categories (its severity comes from them), and each check's page
    remembered. The runner's own registry wins, then the graph checks, then the module-level
    registries (without these, every Terraform and CloudFormation check fell back to medium)."""
    names: dict[str, dict[str, list[str]]] = {"registry": {}, "graph": {}, "module": {}}
    pages: dict[str, dict[str, str | None]] = {"registry": {}, "graph": {}, "module": {}}
    for where, check in runner_checks(runner):
        # graph (YAML/JSON) checks carry one `category` string, Python checks `categories`
        cats = getattr(check, "categories", None) or [
            c for c in [getattr(check, "category", None)] if isinstance(c, str) and c]
        listed = [getattr(c, "name", str(c)) for c in cats]
        if where == "registry":
            names[where][check.id] = listed
        else:
            names[where].setdefault(check.id, listed)
        pages[where].setdefault(check.id, (
            getattr(check, "check_path", None) if where == "graph" else None
        ) or _check_file(check))
    out: dict[str, list[str]] = {}
    for where in ("registry", "graph", "module"):
        for check_id, listed in names[where].items():
            out.setdefault(check_id, listed)
        for check_id, source in pages[where].items():
            _remember_page(_page_scope(runner), check_id, source)
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
    from hullscan.checkers.iac.checkov import _Checkov  # imports checkov itself

    try:
        if name not in sys.modules:
            _Checkov({framework})  # imports checkov as a run does (its logging kept out)
        module = importlib.import_module(name)
    except Exception:  # checkov broken or another layout: the policy index stays
        log.debug("checkov's kubernetes registry is not importable", exc_info=True)
        return
    _categories(module)




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
