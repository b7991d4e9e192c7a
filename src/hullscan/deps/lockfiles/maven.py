"""pom.xml: `<dependency>` elements of the project, its `<dependencyManagement>` and its profiles.

Read with expat directly, which gives each element's line; a DOCTYPE (and with it any entity
declaration, internal or external) is refused before anything is expanded. `${property}`
versions are resolved from the same pom's `<properties>` and the project's own coordinates;
versions that stay unresolved, ranges and dependencies without a version (managed by a parent or
a BOM) are unpinned. The name is `groupId:artifactId`, the line the `<artifactId>` element's."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from hullscan.deps.lockfiles._common import (
    Collector,
    LockfileError,
    ReadResult,
    check_text,
    one_line,
)

_PROPERTY = re.compile(r"\$\{([^}]*)\}")
MAX_ELEMENTS = 1_000_000


@dataclass
class _Element:
    tag: str
    line: int
    children: list[_Element] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()

    def child(self, tag: str) -> _Element | None:
        return next((child for child in self.children if child.tag == tag), None)

    def all(self, tag: str) -> list[_Element]:
        return [child for child in self.children if child.tag == tag]

    def child_text(self, tag: str) -> str | None:
        child = self.child(tag)
        return child.text if child is not None else None


class _Refused(Exception):
    pass


def parse_xml(text: str) -> _Element:
    """The document's element tree (local names, with lines), or LockfileError."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root: list[_Element] = []
    stack: list[_Element] = []
    count = 0

    def refuse_doctype(*_: object) -> None:
        raise _Refused("refused: a DOCTYPE (entity declarations are not allowed in a pom)")

    def refuse_entity(*_: object) -> None:
        raise _Refused("refused: entity declarations are not allowed in a pom")

    def start(tag: str, _attributes: dict[str, str]) -> None:
        nonlocal count
        count += 1
        if count > MAX_ELEMENTS:
            raise _Refused(f"refused: more than {MAX_ELEMENTS:,} elements")
        element = _Element(tag.rpartition(":")[2], parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(element)
        else:
            root.append(element)
        stack.append(element)

    def end(_tag: str) -> None:
        stack.pop()

    def data(chunk: str) -> None:
        if stack:
            stack[-1].parts.append(chunk)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = lambda *_: 0
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        parser.Parse(text, True)
    except _Refused as exc:
        raise LockfileError(str(exc), parser.CurrentLineNumber) from None
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code) if exc.code else str(exc)
        raise LockfileError(f"invalid XML: {one_line(reason)}", exc.lineno) from None
    except (ValueError, RecursionError) as exc:
        raise LockfileError(f"invalid XML: {type(exc).__name__}") from None
    if not root:
        raise LockfileError("invalid XML: no root element")
    return root[0]


def _properties(project: _Element) -> dict[str, str]:
    values: dict[str, str] = {}
    properties = project.child("properties")
    if properties is not None:
        for element in properties.children:
            values[element.tag] = element.text
    parent = project.child("parent")
    for key in ("groupId", "artifactId", "version"):
        own = project.child_text(key)
        inherited = parent.child_text(key) if parent is not None else None
        if inherited is not None:
            values[f"project.parent.{key}"] = inherited
            values[f"parent.{key}"] = inherited
        value = own if own is not None else (inherited if key != "artifactId" else None)
        if value is not None:
            values[f"project.{key}"] = value
            values[f"pom.{key}"] = value
            if key == "version":
                values["version"] = value
    return values


def resolve(value: str, properties: dict[str, str]) -> str:
    """`value` with `${name}` replaced from `properties` (nested up to 10 levels); unknown
    properties stay as written."""
    for _ in range(10):
        if "${" not in value:
            break
        replaced = _PROPERTY.sub(lambda m: properties.get(m.group(1), m.group(0)), value)
        if replaced == value:
            break
        value = replaced
    return value


def _dependency_lists(project: _Element) -> list[tuple[_Element, bool | None]]:
    lists: list[tuple[_Element, bool | None]] = []
    for holder in [project, *_profiles(project)]:
        for dependencies in holder.all("dependencies"):
            lists.append((dependencies, True))
        for management in holder.all("dependencyManagement"):
            for dependencies in management.all("dependencies"):
                lists.append((dependencies, None))
    return lists


def _profiles(project: _Element) -> list[_Element]:
    return [p for profiles in project.all("profiles") for p in profiles.all("profile")]


def read_pom(text: str) -> ReadResult:
    check_text(text)
    project = parse_xml(text)
    if project.tag != "project":
        raise LockfileError("not a Maven POM (the root element is not <project>)", project.line)
    properties = _properties(project)
    found = Collector("Maven")
    entries: list[tuple[int, _Element, bool | None]] = []
    for dependencies, direct in _dependency_lists(project):
        for dependency in dependencies.all("dependency"):
            entries.append((dependency.line, dependency, direct))
    entries.sort(key=lambda item: item[0])
    for _, dependency, direct in entries:
        artifact = dependency.child("artifactId")
        line = artifact.line if artifact is not None else dependency.line
        group = resolve(dependency.child_text("groupId") or "", properties)
        artifact_id = resolve(artifact.text if artifact is not None else "", properties)
        if not group or not artifact_id:
            found.skip(f"{group}:{artifact_id}", line, "no groupId or artifactId")
            continue
        name = f"{group}:{artifact_id}"
        written = dependency.child_text("version")
        if not written:
            found.skip(name, line, "no version here (managed by a parent or BOM)")
            continue
        version = resolve(written, properties)
        unresolved = _PROPERTY.search(version)
        if unresolved:
            found.skip(name, line, f"unresolved property ${{{unresolved.group(1)}}}")
        elif "${" in name:
            found.skip(name, line, "unresolved property in the coordinates")
        elif version[:1] in "[(" or "," in version:
            found.skip(name, line, "version range")
        elif version in ("LATEST", "RELEASE"):
            found.skip(name, line, f"{version} is not a version")
        else:
            found.add(name, version, line, direct)
    return found.result()
