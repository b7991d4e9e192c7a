"""The Action's hash-locked install (scripts/action/requirements.lock and build.lock, written by
`bash scripts/lock`) against pyproject.toml, the installed metadata and the hooks' pins.

No network: `scripts/test` downloads the locks with `pip download --require-hashes`, which is
what checks the hashes themselves; these tests check what the files say.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from dataclasses import dataclass
from itertools import product
from typing import Any

import pytest
from conftest import PROJECT
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from ruamel.yaml import YAML

LOCK = PROJECT / "scripts" / "action" / "requirements.lock"
BUILD_LOCK = PROJECT / "scripts" / "action" / "build.lock"
PYPROJECT = tomllib.loads((PROJECT / "pyproject.toml").read_text("utf-8"))
HASH = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class Entry:
    name: str  # canonical
    version: Version
    marker: Marker | None
    hashes: tuple[str, ...]
    line: str


def parse_lock(text: str) -> tuple[list[str], list[Entry]]:
    """The option lines and the entries of a requirements file with hashes."""
    logical = re.sub(r"\\\n", " ", text)
    options: list[str] = []
    entries: list[Entry] = []
    for raw in logical.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            options.append(line)
            continue
        requirement, *hash_options = re.split(r"\s+--hash=", line)
        req = Requirement(requirement)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version, (
            f"not pinned with ==: {requirement}")
        assert not req.extras and not req.url, requirement
        entries.append(Entry(canonicalize_name(req.name), Version(specs[0].version), req.marker,
                             tuple(h.strip() for h in hash_options), requirement))
    return options, entries


LOCK_OPTIONS, ENTRIES = parse_lock(LOCK.read_text("utf-8"))
BUILD_OPTIONS, BUILD_ENTRIES = parse_lock(BUILD_LOCK.read_text("utf-8"))

# Every Python the Action offers (patch releases where a lock marker splits 3.11) on every
# platform it runs on.
ENVIRONMENTS = [
    {
        "python_version": ".".join(full.split(".")[:2]),
        "python_full_version": full,
        "sys_platform": sys_platform,
        "platform_system": system,
        "os_name": os_name,
        "platform_machine": machine,
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "extra": "",
    }
    for full, (sys_platform, system, os_name), machine in product(
        ["3.11.0", "3.11.4", "3.11.5", "3.11.9", "3.12.0", "3.13.0", "3.14.0"],
        [("linux", "Linux", "posix"), ("darwin", "Darwin", "posix"), ("win32", "Windows", "nt")],
        ["x86_64", "aarch64", "arm64", "AMD64"],
    )
]


def applies(marker: Marker | None, env: dict[str, str]) -> bool:
    return marker is None or marker.evaluate(env)


def locked_in(env: dict[str, str], entries: list[Entry] = ENTRIES) -> dict[str, Entry]:
    chosen: dict[str, Entry] = {}
    for entry in entries:
        if applies(entry.marker, env):
            assert entry.name not in chosen, (
                f"{entry.name}: two versions apply on {env['sys_platform']} "
                f"Python {env['python_full_version']}")
            chosen[entry.name] = entry
    return chosen


def hullscan_all() -> list[Requirement]:
    """hullscan[all]'s requirements: the core and the extras `all` collects (self-references
    such as hullscan[iac,deps] expanded)."""
    project = PYPROJECT["project"]
    optional: dict[str, list[str]] = project["optional-dependencies"]
    found: list[Requirement] = [Requirement(r) for r in project["dependencies"]]
    todo, seen = ["all"], set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in optional[extra]:
            req = Requirement(text)
            if canonicalize_name(req.name) == "hullscan":
                todo.extend(req.extras)
            else:
                found.append(req)
    assert {"iac", "deps", "code", "secrets", "image"} <= seen
    return found


@pytest.mark.parametrize(("options", "entries"), [(LOCK_OPTIONS, ENTRIES),
                                                  (BUILD_OPTIONS, BUILD_ENTRIES)],
                         ids=["requirements.lock", "build.lock"])
def test_every_entry_is_pinned_and_hashed_wheels_only(options: list[str],
                                                      entries: list[Entry]) -> None:
    assert entries
    for entry in entries:
        assert entry.hashes, f"no hash: {entry.line}"
        for value in entry.hashes:
            assert HASH.match(value), f"{entry.line}: {value}"
        assert len(set(entry.hashes)) == len(entry.hashes), entry.line
    # wheels only: installing never runs a build whose build dependencies pip fetches unhashed
    assert "--only-binary :all:" in options
    assert all(not o.startswith(("--index-url", "--extra-index-url", "-i ", "--find-links",
                                 "-f ", "--trusted-host")) for o in options), options


def test_one_version_per_platform_and_python() -> None:
    for env in ENVIRONMENTS:
        locked_in(env)
        locked_in(env, BUILD_ENTRIES)


def test_lock_satisfies_pyproject() -> None:
    """Every requirement of hullscan[all] is locked, within pyproject's range, on every Python
    and platform the Action offers; hullscan itself is not in the lock (it is built from the
    action's checkout)."""
    requirements = hullscan_all()
    assert any(canonicalize_name(r.name) == "checkov" for r in requirements)
    assert "hullscan" not in {e.name for e in ENTRIES}
    for env in ENVIRONMENTS:
        locked = locked_in(env)
        for req in requirements:
            if not applies(req.marker, env):
                continue
            name = canonicalize_name(req.name)
            assert name in locked, f"{req} is not in the lock (run bash scripts/lock)"
            assert req.specifier.contains(locked[name].version, prereleases=True), (
                f"{locked[name].line} does not satisfy pyproject's {req} (run bash scripts/lock)")


def test_build_lock_satisfies_build_system() -> None:
    """The Action builds hullscan with --no-build-isolation in a virtualenv holding only
    build.lock, so it must satisfy [build-system] requires and nothing else is there."""
    build = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    assert PYPROJECT["build-system"]["build-backend"] == "setuptools.build_meta"
    for env in ENVIRONMENTS:
        locked = locked_in(env, BUILD_ENTRIES)
        assert set(locked) == {canonicalize_name(r.name) for r in build}
        for req in build:
            assert req.specifier.contains(locked[canonicalize_name(req.name)].version)
    # setuptools builds wheels itself since 70.1 (no `wheel` package in the build venv)
    (setuptools,) = BUILD_ENTRIES
    assert setuptools.version >= Version("70.1")


def test_lock_is_closed_under_the_installed_metadata() -> None:
    """Walking the requirements of hullscan[all] through the installed packages' own metadata
    (for this Python and platform, extras followed) reaches only locked packages; where the
    installed version is the locked one, its ranges are satisfied too."""
    env: dict[str, str] = {}
    locked = {e.name: e for e in ENTRIES if applies(e.marker, env)}
    todo: list[tuple[Requirement, str]] = [(r, "pyproject.toml") for r in hullscan_all()]
    seen: set[tuple[str, frozenset[str]]] = set()
    checked = 0
    while todo:
        req, via = todo.pop()
        name = canonicalize_name(req.name)
        assert name in locked, f"{req} (required by {via}) is not in the lock"
        key = (name, frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        if Version(dist.version) != locked[name].version:
            continue  # the test environment has another version: its metadata says little
        checked += 1
        assert req.specifier.contains(locked[name].version, prereleases=True), (req, via)
        for text in dist.requires or []:
            dep = Requirement(text)
            extras = {""} | set(req.extras)
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in extras):
                todo.append((dep, f"{name} {dist.version}"))
    assert checked >= 50, f"only {checked} locked packages are installed at their locked version"


def hook_dependencies() -> dict[str, list[str]]:
    hooks: list[dict[str, Any]] = YAML(typ="safe").load(
        (PROJECT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    return {h["id"]: list(h.get("additional_dependencies", [])) for h in hooks}


def test_hooks_pin_the_locked_versions() -> None:
    """additional_dependencies are pinned exactly, to the versions the Action installs, and
    only name what hullscan[all] requires."""
    deps = hook_dependencies()
    named = {canonicalize_name(r.name) for r in hullscan_all()}
    versions: dict[str, set[Version]] = {}
    for entry in ENTRIES:
        versions.setdefault(entry.name, set()).add(entry.version)
    pinned = set()
    for hook, items in deps.items():
        for item in items:
            req = Requirement(item)
            specs = list(req.specifier)
            assert len(specs) == 1 and specs[0].operator == "==", f"{hook}: {item} is not pinned"
            name = canonicalize_name(req.name)
            assert name in named, f"{hook}: {item} is not a dependency of hullscan[all]"
            assert versions.get(name) == {Version(specs[0].version)}, (
                f"{hook}: {item}, the lock has {sorted(map(str, versions.get(name, ())))} "
                "(bash scripts/lock rewrites the hooks' pins)")
            pinned.add(name)
    assert {"checkov", "zizmor", "bandit", "zstandard"} <= pinned
    assert set(deps["hullscan"]) >= set(deps["hullscan-iac"]) | set(deps["hullscan-code"])


def test_action_installs_from_the_locks() -> None:
    install = (PROJECT / "scripts" / "action" / "install.sh").read_text("utf-8")
    plan = (PROJECT / "scripts" / "action" / "plan.sh").read_text("utf-8")
    assert "--require-hashes -r \"${ACTION_PATH:?}/scripts/action/requirements.lock\"" in install
    assert "--require-hashes -r \"$ACTION_PATH/scripts/action/build.lock\"" in install
    assert "--no-build-isolation" in install and "--no-deps" in install
    assert "[all]" not in install  # nothing resolved from pyproject's ranges
    # pip's cache in the Actions cache is keyed by what it holds: the lock
    assert 'hash_of "${ACTION_PATH:?}/scripts/action/requirements.lock"' in plan
