"""pylock.toml (PEP 751): `[[packages]]` tables with `name` and `version`; VCS, directory and
archive packages (no index version) are unpinned."""

from __future__ import annotations

from hullscan.deps.lockfiles._common import Collector, ReadResult, load_toml, text_of, toml_tables

_NOT_AUDITABLE = {"vcs": "VCS source", "directory": "local path", "archive": "archive URL or path"}


def read_pylock(text: str) -> ReadResult:
    data = load_toml(text)
    found = Collector("PyPI")
    for entry, line in toml_tables(data, "packages", text):
        name = text_of(entry.get("name"))
        if name is None:
            continue
        odd = next((reason for key, reason in _NOT_AUDITABLE.items() if key in entry), None)
        version = text_of(entry.get("version"))
        if odd is not None:
            found.skip(name, line, odd)
        elif version is None:
            found.skip(name, line, "no version")
        else:
            found.add(name, version, line)
    return found.result()
