"""Package and ecosystem names as OSV compares them: the one normaliser of the engine.

The local database indexes names with it, the matcher compares a record's names with it, and
the dependency and image code key packages with it, so a name found one way is found every way.
PyPI names follow PEP 503 (runs of `-`, `_`, `.` are one `-`, lower case); NuGet and Packagist
compare names without case (`Newtonsoft.Json` is `newtonsoft.json`); every other ecosystem
compares names as written (npm, Go module paths, Maven `group:artifact`, crates, distributions'
source packages). `Ubuntu:22.04:LTS` is `Ubuntu:22.04`, as osv.dev treats it.
"""

from __future__ import annotations

import functools
import re

__all__ = [
    "CASE_INSENSITIVE",
    "ignores_case",
    "normalise_ecosystem",
    "normalise_name",
]

# Ecosystems (the part before any `:suffix`) whose names compare without case.
CASE_INSENSITIVE = frozenset({"NuGet", "Packagist"})

_PEP503_RE = re.compile(r"[-_.]+")


def normalise_ecosystem(ecosystem: str) -> str:
    """osv.dev treats `Ubuntu:22.04:LTS` (and `Ubuntu:Pro:18.04:LTS`) as the release without
    `:LTS`; other ecosystem names compare as written."""
    parts = ecosystem.split(":")
    if parts[0] == "Ubuntu" and len(parts) > 2 and parts[-1] == "LTS":
        return ":".join(parts[:-1])
    return ecosystem


def ignores_case(ecosystem: str) -> bool:
    """Whether the ecosystem compares package names without case (NuGet, Packagist)."""
    return ecosystem.split(":", 1)[0] in CASE_INSENSITIVE


@functools.lru_cache(maxsize=1 << 16)
def normalise_name(ecosystem: str, name: str) -> str:
    """The name as the ecosystem compares names: PEP 503 for PyPI, lower case for NuGet and
    Packagist, as written elsewhere."""
    base = ecosystem.split(":", 1)[0]
    if base == "PyPI":
        return _PEP503_RE.sub("-", name).lower()
    if base in CASE_INSENSITIVE:
        return name.lower()
    return name
