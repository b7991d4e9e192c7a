"""Path globs for `exclude` and `ignore.paths`: `*` stays inside one folder, `**` crosses folders.

A pattern matches a repository-relative path when it matches the path itself or one of its
parent folders (so `vendor` and `vendor/**` both exclude everything under `vendor/`). A pattern
without `/` also matches any single path component (`node_modules` anywhere).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip().lstrip("/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out).rstrip("/") + r"\Z")


def match_path(pattern: str, path: str) -> bool:
    """True when `pattern` matches the relative `path` or one of its parent folders."""
    regex = _compile(pattern)
    parts = path.split("/")
    bare = "/" not in pattern.strip().strip("/")
    for end in range(len(parts), 0, -1):
        if regex.match("/".join(parts[:end])):
            return True
    return bare and any(regex.match(part) for part in parts)


def match_any(patterns: Iterable[str], path: str) -> bool:
    return any(match_path(p, path) for p in patterns)
