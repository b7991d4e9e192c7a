"""Gemfile.lock: the `specs:` of each GEM section, `    name (1.2.3)` at four spaces; a platform
suffix (`1.2.3-x86_64-linux`) is dropped as Bundler does. Gems from GIT sections are unpinned,
PATH gems (the project's own) skipped. `direct` comes from the DEPENDENCIES section."""

from __future__ import annotations

import re

from hullscan.deps.lockfiles._common import (
    Collector,
    LockfileError,
    ReadResult,
    check_text,
    physical_lines,
)

_SPEC = re.compile(r"    (?P<name>[^ ()!]+)(?: \((?P<version>[^)]*)\))?")
_DEPENDENCY = re.compile(r"  (?P<name>[^ ()!]+)(?: \([^)]*\))?!?")
_SECTION = re.compile(r"[A-Z][A-Z ]*")


def read_gemfile_lock(text: str) -> ReadResult:
    check_text(text)
    section = ""
    in_specs = False
    gems: list[tuple[str, str, int, str]] = []  # (section, name, line, version)
    direct: set[str] = set()
    saw_section = False
    for number, line in enumerate(physical_lines(text), 1):
        if not line.strip():
            continue
        if not line[0].isspace():
            if not _SECTION.fullmatch(line.strip()):
                raise LockfileError("not a Gemfile.lock section header", number)
            section, in_specs, saw_section = line.strip(), False, True
            continue
        if section in ("GEM", "GIT", "PATH", "PLUGIN SOURCE"):
            if line == "  specs:":
                in_specs = True
                continue
            if not line.startswith("    "):
                in_specs = False
            if in_specs and not line.startswith("     "):
                match = _SPEC.fullmatch(line.rstrip())
                if match is None or match.group("version") is None:
                    raise LockfileError("invalid gem spec", number)
                gems.append((section, match.group("name"), number, match.group("version")))
        elif section == "DEPENDENCIES":
            match = _DEPENDENCY.fullmatch(line.rstrip())
            if match:
                direct.add(match.group("name"))
    if not saw_section:
        raise LockfileError("no sections: not a Gemfile.lock")
    found = Collector("RubyGems")
    for source, name, number, version in gems:
        if source == "PATH":
            continue
        if source != "GEM":
            found.skip(name, number, "git source" if source == "GIT" else "plugin source")
            continue
        found.add(name, version.split("-", 1)[0], number, (name in direct) if direct else None)
    return found.result()
