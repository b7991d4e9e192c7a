"""Lockfile and manifest readers: every pinned dependency with the 1-based line of its entry, so
an annotation lands where the fix goes.

`reader_for(filename)` picks a reader by file name; a reader takes the file's text and returns a
ReadResult, or raises LockfileError (a one-line reason without the path, and `line` when known)
for anything it cannot read: corrupt or truncated files, wrong top-level types, binary content.
No other exception escapes a reader returned by `reader_for`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from hullscan.deps.lockfiles._common import Dependency, LockfileError, Reader, ReadResult
from hullscan.deps.lockfiles.cargo import read_cargo_lock
from hullscan.deps.lockfiles.composer import read_composer_lock
from hullscan.deps.lockfiles.gemfile import read_gemfile_lock
from hullscan.deps.lockfiles.gomod import read_go_mod
from hullscan.deps.lockfiles.gradle import read_gradle_lockfile
from hullscan.deps.lockfiles.maven import read_pom
from hullscan.deps.lockfiles.npm import read_package_lock
from hullscan.deps.lockfiles.nuget import read_packages_lock
from hullscan.deps.lockfiles.pipfile import read_pipfile_lock
from hullscan.deps.lockfiles.pnpm import read_pnpm_lock
from hullscan.deps.lockfiles.poetry import read_poetry_lock
from hullscan.deps.lockfiles.pylock import read_pylock
from hullscan.deps.lockfiles.pyproject import read_pyproject
from hullscan.deps.lockfiles.requirements import read_requirements
from hullscan.deps.lockfiles.uv import read_uv_lock
from hullscan.deps.lockfiles.yarn import read_yarn_lock
from hullscan.textfile import UnreadableFile, read_text

__all__ = [
    "READERS",
    "Dependency",
    "LockfileError",
    "ReadResult",
    "read_lockfile",
    "reader_for",
]

MAX_SIZE = 64 * 1024 * 1024

# File-name pattern -> reader. A pattern with a `/` matches the end of the path
# (`requirements/*.txt`: any .txt file in a folder named requirements).
READERS: dict[str, Reader] = {
    "requirements*.txt": read_requirements,
    "requirements/*.txt": read_requirements,
    "poetry.lock": read_poetry_lock,
    "pyproject.toml": read_pyproject,
    "uv.lock": read_uv_lock,
    "Pipfile.lock": read_pipfile_lock,
    "pylock.toml": read_pylock,
    "pylock.*.toml": read_pylock,
    "package-lock.json": read_package_lock,
    "npm-shrinkwrap.json": read_package_lock,
    "yarn.lock": read_yarn_lock,
    "pnpm-lock.yaml": read_pnpm_lock,
    "go.mod": read_go_mod,
    "Cargo.lock": read_cargo_lock,
    "Gemfile.lock": read_gemfile_lock,
    "gems.locked": read_gemfile_lock,
    "composer.lock": read_composer_lock,
    "pom.xml": read_pom,
    "gradle.lockfile": read_gradle_lockfile,
    "buildscript-gradle.lockfile": read_gradle_lockfile,
    "packages.lock.json": read_packages_lock,
}


def _guarded(reader: Reader) -> Reader:
    """The reader, with any unexpected exception turned into a one-line LockfileError."""

    @functools.wraps(reader)
    def read(text: str) -> ReadResult:
        try:
            return reader(text)
        except LockfileError:
            raise
        except RecursionError:
            raise LockfileError("nested too deeply to read") from None
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise LockfileError(f"cannot read: unexpected content ({type(exc).__name__})") from None

    return read


_GUARDED = {pattern: _guarded(reader) for pattern, reader in READERS.items()}


def reader_for(filename: str, path: str | None = None) -> Callable[[str], ReadResult] | None:
    """The reader for a file name, or None. Folder-qualified patterns (`requirements/*.txt`)
    need the folder: pass a path as `filename`, or the file's path (relative to the repository)
    as `path`."""
    parts = PurePosixPath((path or filename).replace("\\", "/")).parts
    if not parts:
        return None
    for pattern, reader in _GUARDED.items():
        depth = pattern.count("/") + 1
        if len(parts) >= depth and fnmatchcase("/".join(parts[-depth:]), pattern):
            return reader
    return None


def read_lockfile(path: Path, max_size: int = MAX_SIZE) -> ReadResult:
    """Read a file from disk with the reader its name selects; LockfileError for an unknown
    name or an unreadable (too large, binary, not UTF-8) file."""
    reader = reader_for(str(path))
    if reader is None:
        raise LockfileError("not a known lockfile or manifest name")
    try:
        text = read_text(path, max_size)
    except UnreadableFile as exc:
        raise LockfileError(str(exc)) from None
    return reader(text)
