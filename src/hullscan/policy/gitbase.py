"""The base of a comparison (`--new-only --base REF`): which commit, and a temporary worktree of it.

The base commit is the merge base of REF and HEAD, so a pull request is compared with what it
branched from. A commit missing from the clone is fetched from `origin` (depth 1); a shallow
clone that cannot get it, or that lacks the history for a merge base, falls back with a note
instead of failing. The worktree lives in a temporary folder and is removed afterwards, together
with git's record of it.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hullscan.core.errors import ToolError, UsageError
from hullscan.core.tools import run_tool

log = logging.getLogger("hullscan.policy.gitbase")

GIT_TIMEOUT = 300


@dataclass(frozen=True)
class BaseCommit:
    """The commit to compare with (None: nothing to compare with, see `notes`)."""

    commit: str | None
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"base commit {self.commit[:12]}" if self.commit else "no base commit"


def _git(root: Path, *args: str, timeout: float = GIT_TIMEOUT) -> str | None:
    """stdout of a git command, or None when it fails. Never prompts for credentials."""
    try:
        return run_tool(
            "git", ["git", *args], cwd=root, timeout=timeout, env={"GIT_TERMINAL_PROMPT": "0"}
        ).stdout.strip()
    except ToolError as exc:
        log.debug("git %s: %s", " ".join(args), exc)
        return None


def _commit_of(root: Path, ref: str) -> str | None:
    return _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")


def resolve_base(root: Path, ref: str, in_git: bool) -> BaseCommit:
    """The merge base of `ref` and HEAD in the repository at `root`."""
    if not in_git:
        raise UsageError(f"--base {ref}: {root} is not a git work tree")
    if not ref or ref.startswith("-"):
        raise UsageError(f"--base {ref!r}: not a git revision")
    shallow = _git(root, "rev-parse", "--is-shallow-repository") == "true"
    notes: list[str] = []
    commit = _commit_of(root, ref)
    if commit is None:
        commit = _fetch(root, ref)
        if commit is None:
            if shallow:
                return BaseCommit(None, (
                    f"base {ref} is not in this shallow clone and could not be fetched: every "
                    "finding counts as new (check out with fetch-depth: 0 to compare)",
                ))
            raise UsageError(f"--base {ref}: no such commit in this repository")
        notes.append(f"fetched base {ref} from origin")
    head = _commit_of(root, "HEAD")
    if head is None:
        raise UsageError(f"--base {ref}: the repository has no commit checked out")
    merge_base = _git(root, "merge-base", commit, head)
    if merge_base:
        return BaseCommit(merge_base, tuple(notes))
    why = "this shallow clone lacks the history" if shallow else "they share no history"
    notes.append(f"no merge base of {ref} and HEAD ({why}): compared with {ref} itself")
    return BaseCommit(commit, tuple(notes))


def _fetch(root: Path, ref: str) -> str | None:
    remotes = (_git(root, "remote") or "").split()
    if "origin" not in remotes:
        return None
    log.info("fetching %s from origin", ref)
    fetched = _git(root, "fetch", "--no-tags", "--quiet", "--depth=1", "origin", ref)
    if fetched is None:
        return None
    return _commit_of(root, "FETCH_HEAD")


@contextmanager
def worktree(root: Path, commit: str) -> Iterator[Path]:
    """A detached worktree of `commit` in a temporary folder, removed on exit."""
    parent = Path(tempfile.mkdtemp(prefix="hullscan-base-")).resolve()
    tree = parent / "tree"
    try:
        try:
            run_tool(
                "git", ["git", "worktree", "add", "--detach", "--quiet", str(tree), commit],
                cwd=root, timeout=GIT_TIMEOUT,
            )
        except ToolError as exc:
            raise UsageError(
                f"--base: cannot check out {commit[:12]}: {_last_line(exc.stderr) or exc}"
            ) from exc
        yield tree
    finally:
        if tree.exists():
            _git(root, "worktree", "remove", "--force", str(tree))
        shutil.rmtree(parent, ignore_errors=True)
        _git(root, "worktree", "prune")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
