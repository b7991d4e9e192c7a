"""pip requirements files: `name==version` pins, with the line each is written on.

Follows pip's reading: `\\` joins lines (the requirement keeps its first line), `#` starts a
comment at the start of a line or after whitespace, options start at the first word beginning
with `-`. `-r`/`-c` files are returned as includes; editable installs, URLs, paths and ranges
cannot be audited from the file alone and are returned as unpinned with a reason."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullscan.deps.lockfiles._common import (
    Collector,
    LockfileError,
    ReadResult,
    check_text,
    physical_lines,
)

_COMMENT = re.compile(r"(^|\s+)#.*$")
_INCLUDE = re.compile(
    r"(?P<option>-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?<=-r)|(?<=-c))(?P<path>\S+)"
)
_EDITABLE = re.compile(r"(?:-e|--editable)(?:\s*=\s*|\s+|(?<=-e))(?P<target>\S+)")
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_REQUIREMENT = re.compile(
    rf"(?P<name>{_NAME})\s*(?:\[(?P<extras>[^\]]*)\])?\s*"
    r"(?P<spec>\(?\s*(?:(?:===|==|~=|!=|<=|>=|<|>)\s*[^\s,;()=<>!~]+\s*,?\s*)*\)?)\s*"
    r"(?:;(?P<marker>.*))?"
)
_DIRECT_REFERENCE = re.compile(rf"{_NAME}\s*(?:\[[^\]]*\])?\s*@")
_CLAUSE = re.compile(r"(===|==|~=|!=|<=|>=|<|>)\s*([^\s,;()=<>!~]+)")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+!_-]*")
_URLISH = re.compile(
    r"^[a-zA-Z][a-zA-Z0-9+.-]*://|^(?:git|hg|svn|bzr)\+|^\.{0,2}[/\\]|^[a-zA-Z]:[/\\]"
)
_ARCHIVE = re.compile(r"\.(?:whl|tar\.gz|tgz|tar\.bz2|tar\.xz|zip)$", re.IGNORECASE)


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) per logical line: continuations joined, comments removed."""
    pending: list[str] = []
    first = 0
    for number, line in enumerate(physical_lines(text), 1):
        is_comment = line.lstrip().startswith("#")
        if line.endswith("\\") and not is_comment:
            if not pending:
                first = number
            pending.append(line[:-1])
            continue
        if pending:
            pending.append(line)
            joined, start = "".join(pending), first
            pending = []
        else:
            joined, start = line, number
        yield start, _uncomment(joined)
    if pending:
        yield first, _uncomment("".join(pending))


def _uncomment(line: str) -> str:
    return (_COMMENT.sub("", line) if "#" in line else line).strip()


def _requirement_part(line: str) -> str:
    """The words before the first option (`--hash=...`, `--config-settings`, ...)."""
    if " -" not in line and "\t-" not in line:
        return line
    words = line.split()
    for index, word in enumerate(words):
        if word.startswith("-"):
            return " ".join(words[:index])
    return line


def read_requirements(text: str) -> ReadResult:
    check_text(text)
    found = Collector("PyPI")
    for line, content in logical_lines(text):
        if not content:
            continue
        if content.startswith("-"):
            include = _INCLUDE.fullmatch(content)
            if include:
                found.includes.append((include.group("path"), line))
                if include.group("option") in ("-c", "--constraint"):
                    found.constraint_lines.add(line)
                continue
            editable = _EDITABLE.fullmatch(content)
            if editable:
                found.skip(editable.group("target"), line, "editable install")
            continue  # other global options (--index-url, --find-links, --pre, ...)
        _requirement(found, _requirement_part(content), line)
    return found.result()


def _requirement(found: Collector, requirement: str, line: int) -> None:
    if not requirement:
        return
    head = requirement.split(";", 1)[0].strip()
    if _DIRECT_REFERENCE.match(head):
        name = re.split(r"[\s\[@]", head, maxsplit=1)[0]
        found.skip(name, line, "direct URL reference")
        return
    if _URLISH.search(head) or _ARCHIVE.search(head):
        found.skip(head, line, "URL or local path")
        return
    match = _REQUIREMENT.fullmatch(requirement)
    if match is None or match.group("spec").count("(") != match.group("spec").count(")"):
        raise LockfileError("not a valid requirement", line)
    name = match.group("name")
    clauses = _CLAUSE.findall(match.group("spec"))
    if not clauses:
        found.skip(name, line, "no version pinned")
        return
    if len(clauses) == 1 and clauses[0][0] in ("==", "==="):
        version = clauses[0][1]
        if "*" in version:
            found.skip(name, line, "wildcard version")
            return
        if not _VERSION.fullmatch(version):
            raise LockfileError("not a valid version", line)
        found.add(name, version, line)
        return
    found.skip(name, line, "not pinned to one version")
