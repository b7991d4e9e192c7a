"""pyproject.toml: PEP 621 `[project]` dependencies and optional dependencies (PEP 508 strings),
and Poetry's `[tool.poetry.*dependencies]` tables. Exact pins are dependencies; everything else
is unpinned (pip-audit resolves PEP 621 requirements online; Poetry projects have poetry.lock)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hullscan.deps.lockfiles._common import Collector, ReadResult, load_toml, physical_lines
from hullscan.deps.lockfiles.requirements import _requirement

_EXACT_POETRY = re.compile(r"\s*(?:==?)?\s*(\d[0-9A-Za-z.+!_-]*)\s*")


def pep621_requirements(data: dict[str, Any]) -> list[str]:
    project = data.get("project")
    if not isinstance(project, dict):
        return []
    out = [r for r in project.get("dependencies") or [] if isinstance(r, str)]
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        for group in optional.values():
            if isinstance(group, list):
                out.extend(r for r in group if isinstance(r, str))
    return out


def read_pyproject(text: str) -> ReadResult:
    data = load_toml(text)
    lines = physical_lines(text)
    found = Collector("PyPI")
    cursor = 0
    for requirement in pep621_requirements(data):
        line, cursor = _line_of_string(lines, requirement, cursor)
        _requirement(found, requirement.strip(), line)
    for header, table in _poetry_tables(data):
        start = _table_line(lines, header)
        for name, spec in table.items():
            if name == "python" or not isinstance(name, str):
                continue
            line = _key_line(lines, start, name)
            version = spec if isinstance(spec, str) else (
                spec.get("version") if isinstance(spec, dict) else None)
            exact = _EXACT_POETRY.fullmatch(version) if isinstance(version, str) else None
            if exact:
                found.add(name, exact.group(1), line, direct=True)
            elif isinstance(spec, dict) and not isinstance(version, str):
                found.skip(name, line, "git, path or URL dependency")
            else:
                found.skip(name, line, "not pinned to one version (use poetry.lock)")
    return found.result()


def _poetry_tables(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if not isinstance(poetry, dict):
        return
    for key in ("dependencies", "dev-dependencies"):
        if isinstance(poetry.get(key), dict):
            yield f"tool.poetry.{key}", poetry[key]
    groups = poetry.get("group")
    if isinstance(groups, dict):
        for group, body in groups.items():
            if isinstance(body, dict) and isinstance(body.get("dependencies"), dict):
                yield f"tool.poetry.group.{group}.dependencies", body["dependencies"]


def _line_of_string(lines: list[str], value: str, start: int) -> tuple[int, int]:
    """1-based line of the first quoted `value` at or after index `start`."""
    for quote in ('"', "'"):
        needle = f"{quote}{value}{quote}"
        for index in range(start, len(lines)):
            if needle in lines[index]:
                return index + 1, index
    return 1, start


def _table_line(lines: list[str], header: str) -> int:
    pattern = re.compile(r"^\s*\[\s*" + re.escape(header).replace(r"\.", r"\s*\.\s*") + r"\s*\]")
    return next((i for i, line in enumerate(lines) if pattern.match(line)), 0)


def _key_line(lines: list[str], start: int, name: str) -> int:
    pattern = re.compile(r"^\s*[\"']?" + re.escape(name) + r"[\"']?\s*=")
    for index in range(start, len(lines)):
        if index > start and lines[index].lstrip().startswith("["):
            break
        if pattern.match(lines[index]):
            return index + 1
    return start + 1
