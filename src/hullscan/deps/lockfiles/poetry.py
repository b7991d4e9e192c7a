"""poetry.lock: `[[package]]` tables; the line is the entry's `name =` line."""

from __future__ import annotations

from hullscan.deps.lockfiles._common import Collector, ReadResult, load_toml, text_of, toml_tables

_NOT_AUDITABLE = {
    "git": "git source",
    "directory": "local path",
    "file": "local path",
    "url": "URL",
}


def read_poetry_lock(text: str) -> ReadResult:
    data = load_toml(text)
    found = Collector("PyPI")
    for entry, line in toml_tables(data, "package", text):
        name = text_of(entry.get("name"))
        version = text_of(entry.get("version"))
        if name is None:
            continue
        source = entry.get("source")
        kind = source.get("type") if isinstance(source, dict) else None
        if isinstance(kind, str) and kind in _NOT_AUDITABLE:
            found.skip(name, line, _NOT_AUDITABLE[kind])
        elif version is None:
            found.skip(name, line, "no version")
        else:
            found.add(name, version, line)
    return found.result()
