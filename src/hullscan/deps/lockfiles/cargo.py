"""Cargo.lock: `[[package]]` tables. Entries without a `source` are the workspace's own crates
and are skipped; git sources are unpinned."""

from __future__ import annotations

from hullscan.deps.lockfiles._common import Collector, ReadResult, load_toml, text_of, toml_tables


def read_cargo_lock(text: str) -> ReadResult:
    data = load_toml(text)
    found = Collector("crates.io")
    for entry, line in toml_tables(data, "package", text):
        name = text_of(entry.get("name"))
        source = text_of(entry.get("source"))
        if name is None or source is None:
            continue
        version = text_of(entry.get("version"))
        if source.startswith("git+"):
            found.skip(name, line, "git source")
        elif version is None:
            found.skip(name, line, "no version")
        else:
            found.add(name, version, line)
    return found.result()
