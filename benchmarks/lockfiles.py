"""Every lockfile format on real projects' lockfiles: the dependencies hullscan reads against an
independent count, printed per file. The files are fetched (or generated) by hand and never
stored in the project; pass their paths, or folders to search.

The independent count does not use hullscan's readers: JSON and TOML parsed with the standard
library, YAML with ruamel, XML with ElementTree, requirement lines with `packaging`, and npm's
own definition of a package-lock entry (every `packages` key under `node_modules/`, links
excepted). "hullscan" is what `read_manifest` returns: pinned dependencies, plus the entries it
reports as not auditable (unpinned, or a version the ecosystem cannot order), since each of those
is a notification on its line. The two must agree; a difference is printed with the names that
differ, when the counter can name them.

Usage: python benchmarks/lockfiles.py PATH [PATH ...]     (exit 1 when a count differs)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hullscan.deps.lockfiles import LockfileError, read_manifest, reader_for

Counter = Callable[[Path], int]


def _json(path: Path) -> Any:
    return json.loads(path.read_bytes())


def _toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text("utf-8"))


def count_package_lock(path: Path) -> int:
    data = _json(path)
    packages = data.get("packages")
    if isinstance(packages, dict):  # v2, v3: what `npm ci` installs, one entry per folder
        return sum(1 for key, entry in packages.items() if "node_modules/" in key
                   and not (isinstance(entry, dict) and entry.get("link")))
    total = 0  # v1: the nested `dependencies` tree
    stack = [data.get("dependencies") or {}]
    while stack:
        level = stack.pop()
        for entry in level.values():
            total += 1
            stack.append(entry.get("dependencies") or {})
    return total


def count_package_json(path: Path) -> int:
    data = _json(path)
    sections = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
    return sum(1 for section in sections for spec in (data.get(section) or {}).values()
               if not str(spec).startswith("workspace:"))


def count_yarn_lock(path: Path) -> int:
    text = path.read_text("utf-8")
    if "__metadata:" not in text:  # classic: one `version "x"` per entry
        return len(re.findall(r'^  version "', text, re.MULTILINE))
    total = 0
    for block in re.split(r"\n(?=\S)", text):  # berry: unindented entry headers
        header = block.split("\n", 1)[0]
        if header.startswith(("#", "__metadata:")) or not header.endswith(":"):
            continue
        resolution = re.search(r'^  resolution: "?([^"\n]+)', block, re.MULTILINE)
        if resolution and "@workspace:" in resolution.group(1):
            continue
        total += 1
    return total


def count_pnpm_lock(path: Path) -> int:
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(path.read_text("utf-8"))
    return len(data.get("packages") or {})


def count_poetry_lock(path: Path) -> int:
    return len(_toml(path).get("package", []))


def count_uv_lock(path: Path) -> int:
    return sum(1 for entry in _toml(path).get("package", [])
               if not {"editable", "virtual"} & set(entry.get("source", {})))


def count_pylock(path: Path) -> int:
    return len(_toml(path).get("packages", []))


def count_cargo_lock(path: Path) -> int:
    return sum(1 for entry in _toml(path).get("package", []) if "source" in entry)


def count_pipfile_lock(path: Path) -> int:
    data = _json(path)
    return len(data.get("default", {})) + len(data.get("develop", {}))


def count_composer_lock(path: Path) -> int:
    data = _json(path)
    return len(data.get("packages", [])) + len(data.get("packages-dev", []))


def count_packages_lock(path: Path) -> int:
    frameworks = _json(path).get("dependencies", {})
    return sum(1 for packages in frameworks.values() for entry in packages.values()
               if entry.get("type") != "Project")


def count_gemfile_lock(path: Path) -> int:
    total, in_specs = 0, False
    for line in path.read_text("utf-8").splitlines():
        if line.strip() == "specs:":
            in_specs = True
        elif not line.startswith("  "):
            in_specs = False
        elif in_specs and re.match(r"^    [^ ]+ \(", line):
            total += 1
    return total


def count_gradle_lockfile(path: Path) -> int:
    return sum(1 for line in path.read_text("utf-8").splitlines()
               if line and not line.startswith(("#", "empty=")) and "=" in line)


def count_go_mod(path: Path) -> int:
    text = re.sub(r"//.*", "", path.read_text("utf-8"))
    total = len(re.findall(r"^require\s+\S+\s+\S+\s*$", text, re.MULTILINE))
    for block in re.findall(r"^require\s*\((.*?)^\)", text, re.MULTILINE | re.DOTALL):
        total += sum(1 for line in block.splitlines() if len(line.split()) == 2)
    return total + (1 if re.search(r"^go\s+\S+", text, re.MULTILINE) else 0)  # stdlib


def count_pom(path: Path) -> int:
    root = ET.parse(path).getroot()

    def local(element: ET.Element) -> str:
        return element.tag.rsplit("}", 1)[-1]

    def dependencies(parent: ET.Element) -> int:
        total = 0
        for child in parent:
            if local(child) == "dependencies":
                total += sum(1 for d in child if local(d) == "dependency")
            elif local(child) == "dependencyManagement":
                total += dependencies(child)
        return total

    total = dependencies(root)
    for child in root:
        if local(child) == "profiles":
            total += sum(dependencies(profile) for profile in child if local(profile) == "profile")
    return total


def count_requirements(path: Path) -> int:
    from packaging.requirements import InvalidRequirement, Requirement

    joined = re.sub(r"\\\r?\n", " ", path.read_text("utf-8", "replace"))
    total = 0
    for line in joined.splitlines():
        line = re.sub(r"(^|\s)#.*", "", line).strip()
        if not line or line.startswith("-"):  # options; -r/-c includes are files of their own
            continue
        line = re.split(r"\s+--?[a-z]", line)[0]  # per-requirement options (--hash=...)
        with contextlib.suppress(InvalidRequirement):  # a path or URL: pip installs it too
            Requirement(line)
        total += 1
    return total


def count_pyproject(path: Path) -> int:
    data = _toml(path)
    project = data.get("project", {})
    total = len(project.get("dependencies", []))
    total += sum(len(group) for group in project.get("optional-dependencies", {}).values())
    poetry = data.get("tool", {}).get("poetry", {})
    total += sum(1 for name in poetry.get("dependencies", {}) if name != "python")
    for group in poetry.get("group", {}).values():
        total += len(group.get("dependencies", {}))
    total += len(poetry.get("dev-dependencies", {}))
    return total


COUNTERS: dict[str, Counter] = {
    "read_package_lock": count_package_lock,
    "read_package_json": count_package_json,
    "read_yarn_lock": count_yarn_lock,
    "read_pnpm_lock": count_pnpm_lock,
    "read_poetry_lock": count_poetry_lock,
    "read_uv_lock": count_uv_lock,
    "read_pylock": count_pylock,
    "read_cargo_lock": count_cargo_lock,
    "read_pipfile_lock": count_pipfile_lock,
    "read_composer_lock": count_composer_lock,
    "read_packages_lock": count_packages_lock,
    "read_gemfile_lock": count_gemfile_lock,
    "read_gradle_lockfile": count_gradle_lockfile,
    "read_go_mod": count_go_mod,
    "read_pom": count_pom,
    "read_requirements": count_requirements,
    "read_pyproject": count_pyproject,
}


def files_of(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file()
                                and "node_modules" not in p.parts
                                and reader_for(p.name, p.as_posix()) is not None))
        else:
            found.append(path)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="lockfiles, or folders to search")
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str, str, str]] = []
    differ = 0
    for path in files_of(args.paths):
        reader = reader_for(path.name, path.as_posix())
        if reader is None:
            rows.append((str(path), "?", "-", "-", "-", "not a format hullscan reads"))
            continue
        size = f"{path.stat().st_size / 1024:,.0f} KiB"
        start = time.perf_counter()
        try:
            result = read_manifest(path, reader)
        except LockfileError as exc:
            rows.append((str(path), reader.__name__, size, "error", "-", str(exc)))
            differ += 1
            continue
        took = time.perf_counter() - start
        read = len(result.dependencies) + len(result.unpinned) + len(result.unorderable)
        expected = COUNTERS[reader.__name__](path)
        same = read == expected
        differ += not same
        remark = (f"{len(result.dependencies)} pinned, {len(result.unpinned)} unpinned, "
                  f"{len(result.unorderable)} unorderable; {took * 1000:,.0f} ms")
        rows.append((str(path), reader.__name__.removeprefix("read_"), size, str(read),
                     str(expected), ("ok " if same else "DIFFERENT ") + remark))
    header = ("file", "format", "size", "hullscan", "independent", "")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
              + "  " + row[5])
    print(f"{len(rows)} files, {differ} with a different count")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
