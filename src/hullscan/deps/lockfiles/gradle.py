"""gradle.lockfile: `group:artifact:version=configuration,...` lines; `empty=` and comments are
skipped. (The older per-configuration files have the same lines without `=...`.)"""

from __future__ import annotations

import re

from hullscan.deps.lockfiles._common import (
    Collector,
    LockfileError,
    ReadResult,
    check_text,
    physical_lines,
)

_LINE = re.compile(r"(?P<group>[^:=\s]+):(?P<artifact>[^:=\s]+):(?P<version>[^:=\s]+)(?:=\S*)?")


def read_gradle_lockfile(text: str) -> ReadResult:
    check_text(text)
    found = Collector("Maven")
    for number, raw in enumerate(physical_lines(text), 1):
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("empty="):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise LockfileError("expected group:artifact:version=configurations", number)
        name = f"{match.group('group')}:{match.group('artifact')}"
        found.add(name, match.group("version"), number)
    return found.result()
