"""A Dockerfile's build context as `docker build` sends it: the `.dockerignore` read with
Docker's rules (moby/patternmatcher: `*`, `?`, `[...]`, `**`, `!` exceptions, the last matching
line wins, a pattern that matches a folder excludes everything under it) and a bounded listing
of the files it does not exclude.

The listing never leaves the repository: the context folder must resolve inside the root, links
are neither followed nor listed (Docker copies a link as a link, not what it points at), and it
stops after `MAX_ENTRIES` entries, saying so. Only names are listed; a file is opened only to
tell a private key from a certificate or a public key (`looks_private`).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hullscan.discover import COMPOSE_NAME, inside

__all__ = [
    "MAX_ENTRIES",
    "BuildContext",
    "IgnoreRules",
    "compile_pattern",
    "compose_context",
    "contains",
    "ignore_files",
    "is_glob",
    "load_context",
    "looks_private",
    "read_dockerignore",
]

MAX_ENTRIES = 10_000  # files and folders looked at per build context
# dependency and tool folders: large, rebuilt in the image, and not where credentials are kept
SKIPPED_FOLDERS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".tox"})
_SNIFF = 64 * 1024
_GLOB = re.compile(r"[*?\[]")
_ESCAPE = frozenset(".+()|{}$^")


def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """Docker's pattern (already cleaned) as an anchored regex; None for one Docker refuses."""
    out = ["^"]
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(.*/)?")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i + 1 >= n:
                return None
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            # a character class, passed to the regex as Docker does (`[!a]` is `!` or `a`)
            close = pattern.find("]", i + 2)
            if close < 0:
                return None
            out.append(pattern[i : close + 1])
            i = close
        elif ch in _ESCAPE:
            out.append("\\" + ch)
        else:
            out.append(ch)
        i += 1
    out.append("$")
    try:
        return re.compile("".join(out))
    except re.error:
        return None


def _clean(pattern: str) -> str:
    """Go's filepath.Clean, then no leading `/` (patterns are relative to the context)."""
    cleaned = posixpath.normpath(pattern)
    cleaned = cleaned.lstrip("/") or "/"
    return cleaned


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    exception: bool  # a `!` line: re-includes what earlier lines excluded


def _matches_or_parent(regex: re.Pattern[str], rel: str) -> bool:
    if regex.match(rel):
        return True
    parts = rel.split("/")
    return any(regex.match("/".join(parts[:i])) for i in range(1, len(parts)))


class IgnoreRules:
    """The patterns of one .dockerignore, in order."""

    def __init__(self, patterns: Sequence[_Pattern] = ()) -> None:
        self.patterns = tuple(patterns)
        self.has_exceptions = any(p.exception for p in self.patterns)

    def excluded(self, rel: str) -> bool:
        """Whether Docker leaves `rel` (a `/`-separated path in the context) out."""
        matched = False
        for pattern in self.patterns:
            if pattern.exception != matched:
                continue  # only an exclusion can exclude, only an exception re-include
            if _matches_or_parent(pattern.regex, rel):
                matched = not pattern.exception
        return matched


def read_dockerignore(text: str) -> IgnoreRules:
    """Docker's reading of a .dockerignore: `#` comments at the start of a line, surrounding
    space trimmed, blank lines skipped, `!` exceptions, paths cleaned (`./a/` is `a`)."""
    patterns: list[_Pattern] = []
    for number, raw in enumerate(text.splitlines()):
        if number == 0:
            raw = raw.removeprefix("\ufeff")
        if raw.startswith("#"):
            continue
        line = raw.strip()
        if not line:
            continue
        exception = line.startswith("!")
        if exception:
            line = line[1:].strip()
        if not line:
            continue
        regex = compile_pattern(_clean(line))
        if regex is not None:
            patterns.append(_Pattern(regex, exception))
    return IgnoreRules(patterns)


@dataclass(frozen=True)
class BuildContext:
    """The files `docker build` would send (regular files only, `/`-separated, relative to the
    context folder), which ignore file applied, and whether the listing stopped early."""

    folder: Path
    files: tuple[str, ...]
    ignore_file: Path | None
    truncated: bool
    limit: int = MAX_ENTRIES

    def covered_by(self, source: str, files: Sequence[str] | None = None) -> list[str]:
        """The listed files (or those of `files`) a COPY/ADD source (relative to the context)
        copies: `.` all of them, a folder everything under it, a wildcard what it matches and
        everything under a folder it matches."""
        candidates = self.files if files is None else files
        if source == ".":
            return list(candidates)
        regex = compile_pattern(source)
        if regex is None:
            return []
        return [rel for rel in candidates if _matches_or_parent(regex, rel)]


def ignore_files(dockerfile: Path, folder: Path) -> tuple[Path, Path]:
    """Where BuildKit looks for the ignore file, in order: `<Dockerfile>.dockerignore` beside
    the Dockerfile, then `.dockerignore` at the top of the build context."""
    return dockerfile.with_name(dockerfile.name + ".dockerignore"), folder / ".dockerignore"


def load_context(
    dockerfile: Path, root: Path, limit: int | None = None, folder: Path | None = None
) -> BuildContext | None:
    """The build context (`folder`, by default the Dockerfile's folder); None when it is not
    inside `root` or its ignore file cannot be read (then nothing is said about what it
    copies). At most `limit` (default MAX_ENTRIES) files and folders are looked at."""
    limit = MAX_ENTRIES if limit is None else limit
    folder = dockerfile.parent if folder is None else folder
    if not inside(folder, root) or not folder.is_dir():
        return None
    ignore_file: Path | None = None
    rules = IgnoreRules()
    # BuildKit prefers `<Dockerfile>.dockerignore` beside the Dockerfile to the context's own
    for candidate in ignore_files(dockerfile, folder):
        if candidate.is_file():
            if not inside(candidate, root):
                return None
            try:
                rules = read_dockerignore(candidate.read_text("utf-8", "replace"))
            except OSError:
                return None
            ignore_file = candidate
            break
    files, truncated = _walk(folder, rules.excluded, rules.has_exceptions, limit)
    return BuildContext(folder, tuple(files), ignore_file, truncated, limit)


def _walk(
    folder: Path, excluded: Callable[[str], bool], has_exceptions: bool, limit: int
) -> tuple[list[str], bool]:
    files: list[str] = []
    seen = 0
    pending = deque([""])  # breadth first: the files nearest the context's top come first
    while pending:
        prefix = pending.popleft()
        try:
            with os.scandir(folder / prefix if prefix else folder) as entries:
                items = sorted(entries, key=lambda e: e.name)
        except OSError:
            continue
        for entry in items:
            seen += 1
            if seen > limit:
                return files, True
            rel = f"{prefix}/{entry.name}" if prefix else entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name in SKIPPED_FOLDERS:
                        continue
                    # an excluded folder is skipped unless a `!` line could bring files back
                    if not has_exceptions and excluded(rel):
                        continue
                    pending.append(rel)
                elif entry.is_file(follow_symlinks=False) and not excluded(rel):
                    files.append(rel)
            except OSError:
                continue
    return files, False


def is_glob(source: str) -> bool:
    return bool(_GLOB.search(source))


_PEM_PRIVATE = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_OPENPGP_PUBLIC_TAGS = frozenset({6, 14})  # public key, public subkey packets


def looks_private(path: Path) -> bool:
    """False when a key-named file is plainly public: a PEM/PGP text file with no private key
    block (certificates, public keys) or a binary OpenPGP public keyring (apt's `*.gpg`).
    True otherwise (a private key, or content that cannot be told apart)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF)
    except OSError:
        return True
    if b"-----BEGIN " in head:
        return bool(_PEM_PRIVATE.search(head))
    if head:
        first = head[0]
        if first & 0x80:
            tag = first & 0x3F if first & 0x40 else (first >> 2) & 0x0F
            return tag not in _OPENPGP_PUBLIC_TAGS
    return True


def contains(path: Path, pattern: re.Pattern[bytes]) -> bool:
    """Whether the first 64 KiB of a file match `pattern` (True when it cannot be read)."""
    try:
        with path.open("rb") as handle:
            return bool(pattern.search(handle.read(_SNIFF)))
    except OSError:
        return True


# --- Compose: a service that builds this Dockerfile with its context elsewhere ---------------

_MAX_COMPOSE_BYTES = 1 << 20
_compose_cache: dict[tuple[str, int, int], list[tuple[str, str]]] = {}


def _compose_builds(path: Path) -> list[tuple[str, str]]:
    """(real context folder, real Dockerfile path) of every service of a Compose file that
    builds from a local folder; empty for a file that is not usable Compose YAML."""
    try:
        stat = path.stat()
        key = (os.path.realpath(path), stat.st_mtime_ns, stat.st_size)
        if key in _compose_cache:
            return _compose_cache[key]
        if stat.st_size > _MAX_COMPOSE_BYTES:
            return []
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    from hullscan.core.yamlsafe import YamlProblem, load_all

    builds: list[tuple[str, str]] = []
    try:
        documents = load_all(text)
    except (YamlProblem, ValueError, RecursionError):
        documents = []
    for document in documents:
        services = document.get("services") if isinstance(document, dict) else None
        if not isinstance(services, dict):
            continue
        for service in services.values():
            build = service.get("build") if isinstance(service, dict) else None
            if isinstance(build, str):
                context, name = build, "Dockerfile"
            elif isinstance(build, dict):
                context, name = build.get("context", "."), build.get("dockerfile", "Dockerfile")
            else:
                continue
            if not isinstance(context, str) or not isinstance(name, str):
                continue
            if "$" in context + name or re.match(r"^[a-z][a-z0-9+.-]*://|^git@", context):
                continue  # interpolated, or a remote context (a URL, a git repository)
            folder = path.parent / context
            builds.append((os.path.realpath(folder), os.path.realpath(folder / name)))
    _compose_cache[key] = builds
    return builds


def compose_context(dockerfile: Path, root: Path) -> tuple[Path, Path] | None:
    """(build context folder, Compose file) of the first service, in a Compose file of the
    Dockerfile's folder or a folder above it within `root`, that builds this Dockerfile from a
    local context inside `root`; None when there is none."""
    target = os.path.realpath(dockerfile)
    top = os.path.realpath(root)
    folder = dockerfile.parent
    for _ in range(64):
        if not inside(folder, root):
            return None
        try:
            with os.scandir(folder) as entries:
                names = sorted(e.name for e in entries
                               if COMPOSE_NAME.match(e.name) and e.is_file(follow_symlinks=False))
        except OSError:
            names = []
        for name in names:
            for context, built in _compose_builds(folder / name):
                if built == target and inside(Path(context), root) and Path(context).is_dir():
                    return Path(context), folder / name
        if os.path.realpath(folder) == top:
            return None
        folder = folder.parent
    return None
