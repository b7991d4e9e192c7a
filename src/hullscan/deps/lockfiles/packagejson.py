"""package.json, for a project without a lockfile hullscan reads.

With a lockfile (`package-lock.json`, `npm-shrinkwrap.json`, `yarn.lock`, `pnpm-lock.yaml`) in
its folder, or in a parent folder that is a workspace root (its package.json has `workspaces`,
or it holds `pnpm-workspace.yaml`), the lockfile is what gets audited and the package.json is
not read (`covering_lockfile`). Without one, npm resolves the ranges at install time, so only
exact versions (`1.2.3`, `=1.2.3`, `v1.2.3`, `npm:real@1.2.3`) can be audited; every other
entry (a range, a tag, `*`, a git, URL or `file:` dependency) is unpinned, which fails closed.
`workspace:` entries are the project's own packages and are read past. The line is the key's.
The dependencies of those dependencies are only known from a lockfile: the checker says so."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hullscan.deps.lockfiles._common import (
    Collector,
    LockfileError,
    Path_,
    ReadResult,
    is_semver,
    load_json_object,
    text_of,
)

SECTIONS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml")
NO_LOCKFILE = "no lockfile hullscan reads (package-lock.json, yarn.lock, pnpm-lock.yaml) pins it"

_LOCAL = ("file:", "link:", "portal:")
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git\+|git:|github:|gitlab:|bitbucket:|gist:)"
                     r"|^[^@\s/][^\s/]*/[^\s/]+$")  # `user/repo` is a GitHub shorthand


def _descend(path: Path_) -> bool:
    return path == () or (len(path) == 1 and path[0] in SECTIONS)


def read_package_json(text: str) -> ReadResult:
    data, parsed = load_json_object(text, _descend)
    found = Collector("npm")
    for section in SECTIONS:
        entries = data.get(section)
        if entries is None:
            continue
        if not isinstance(entries, dict):
            raise LockfileError(f"`{section}` is not an object", parsed.lines.get((section,)))
        for name, spec in entries.items():
            _entry(found, name, spec, parsed.lines.get((section, name), 1))
    return found.result()


def _entry(found: Collector, name: str, spec: Any, line: int) -> None:
    written = text_of(spec)
    if written is None:
        found.skip(name, line, f"no version ({NO_LOCKFILE})")
        return
    if written.startswith("workspace:"):
        return  # the project's own package
    real_name = name
    if written.startswith("npm:"):  # an alias: npm:real@1.2.3
        alias = written[4:]
        at = alias.find("@", 1)
        if at > 0:
            real_name, written = alias[:at], alias[at + 1 :].strip()
        else:
            written = "latest"
    if written.startswith(_LOCAL):
        found.skip(name, line, f"local path ({NO_LOCKFILE})")
        return
    if _REMOTE.search(written):
        found.skip(name, line, f"git or URL dependency ({NO_LOCKFILE})")
        return
    exact = written.lstrip("=").strip()
    if exact.startswith("v"):
        exact = exact[1:]
    if is_semver(exact):
        found.add(real_name, exact, line, direct=True)
        return
    found.skip(name, line, f"not pinned to one version ({NO_LOCKFILE})")


def covering_lockfile(path: Path, root: Path) -> Path | None:
    """The lockfile that pins this package.json's dependencies: one in its folder, or in a
    parent folder (inside `root`) that is a workspace root; None when there is none."""
    folder = path.parent
    for name in LOCKFILES:
        if (folder / name).is_file():
            return folder / name
    try:
        folder.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return None
    top = root.resolve()
    parent = folder.resolve()
    while parent != top and parent != parent.parent:
        parent = parent.parent
        if not _workspace_root(parent):
            continue
        for name in LOCKFILES:
            if (parent / name).is_file():
                return parent / name
    return None


def _workspace_root(folder: Path) -> bool:
    if (folder / "pnpm-workspace.yaml").is_file():
        return True
    manifest = folder / "package.json"
    try:
        data = json.loads(manifest.read_bytes())
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and "workspaces" in data
