"""Lockfile and manifest readers: every pinned dependency with the 1-based line of its entry, so
an annotation lands where the fix goes.

`reader_for(filename)` picks a reader by file name; a reader takes the file's text and returns a
ReadResult, or raises LockfileError (a one-line reason without the path, and `line` when known)
for anything it cannot read: corrupt or truncated files, wrong top-level types, binary content.
No other exception escapes a reader returned by `reader_for`.

`read_manifest(path, reader)` is how the checker reads a file from disk: whatever the configured
`max_file_size` (that limit is for source files; a lockfile is data) up to `MAX_SIZE`, decoded
as `_text.decode` says, and with every pin whose version its ecosystem cannot order moved to
`unorderable`. It raises LockfileError for what it cannot read, so the file fails closed."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from hullscan.core.textfile import human_size
from hullscan.deps.lockfiles import _text
from hullscan.deps.lockfiles._common import Dependency, LockfileError, Reader, ReadResult
from hullscan.deps.lockfiles.cargo import read_cargo_lock
from hullscan.deps.lockfiles.composer import read_composer_lock
from hullscan.deps.lockfiles.gemfile import read_gemfile_lock
from hullscan.deps.lockfiles.gomod import read_go_mod
from hullscan.deps.lockfiles.gradle import read_gradle_lockfile
from hullscan.deps.lockfiles.maven import read_pom
from hullscan.deps.lockfiles.npm import read_package_lock
from hullscan.deps.lockfiles.nuget import read_packages_lock
from hullscan.deps.lockfiles.packagejson import read_package_json
from hullscan.deps.lockfiles.pipfile import read_pipfile_lock
from hullscan.deps.lockfiles.pnpm import read_pnpm_lock
from hullscan.deps.lockfiles.poetry import read_poetry_lock
from hullscan.deps.lockfiles.pylock import read_pylock
from hullscan.deps.lockfiles.pyproject import read_pyproject
from hullscan.deps.lockfiles.requirements import read_requirements
from hullscan.deps.lockfiles.uv import read_uv_lock
from hullscan.deps.lockfiles.yarn import read_yarn_lock
from hullscan.vuln.versions import VersionError, is_supported, parse

__all__ = [
    "READERS",
    "Dependency",
    "LockfileError",
    "ReadResult",
    "manifest_text",
    "read_data",
    "read_lockfile",
    "read_manifest",
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
    "package.json": read_package_json,
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

# How each format writes comments (see `_text.decode`); formats without comments (JSON,
# Gemfile.lock) and pom.xml (its XML declaration names the encoding) are not listed.
_COMMENTS: dict[str, _text.CommentRule] = {
    "read_requirements": _text.pip_comment,
    "read_go_mod": _text.go_comment,
    **dict.fromkeys(
        ("read_pyproject", "read_poetry_lock", "read_uv_lock", "read_pylock", "read_cargo_lock",
         "read_pnpm_lock", "read_yarn_lock", "read_gradle_lockfile"),
        _text.hash_comment,
    ),
}


def reader_for(filename: str, path: str | None = None) -> Callable[[str], ReadResult] | None:
    """The reader for a file name, or None. Folder-qualified patterns (`requirements/*.txt`)
    need the folder: pass a path as `filename`, or the file's path (relative to the repository)
    as `path`."""
    parts = PurePosixPath((path or filename).replace("\\", "/")).parts
    if not parts:
        return None
    for pattern, reader in _GUARDED.items():
        if pattern == "package.json" and "node_modules" in parts[:-1]:
            continue  # an installed package's manifest: the project's lockfile pins it
        depth = pattern.count("/") + 1
        if len(parts) >= depth and fnmatchcase("/".join(parts[-depth:]), pattern):
            return reader
    return None


def read_lockfile(path: Path, max_size: int = MAX_SIZE) -> ReadResult:
    """Read a file from disk with the reader its name selects (see `read_manifest`);
    LockfileError for an unknown name or a file that cannot be read."""
    reader = reader_for(str(path))
    if reader is None:
        raise LockfileError("not a known lockfile or manifest name")
    return read_manifest(path, reader, max_size)


def read_manifest(path: Path, reader: Reader, max_size: int = MAX_SIZE) -> ReadResult:
    """The file read with `reader`: up to `max_size` bytes whatever the configured
    `max_file_size`, decoded (see `_text.decode`), pins whose version cannot be ordered moved to
    `unorderable`. LockfileError when it is over the limit, binary, not text outside comments,
    or the reader refuses it."""
    return read_data(_manifest_bytes(path, max_size), reader)


def read_data(data: bytes, reader: Reader) -> ReadResult:
    """What `read_manifest` does, on bytes already read (a file of an image layer)."""
    text, replaced = _decode(data, reader)
    result = reader(text)
    if replaced:
        _refuse_replaced(result)
    return _orderable(result)


def manifest_text(path: Path, reader: Reader, max_size: int = MAX_SIZE) -> tuple[str, bool]:
    """The text of a file `reader` reads (see `read_manifest`), and whether bytes inside
    comments were replaced; LockfileError when it cannot be read."""
    return _decode(_manifest_bytes(path, max_size), reader)


def _decode(data: bytes, reader: Reader) -> tuple[str, bool]:
    name = getattr(reader, "__name__", "")
    return _text.decode(data, _COMMENTS.get(name), xml=name == "read_pom")


def _manifest_bytes(path: Path, max_size: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_size:
            raise LockfileError(f"{human_size(size)} is over the limit of {human_size(max_size)} "
                                "for manifests and lockfiles")
        with path.open("rb") as handle:
            data = handle.read(max_size + 1)
    except OSError as exc:
        raise LockfileError(str(exc.strerror or exc)) from None
    if len(data) > max_size:
        raise LockfileError(f"over the limit of {human_size(max_size)} for manifests and lockfiles")
    return data


def _refuse_replaced(result: ReadResult) -> None:
    """A replaced byte must only ever have been in a comment: refuse the file when one reached
    a name, a version or an included path (a comment rule that guessed wrong)."""
    entries = [(d.package.name + " " + d.package.version, d.line) for d in result.dependencies]
    entries += [(name, line) for name, line, _ in result.unpinned]
    entries += list(result.includes)
    for written, line in entries:
        if "\ufffd" in written:
            raise LockfileError("not UTF-8 text outside a comment", line)


def _orderable(result: ReadResult) -> ReadResult:
    """Pins whose version the ecosystem cannot order (`django==2.2.x`, go.mod `v0.3`) are moved
    to `unorderable`: no OSV range can be evaluated against them."""
    kept: list[Dependency] = []
    refused: list[tuple[str, int, str]] = []
    for dependency in result.dependencies:
        package = dependency.package
        if is_supported(package.ecosystem):
            try:
                parse(package.ecosystem, package.version)
            except VersionError:
                refused.append((package.name, dependency.line,
                                f"version {package.version} is not valid in {package.ecosystem}"))
                continue
        kept.append(dependency)
    if not refused:
        return result
    return replace(result, dependencies=tuple(kept),
                   unorderable=result.unorderable + tuple(refused))
