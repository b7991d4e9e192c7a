"""Pipfile.lock (JSON): the `default` and `develop` maps, `"version": "==1.2.3"`."""

from __future__ import annotations

from hullscan.deps.lockfiles._common import (
    Collector,
    LockfileError,
    Path_,
    ReadResult,
    load_json_object,
    text_of,
)

_SECTIONS = ("default", "develop")


def _descend(path: Path_) -> bool:
    return path == () or (len(path) == 1 and path[0] in _SECTIONS)


def read_pipfile_lock(text: str) -> ReadResult:
    data, parsed = load_json_object(text, _descend)
    found = Collector("PyPI")
    for section in _SECTIONS:
        packages = data.get(section, {})
        if not isinstance(packages, dict):
            raise LockfileError(f"`{section}` is not an object", parsed.lines.get((section,)))
        for name, entry in packages.items():
            if not isinstance(entry, dict) or not name:
                continue
            line = parsed.lines.get((section, name), 1)
            version = text_of(entry.get("version"))
            if version is not None and version.startswith("==="):
                found.add(name, version[3:].strip(), line)
            elif version is not None and version.startswith("==") and "*" not in version:
                found.add(name, version[2:].strip(), line)
            elif entry.get("editable"):
                found.skip(name, line, "editable install")
            elif "git" in entry or "hg" in entry or "svn" in entry:
                found.skip(name, line, "VCS source")
            elif "path" in entry or "file" in entry:
                found.skip(name, line, "URL or local path")
            else:
                found.skip(name, line, "no version pinned")
    return found.result()
