"""hullscan's pre-commit hooks as data, and the sibling hooks a repository configures.

Each hook is its own process, so the policy of one cannot see what another reports. When the
repository's `.pre-commit-config.yaml` also runs a hullscan hook whose checkers report the rule
a finding of this hook yields to (`hullscan.policy.overlaps`: the secrets hook's HS210 yields to the
Compose and Dockerfile checkers' HS110 on the same line), this hook runs that sibling's checkers
on the files concerned, only to see what the sibling will report, and leaves those findings to
it. Without the sibling configured (or with it in `SKIP`, or not covering the file) the finding
is reported here as usual.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hullscan.discover import COMPOSE_FILE

CONFIG_FILE = ".pre-commit-config.yaml"

# hook id (.pre-commit-hooks.yaml) -> the checkers its entry runs (None: every checker that
# applies). tests/test_precommit.py keeps it in step with hooks/*.py and the hooks file.
HOOK_CHECKERS: Mapping[str, tuple[str, ...] | None] = {
    "hullscan": None,
    "hullscan-dockerfile": ("dockerfile",),
    "hullscan-iac": ("compose", "iac"),
    "hullscan-compose": ("compose",),
    "hullscan-deps": ("deps",),
    "hullscan-code": ("code",),
    "hullscan-secrets": ("secrets",),
    "hullscan-image": ("image",),
}
_ENTRY_PREFIX = "hullscan-hook"


def hook_id(prog: str) -> str:
    """The hook id of a hook's entry point: `hullscan-hook-secrets` -> `hullscan-secrets`,
    `hullscan-hook` -> `hullscan`."""
    rest = prog[len(_ENTRY_PREFIX):] if prog.startswith(_ENTRY_PREFIX) else prog
    return "hullscan" + rest


@dataclass(frozen=True)
class SiblingHook:
    """Another hullscan hook the repository's pre-commit configuration runs."""

    hook_id: str
    checkers: tuple[str, ...] | None  # None: every checker
    files: str | None = None  # the configuration's own `files` / `exclude` for the hook
    exclude: str | None = None
    typed: bool = False  # the configuration narrows it by file type (types, types_or, ...)

    def covers(self, rel: str) -> bool:
        """Whether pre-commit hands the file to this hook (as far as its `files`/`exclude`
        go; the checker's own file kinds are asked separately)."""
        try:
            if self.files and not re.search(self.files, rel):
                return False
            return not (self.exclude and re.search(self.exclude, rel))
        except re.error:
            return False  # a pattern pre-commit itself would refuse


def sibling_hooks(root: Path, running: str,
                  environ: Mapping[str, str] | None = None) -> tuple[SiblingHook, ...]:
    """The other hullscan hooks `root/.pre-commit-config.yaml` runs in the stages `running`
    runs in, minus those `SKIP` names. Nothing when there is no readable configuration."""
    environ = os.environ if environ is None else environ
    try:
        text = (root / CONFIG_FILE).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return ()
    try:
        from hullscan.core.yamlsafe import load_all

        documents = load_all(text)
    except Exception:  # not YAML, or not a shape pre-commit accepts: pre-commit says so
        return ()
    config = documents[0] if documents else None
    if not isinstance(config, Mapping):
        return ()
    skipped = {s.strip() for s in environ.get("SKIP", "").split(",") if s.strip()}
    default_stages = _strings(config.get("default_stages"))
    hooks = [hook for hook in _hooks(config) if hook.get("id") in HOOK_CHECKERS]
    mine = [hook for hook in hooks if hook.get("id") == running]
    my_stages = _stages(mine[0], default_stages) if mine else set()
    out: list[SiblingHook] = []
    for hook in hooks:
        name = str(hook.get("id"))
        if name == running or name in skipped or name == "hullscan-image":
            continue
        stages = _stages(hook, default_stages)
        if stages and not (stages & my_stages if my_stages else stages & {"pre-commit"}):
            continue
        files, exclude = hook.get("files"), hook.get("exclude")
        typed = any(key in hook for key in ("types", "types_or", "exclude_types"))
        out.append(SiblingHook(name, HOOK_CHECKERS[name],
                               files if isinstance(files, str) else None,
                               exclude if isinstance(exclude, str) else None, typed))
    return tuple(out)


# The hooks that select their files by a `files` pattern alone (.pre-commit-hooks.yaml; a
# test keeps this in step): pre-commit hands such a hook every file the pattern matches (or
# the configuration's own `files`, which replaces it). Hooks selected by file type (identify's
# tags) are not listed: whether they get a file is not known here.
HOOK_FILES: Mapping[str, str] = {
    "hullscan-iac": r"\.(tf|tf\.json|bicep|ya?ml|json|template|tpl)$",
    "hullscan-compose": rf"(^|/){COMPOSE_FILE}$",
}


def checked_elsewhere(running: str, checker: str, rel: str,
                      siblings: tuple[SiblingHook, ...]) -> str | None:
    """The sibling hook that will run `checker` on `rel` and is more specific than the running
    hook (fewer checkers: `hullscan-compose` for Compose files, before `hullscan-iac`, before
    `hullscan`), or None. Each file is then checked by one checker once across the hooks: the
    most specific configured hook that runs the checker checks it, the others leave it. Only a
    sibling known to get the file counts (selected by `files`, not narrowed by type)."""
    mine = HOOK_CHECKERS.get(running, ())
    for sibling in sorted(siblings, key=lambda s: len(s.checkers or HOOK_CHECKERS)):
        theirs = sibling.checkers
        if theirs is None or checker not in theirs or sibling.typed:
            continue
        if mine is not None and len(theirs) >= len(mine):
            continue
        default = HOOK_FILES.get(sibling.hook_id)
        if default is None:
            continue
        try:
            if not re.search(sibling.files or default, rel):
                continue
            if sibling.exclude and re.search(sibling.exclude, rel):
                continue
        except re.error:
            continue  # a pattern pre-commit itself would refuse
        return sibling.hook_id
    return None


def _hooks(config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    repos = config.get("repos")
    out: list[Mapping[str, Any]] = []
    for repo in repos if isinstance(repos, list) else []:
        if not isinstance(repo, Mapping) or repo.get("repo") == "meta":
            continue
        local = repo.get("repo") == "local"
        for hook in repo.get("hooks") or []:
            if not isinstance(hook, Mapping):
                continue
            entry = str(hook.get("entry") or "")
            if local and not entry.startswith(_ENTRY_PREFIX):
                continue  # a local hook that only shares the name
            out.append(hook)
    return out


_LEGACY_STAGES = {"commit": "pre-commit", "push": "pre-push", "merge-commit": "pre-merge-commit"}


def _stages(hook: Mapping[str, Any], default: list[str]) -> set[str]:
    stages = _strings(hook.get("stages")) or default
    return {_LEGACY_STAGES.get(s, s) for s in stages}


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
