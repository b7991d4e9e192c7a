"""composer.lock (JSON): `packages` and `packages-dev`; a leading `v` is dropped from versions,
branch versions (`dev-main`, `1.x-dev`) are unpinned. The line is the entry's `"name"` key."""

from __future__ import annotations

import re

from hullscan.deps.lockfiles._common import (
    Collector,
    LockfileError,
    Path_,
    ReadResult,
    load_json_object,
    text_of,
)

_SECTIONS = ("packages", "packages-dev")
_V_PREFIX = re.compile(r"[vV](?=\d)")


def _descend(path: Path_) -> bool:
    return path == () or (1 <= len(path) <= 2 and path[0] in _SECTIONS)


def read_composer_lock(text: str) -> ReadResult:
    data, parsed = load_json_object(text, _descend)
    found = Collector("Packagist")
    for section in _SECTIONS:
        packages = data.get(section, [])
        if not isinstance(packages, list):
            raise LockfileError(f"`{section}` is not an array", parsed.lines.get((section,)))
        for index, entry in enumerate(packages):
            if not isinstance(entry, dict):
                continue
            name = text_of(entry.get("name"))
            if name is None:
                continue
            line = parsed.lines.get((section, index, "name")) or parsed.lines.get(
                (section, index), 1
            )
            version = text_of(entry.get("version"))
            if version is None:
                found.skip(name, line, "no version")
            elif version.startswith("dev-") or version.endswith("-dev"):
                found.skip(name, line, "development branch")
            else:
                found.add(name, _V_PREFIX.sub("", version, count=1), line)
    return found.result()
