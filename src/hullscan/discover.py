"""Which files exist under the paths the user gave, relative to the repository root.

Inside a git work tree only files git tracks or would track are listed (`.gitignore` honoured);
outside one, folders are walked, skipping VCS and virtualenv folders. Explicit file arguments are
always listed. The configuration's `exclude` globs apply to everything, explicit files included
(pre-commit passes files by name, and an excluded file must stay excluded then too).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hullscan.core.errors import ToolError, UsageError
from hullscan.core.globs import match_any
from hullscan.core.textfile import FileContent
from hullscan.core.tools import run_tool

log = logging.getLogger("hullscan.discover")

# A Compose file's name (compose.yaml, docker-compose.override.yml, compose.prod.yaml): the one
# pattern the Compose checker, the IaC checker (which leaves them alone), the build-context
# lister and the pre-commit hook table use.
COMPOSE_FILE = r"(docker-)?compose(\.[^/]*)?\.ya?ml"
COMPOSE_NAME = re.compile(rf"^{COMPOSE_FILE}$")

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__", "node_modules"}
)


@dataclass(frozen=True)
class Target:
    """A file to scan: its absolute path and its path relative to the root, with `/`.

    Discovery reads nothing; the first checker that needs the content reads it and every other
    user of this target (checkers, the policy's source lines, the formats) gets the same bytes
    (`text`, `data`): a file is read once per scan."""

    path: Path
    rel: str
    explicit: bool = False
    content: FileContent = field(
        default_factory=FileContent, compare=False, hash=False, repr=False
    )

    def text(self, max_size: int) -> str:
        """The file's text (UnreadableFile: too large, binary, not UTF-8, unreadable)."""
        return self.content.text(self.path, max_size)

    def data(self, max_size: int) -> bytes:
        """The file's bytes (UnreadableFile: too large or unreadable)."""
        return self.content.data(self.path, max_size)

    def cli_path(self) -> str:
        """The path to give a tool run from the root: relative, except outside the root;
        `./` in front of a name that starts with `-`, so it is never read as an option."""
        if self.rel.startswith(".."):
            return str(self.path)
        return f"./{self.rel}" if self.rel.startswith("-") else self.rel


def real_path(path: Path | str) -> Path:
    """`path` absolute, with its symbolic links resolved, without ever raising:
    `Path.resolve()` raises RuntimeError on a link loop on Python 3.11 (OSError on 3.13);
    `os.path.realpath` leaves the part it cannot resolve as it is."""
    return Path(os.path.realpath(path))


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, its links followed, is `root` or lies under it (links followed too)."""
    try:
        real_path(path).relative_to(real_path(root))
    except ValueError:
        return False
    return True


def link_problem(path: Path) -> str | None:
    """Why the symbolic link `path` cannot be followed (None: it can)."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "broken symbolic link"
        return f"symbolic link that cannot be followed ({exc.strerror or exc})"
    return None


def _git_toplevel(start: Path) -> Path | None:
    folder = start if start.is_dir() else start.parent
    try:
        run = run_tool("git", ["git", "rev-parse", "--show-toplevel"], cwd=folder, timeout=30)
    except ToolError:
        return None
    top = run.stdout.strip()
    return real_path(top) if top else None


def find_root(paths: Sequence[str]) -> tuple[Path, bool]:
    """The repository root for these paths, and whether it is a git work tree."""
    first = real_path(paths[0] if paths else ".")
    top = _git_toplevel(first)
    if top is not None:
        return top, True
    cwd = real_path(Path.cwd())
    resolved = [real_path(p) for p in (paths or ["."])]
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


def _walk(folder: Path, unreadable: list[tuple[Path, str]]) -> Iterable[Path]:
    """Every file under `folder`, and every symbolic link to a folder (never followed: the
    caller tells a loop from an ordinary link). Folders that cannot be read go to
    `unreadable`."""

    def failed(exc: OSError) -> None:
        unreadable.append((Path(exc.filename or folder), exc.strerror or str(exc)))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=failed):
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and d not in links)
        for name in sorted([*filenames, *links]):
            yield Path(dirpath) / name


def discover(
    paths: Sequence[str], root: Path, in_git: bool, exclude: Sequence[str] = (),
    skipped: list[tuple[str, str]] | None = None, excluded: list[str] | None = None,
) -> list[Target]:
    """List the files to scan, sorted by relative path, without duplicates. Files that cannot
    be scanned at all (a broken symbolic link, a link loop, a fifo, an unreadable folder) are
    added to `skipped` as (path, reason), files the `exclude` globs leave out to `excluded`.
    The globs apply to a path as found, before any link in it is followed, and again to the
    real path a link leads to. Links are never followed into folders, so a loop is never
    walked; each is skipped with a warning naming it."""
    found: dict[str, Target] = {}
    broken: list[tuple[str, str]] = [] if skipped is None else skipped
    left_out: list[str] = [] if excluded is None else excluded
    for given in paths or ["."]:
        candidate = Path(given)
        try:
            os.lstat(candidate)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                raise UsageError(f"{given}: no such file or directory") from None
            raise UsageError(f"{given}: {(exc.strerror or str(exc)).lower()}") from None
        if not candidate.is_dir():  # a file, a link that is not to a folder, a fifo, ...
            _add(found, candidate, root, explicit=True, exclude=exclude, broken=broken,
                 excluded=left_out)
            continue
        folder = real_path(candidate)
        unreadable: list[tuple[Path, str]] = []
        files: Iterable[Path]
        if in_git and _is_under(folder, root):
            try:
                files = _git_files(folder, root)
            except ToolError as exc:
                log.warning("git ls-files failed (%s); walking %s instead", exc, given)
                files = _walk(folder, unreadable)
        else:
            files = _walk(folder, unreadable)
        for path in files:
            _add(found, path, root, explicit=False, exclude=exclude, broken=broken,
                 excluded=left_out)
        for path, reason in unreadable:
            rel = relative(Path(os.path.abspath(path)), root)
            if not (exclude and match_any(exclude, rel)):
                broken.append((rel, f"folder cannot be read ({reason}): skipped"))
    return [found[k] for k in sorted(found)]


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a fifo"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def _add(
    found: dict[str, Target], path: Path, root: Path, *, explicit: bool, exclude: Sequence[str],
    broken: list[tuple[str, str]], excluded: list[str],
) -> None:
    # The folder it is in resolved (so the path is relative to the real root), not the file.
    given = Path(os.path.abspath(path))
    absolute = real_path(given.parent) / given.name
    rel = relative(absolute, root)
    # The globs first, on the path as found: an excluded link is never followed.
    if exclude and match_any(exclude, rel):
        log.debug("excluded by configuration: %s", rel)
        excluded.append(rel)
        return
    try:
        info = os.lstat(absolute)
    except FileNotFoundError:
        return  # deleted but still tracked
    except OSError as exc:
        broken.append((rel, f"cannot be read ({exc.strerror or exc}): skipped"))
        return
    if stat.S_ISLNK(info.st_mode):
        problem = link_problem(absolute)
        if problem is not None:
            target = _link_text(absolute) if problem == "symbolic link loop" else ""
            broken.append((rel, f"{problem}{f' (to {target})' if target else ''}: skipped"))
            return
        real = real_path(absolute)
        try:
            info = os.stat(real)
        except OSError as exc:
            broken.append((rel, f"symbolic link that cannot be followed "
                                f"({exc.strerror or exc}): skipped"))
            return
        if stat.S_ISDIR(info.st_mode):
            # Never followed. A link to a folder that holds it is a loop: say so.
            if _is_under(absolute.parent, real):
                broken.append((rel, f"symbolic link loop (to {_link_text(absolute)}, a folder "
                               "that contains it): skipped"))
            return
        if not stat.S_ISREG(info.st_mode):
            broken.append((rel, f"symbolic link to {_kind(info.st_mode)}: skipped"))
            return
        # Report a symlinked file at its real path when that is inside the repository.
        if _is_under(real, root):
            absolute = real
            rel = relative(absolute, root)
            if exclude and match_any(exclude, rel):
                log.debug("excluded by configuration: %s", rel)
                excluded.append(rel)
                return
    elif stat.S_ISDIR(info.st_mode):
        return  # a git submodule
    elif not stat.S_ISREG(info.st_mode):
        broken.append((rel, f"{_kind(info.st_mode)}, not a regular file: skipped"))
        return
    if rel not in found:
        found[rel] = Target(absolute, rel, explicit)


def _link_text(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""
