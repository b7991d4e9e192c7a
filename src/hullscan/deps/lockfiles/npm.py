"""package-lock.json / npm-shrinkwrap.json.

v2 and v3 list installed packages in `packages`, keyed by install path
(`node_modules/a/node_modules/@s/b`: the name is after the last `node_modules/`, unless the
entry names itself, as aliases do); the root `""` entry, workspace folders and `link: true`
entries are skipped. v1 has only the nested `dependencies` tree. The line is the entry's key."""

from __future__ import annotations

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

_MARK = "node_modules/"
_ROOT_DEPENDENCIES = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")


def read_package_lock(text: str) -> ReadResult:
    has_packages = False

    def descend(path: Path_) -> bool:
        nonlocal has_packages
        if path == ():
            return True
        if path == ("packages",):
            has_packages = True
            return True
        # The v1 tree (also kept in v2 files, after `packages`, which then wins).
        return not has_packages and all(path[i] == "dependencies" for i in range(0, len(path), 2))

    data, parsed = load_json_object(text, descend)
    found = Collector("npm")
    packages = data.get("packages")
    if isinstance(packages, dict):
        _read_packages(packages, parsed.lines, found)
    elif "packages" in data:
        raise LockfileError("`packages` is not an object", parsed.lines.get(("packages",)))
    else:
        dependencies = data.get("dependencies", {})
        if not isinstance(dependencies, dict):
            raise LockfileError(
                "`dependencies` is not an object", parsed.lines.get(("dependencies",))
            )
        _read_tree(dependencies, ("dependencies",), parsed.lines, found)
    return found.result()


def _read_packages(packages: dict[str, Any], lines: dict[Path_, int], found: Collector) -> None:
    root = packages.get("")
    direct_names: set[str] | None = None
    if isinstance(root, dict):
        direct_names = set()
        for key in _ROOT_DEPENDENCIES:
            names = root.get(key)
            if isinstance(names, dict):
                direct_names.update(name for name in names if isinstance(name, str))
        workspaces = "workspaces" in root
    else:
        workspaces = True  # cannot tell
    for key, entry in packages.items():
        if not isinstance(entry, dict) or not key:
            continue
        at = key.rfind(_MARK)
        if at < 0 or entry.get("link") is True:
            continue  # a workspace folder or a link to one: the project's own code
        line = lines.get(("packages", key), 1)
        folder = key[at + len(_MARK) :]
        name = text_of(entry.get("name")) or folder
        version = text_of(entry.get("version"))
        if version is None:
            found.skip(name, line, "no version")
            continue
        if not is_semver(version):
            found.skip(name, line, "not a registry version")
            continue
        direct: bool | None = None
        if direct_names is not None:
            if key == _MARK + folder and folder in direct_names:
                direct = True
            elif not workspaces:
                direct = False
        found.add(name, version, line, direct)


def _read_tree(
    dependencies: dict[str, Any], path: Path_, lines: dict[Path_, int], found: Collector
) -> None:
    stack: list[tuple[dict[str, Any], Path_]] = [(dependencies, path)]
    while stack:
        level, level_path = stack.pop()
        for name, entry in level.items():
            if not isinstance(entry, dict):
                continue
            entry_path = (*level_path, name)
            line = lines.get(entry_path, 1)
            version = text_of(entry.get("version"))
            real_name = name
            if version is not None and version.startswith("npm:"):  # an alias: npm:real@1.2.3
                alias = version[4:]
                at = alias.find("@", 1)
                if at > 0:
                    real_name, version = alias[:at], alias[at + 1 :]
            if version is None:
                found.skip(name, line, "no version")
            elif not is_semver(version):
                found.skip(name, line, "not a registry version")
            else:
                found.add(real_name, version, line)
            nested = entry.get("dependencies")
            if isinstance(nested, dict):
                stack.append((nested, (*entry_path, "dependencies")))
    found.dependencies.sort(key=lambda dependency: dependency.line)
    found.unpinned.sort(key=lambda item: item[1])
