"""pnpm-lock.yaml, loaded with hullscan.core.yamlsafe.

`packages` keys are `/name/1.2.3` (lockfile v5), `/name@1.2.3` (v6) or `name@1.2.3` (v9), with
peer suffixes `_react@18.0.0` (v5) or `(react@18.0.0)` (v6+) to strip. Keys that are not
registry packages (tarballs, git, `file:`) are unpinned. The line is the key's."""

from __future__ import annotations

from typing import Any

from hullscan.core.yamlsafe import MAX_EXPANDED_NODES, YamlProblem, line_of, load_all
from hullscan.deps.lockfiles._common import (
    Collector,
    LockfileError,
    ReadResult,
    check_text,
    is_semver,
)


def _major(value: Any) -> int | None:
    try:
        return int(float(str(value).strip("'\"")))
    except (TypeError, ValueError, OverflowError):
        return None


def split_key(key: str, v5: bool) -> tuple[str, str] | None:
    """(name, version) of a registry package key, or None."""
    if key.startswith("/"):
        key = key[1:]
    elif v5:
        return None
    paren = key.find("(")
    if paren > 0:
        key = key[:paren]
    if v5:
        name, _, version = key.rpartition("/")
    else:
        at = key.find("@", 1)
        if at <= 0:
            return None
        name, version = key[:at], key[at + 1 :]
    version = version.split("_", 1)[0]
    if not name or not version:
        return None
    return name, version


def read_pnpm_lock(text: str) -> ReadResult:
    check_text(text)
    try:
        # Without aliases a document has fewer nodes than characters; the bound stays linear in
        # the input while still refusing alias bombs, and large lockfiles are not refused.
        documents = load_all(text, max(MAX_EXPANDED_NODES, len(text)))
    except YamlProblem as exc:
        raise LockfileError(exc.reason, exc.line) from None
    if not documents:
        raise LockfileError("empty file")
    data = documents[0]
    if not isinstance(data, dict):
        raise LockfileError("expected a mapping at the top level", 1)
    major = _major(data.get("lockfileVersion"))
    v5 = major is not None and major <= 5
    packages = data.get("packages")
    found = Collector("npm")
    if packages is None:
        return found.result()
    if not isinstance(packages, dict):
        raise LockfileError("`packages` is not a mapping", line_of(data, "packages"))
    for key in packages:
        if not isinstance(key, str):
            continue
        line = line_of(packages, key) or 1
        pair = split_key(key, v5)
        if pair is None:
            entry = packages[key]
            named = entry.get("name") if isinstance(entry, dict) else None
            name = named if isinstance(named, str) and named else key
            found.skip(name, line, "not a registry package (tarball, git or local path)")
            continue
        name, version = pair
        if not is_semver(version):
            found.skip(name, line, "not a registry version")
            continue
        found.add(name, version, line)
    return found.result()
