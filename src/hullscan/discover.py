"""Which files exist under the paths the user gave, relative to the repository root.

Inside a git work tree only files git tracks or would track are listed (`.gitignore` honoured);
outside one, folders are walked, skipping VCS and virtualenv folders. Explicit file arguments are
always listed. The configuration's `exclude` globs apply to everything, explicit files included
(pre-commit passes files by name, and an excluded file must stay excluded then too).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hullscan.errors import ToolError, UsageError
from hullscan.globs import match_any
from hullscan.tools import run_tool

log = logging.getLogger("hullscan.discover")

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__", "node_modules"}
)


@dataclass(frozen=True)
class Target:
    """A file to scan: its absolute path and its path relative to the root, with `/`."""

    path: Path
    rel: str
    explicit: bool = False


def _git_toplevel(start: Path) -> Path | None:
    folder = start if start.is_dir() else start.parent
    try:
        run = run_tool("git", ["git", "rev-parse", "--show-toplevel"], cwd=folder, timeout=30)
    except ToolError:
        return None
    top = run.stdout.strip()
    return Path(top).resolve() if top else None


def find_root(paths: Sequence[str]) -> tuple[Path, bool]:
    """The repository root for these paths, and whether it is a git work tree."""
    first = Path(paths[0] if paths else ".").resolve()
    top = _git_toplevel(first)
    if top is not None:
        return top, True
    cwd = Path.cwd().resolve()
    resolved = [Path(p).resolve() for p in (paths or ["."])]
    if all(_is_under(p, cwd) for p in resolved):
        return cwd, False
    common = Path(os.path.commonpath([str(p) for p in resolved]))
    return (common if common.is_dir() else common.parent), False


def _is_under(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, root)).as_posix()


def _git_files(folder: Path, root: Path) -> list[Path]:
    run = run_tool(
        "git",
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
        cwd=folder,
        timeout=120,
    )
    return [folder / name for name in run.stdout.split("\0") if name]


def _walk(folder: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            yield Path(dirpath) / name


def discover(
    paths: Sequence[str], root: Path, in_git: bool, exclude: Sequence[str] = (),
    skipped: list[tuple[str, str]] | None = None, excluded: list[str] | None = None,
) -> list[Target]:
    """List the files to scan, sorted by relative path, without duplicates. Files that cannot
    be scanned at all (a broken symbolic link) are added to `skipped` as (path, reason), files
    the `exclude` globs leave out to `excluded`."""
    found: dict[str, Target] = {}
    broken: list[tuple[str, str]] = [] if skipped is None else skipped
    left_out: list[str] = [] if excluded is None else excluded
    for given in paths or ["."]:
        candidate = Path(given)
        if not candidate.exists() and not candidate.is_symlink():
            raise UsageError(f"{given}: no such file or directory")
        if candidate.is_file() or (candidate.is_symlink() and not candidate.is_dir()):
            _add(found, candidate, root, explicit=True, exclude=exclude, broken=broken,
                 excluded=left_out)
            continue
        folder = candidate.resolve()
        files: Iterable[Path]
        if in_git and _is_under(folder, root):
            try:
                files = _git_files(folder, root)
            except ToolError as exc:
                log.warning("git ls-files failed (%s); walking %s instead", exc, given)
                files = _walk(folder)
        else:
            files = _walk(folder)
        for path in files:
            _add(found, path, root, explicit=False, exclude=exclude, broken=broken,
                 excluded=left_out)
    return [found[k] for k in sorted(found)]


def _add(
    found: dict[str, Target], path: Path, root: Path, *, explicit: bool, exclude: Sequence[str],
    broken: list[tuple[str, str]], excluded: list[str],
) -> None:
    absolute = Path(os.path.abspath(path))
    if absolute.is_symlink():
        real = absolute.resolve()
        if not real.exists():
            rel = relative(absolute, root)
            if not (exclude and match_any(exclude, rel)):
                broken.append((rel, "broken symbolic link: skipped"))
            return
        if not real.is_file():
            return
        # Report a symlinked file at its real path when that is inside the repository.
        if _is_under(real, root):
            absolute = real
    elif not absolute.is_file():
        return  # deleted but still tracked, or a socket/fifo
    rel = relative(absolute, root)
    if exclude and match_any(exclude, rel):
        log.debug("excluded by configuration: %s", rel)
        excluded.append(rel)
        return
    if rel not in found:
        found[rel] = Target(absolute, rel, explicit)
