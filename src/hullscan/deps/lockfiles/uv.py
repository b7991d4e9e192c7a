"""uv.lock: `[[package]]` tables. The project itself (and workspace members) are `editable` or
`virtual` sources and are skipped; git, path and URL sources are unpinned."""

from __future__ import annotations

from hullscan.deps.lockfiles._common import Collector, ReadResult, load_toml, text_of, toml_tables

_OWN = ("editable", "virtual")
_NOT_AUDITABLE = {
    "git": "git source",
    "path": "local path",
    "directory": "local path",
    "url": "URL",
}


def read_uv_lock(text: str) -> ReadResult:
    data = load_toml(text)
    found = Collector("PyPI")
    for entry, line in toml_tables(data, "package", text):
        name = text_of(entry.get("name"))
        if name is None:
            continue
        source = entry.get("source")
        kinds = set(source) if isinstance(source, dict) else set()
        if kinds.intersection(_OWN):
            continue
        odd = next((_NOT_AUDITABLE[kind] for kind in sorted(kinds) if kind in _NOT_AUDITABLE), None)
        version = text_of(entry.get("version"))
        if odd is not None:
            found.skip(name, line, odd)
        elif version is None:
            found.skip(name, line, "no version")
        else:
            found.add(name, version, line)
    return found.result()
