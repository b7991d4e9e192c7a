"""yarn.lock, classic (v1) and berry (v2+).

An entry starts at an unindented line listing its descriptors and ending with `:`
(`"a@^1", "a@^1.1":` in v1, `"a@npm:^1, a@npm:^1.1":` in berry); its two-space-indented body
holds `version "1.2.3"` (v1) or `version: 1.2.3` and `resolution: "a@npm:1.2.3"` (berry). The
line is the entry's first line. Workspace entries are the project's own; other non-registry
entries (git, file, link, tarball URLs) are unpinned."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hullscan.deps.lockfiles._common import (
    Collector,
    LockfileError,
    ReadResult,
    check_text,
    is_semver,
    physical_lines,
)

_FIELD = re.compile(r"  (?P<key>[A-Za-z_-]+):?\s+(?P<value>.*?)\s*")
_REGISTRY_PROTOCOLS = ("npm:",)


@dataclass
class _Entry:
    line: int
    descriptors: list[str]
    fields: dict[str, str] = field(default_factory=dict)


def split_descriptor(descriptor: str) -> tuple[str, str] | None:
    """`@scope/name@range` -> (`@scope/name`, `range`)."""
    at = descriptor.find("@", 1)
    if at <= 0:
        return None
    return descriptor[:at], descriptor[at + 1 :]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _entries(text: str) -> list[_Entry]:
    entries: list[_Entry] = []
    current: _Entry | None = None
    for number, line in enumerate(physical_lines(text), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not line[0].isspace():
            if not stripped.endswith(":"):
                raise LockfileError("expected an entry (descriptors ending with ':')", number)
            descriptors = [_unquote(part.strip()) for part in stripped[:-1].split(",")]
            # berry quotes the whole list: "a@npm:^1, a@npm:^1.1":
            descriptors = [_unquote(d.strip()) for part in descriptors for d in part.split(",")]
            current = _Entry(number, [d for d in descriptors if d])
            entries.append(current)
            continue
        if current is None:
            raise LockfileError("indented line before the first entry", number)
        if line.startswith("  ") and not line.startswith("   "):
            match = _FIELD.fullmatch(line)
            if match:
                current.fields.setdefault(match.group("key"), _unquote(match.group("value")))
    return entries


def _is_registry_range(spec: str) -> bool:
    if spec.startswith(_REGISTRY_PROTOCOLS):
        return True
    return ":" not in spec and "/" not in spec


def read_yarn_lock(text: str) -> ReadResult:
    check_text(text)
    found = Collector("npm")
    for entry in _entries(text):
        if entry.descriptors == ["__metadata"]:
            continue
        parsed = [split_descriptor(d) for d in entry.descriptors]
        pairs = [pair for pair in parsed if pair is not None]
        if not pairs:
            raise LockfileError("entry without a package name", entry.line)
        name, spec = pairs[0]
        version = entry.fields.get("version")
        resolution = entry.fields.get("resolution")
        if resolution is not None:  # berry: the resolution names the real package
            resolved = split_descriptor(resolution)
            if resolved is None:
                raise LockfileError("invalid resolution", entry.line)
            name, reference = resolved
            if reference.startswith("workspace:"):
                continue
            registry = reference.startswith("npm:") or (
                reference.startswith("patch:") and ("@npm%3A" in reference or "@npm:" in reference)
            )
        else:
            if spec.startswith("npm:"):  # v1 alias: "alias@npm:real@^1"
                real = split_descriptor(spec[4:])
                if real is not None:
                    name = real[0]
            registry = all(_is_registry_range(range_) for _, range_ in pairs)
        if version is None:
            raise LockfileError("entry without a version", entry.line)
        if not registry:
            found.skip(name, entry.line, "not from the registry (git, file, link or URL)")
        elif not is_semver(version):
            found.skip(name, entry.line, "not a registry version")
        else:
            found.add(name, version, entry.line)
    return found.result()
