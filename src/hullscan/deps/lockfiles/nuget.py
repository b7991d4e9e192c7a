"""NuGet packages.lock.json: `dependencies` -> target framework -> package -> `resolved`.
`type: Project` entries are the solution's own projects; `Direct`/`Transitive` give `direct`.
A package is listed once per target framework (each at its own line)."""

from __future__ import annotations

from hullscan.deps.lockfiles._common import (
    Collector,
    LockfileError,
    Path_,
    ReadResult,
    load_json_object,
    text_of,
)


def _descend(path: Path_) -> bool:
    return len(path) <= 2 and path[:1] in ((), ("dependencies",))


def read_packages_lock(text: str) -> ReadResult:
    data, parsed = load_json_object(text, _descend)
    frameworks = data.get("dependencies", {})
    if not isinstance(frameworks, dict):
        raise LockfileError("`dependencies` is not an object", parsed.lines.get(("dependencies",)))
    found = Collector("NuGet")
    for framework, packages in frameworks.items():
        if not isinstance(packages, dict):
            continue
        for name, entry in packages.items():
            if not isinstance(entry, dict) or not name:
                continue
            kind = entry.get("type")
            if kind == "Project":
                continue
            line = parsed.lines.get(("dependencies", framework, name), 1)
            version = text_of(entry.get("resolved"))
            if version is None:
                found.skip(name, line, "no resolved version")
                continue
            direct = {"Direct": True, "Transitive": False, "CentralTransitive": False}.get(
                str(kind)
            )
            found.add(name, version, line, direct)
    return found.result()
