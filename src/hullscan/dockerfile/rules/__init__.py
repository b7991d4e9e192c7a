"""hullscan's own container rules for Dockerfiles: what hadolint does not check or ranks too low.

Rule ids name a concept, not a file kind (an unpinned image is HS101 wherever it is written), so
the Compose, Kubernetes and workflow checks reuse the same rules.

One module per rule family, each with `check(dockerfile, context) -> Iterable[Hit]`, listed
once in `CHECKS`; the definitions (rule ids, texts, severities) are in `base.py`. To add a
rule: define it in `base.py` (and `ALL_RULES`), write its module, add its `check` to `CHECKS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from hullscan.dockerfile.parser import Dockerfile
from hullscan.dockerfile.rules import commands, copies, healthcheck, images, secrets, user
from hullscan.dockerfile.rules.base import (
    ALL_RULES,
    CONTEXT_WITHOUT_DOCKERIGNORE,
    CURL_PIPE_SHELL,
    NO_HEALTHCHECK,
    PRIVILEGED,
    REMOTE_ADD,
    ROOT_USER,
    SECRET_FILE_COPIED,
    SECRET_IN_IMAGE,
    SSH_SERVER,
    SUDO,
    SUPERSEDES,
    TLS_DISABLED,
    WORLD_WRITABLE,
    Hit,
    RuleContext,
)

__all__ = [
    "ALL_RULES", "CHECKS", "CONTEXT_WITHOUT_DOCKERIGNORE", "CURL_PIPE_SHELL", "NO_HEALTHCHECK",
    "PRIVILEGED", "REMOTE_ADD", "ROOT_USER", "SECRET_FILE_COPIED", "SECRET_IN_IMAGE",
    "SSH_SERVER", "SUDO", "SUPERSEDES", "TLS_DISABLED", "WORLD_WRITABLE", "Hit", "RuleContext",
    "check",
]

Check = Callable[[Dockerfile, RuleContext], Iterable[Hit]]

# every rule family, in the order its findings are listed for one instruction
CHECKS: tuple[Check, ...] = (
    user.check,
    healthcheck.check,
    images.check,
    secrets.check,
    copies.check,
    commands.check,
)


def check(dockerfile: Dockerfile, context: RuleContext) -> list[Hit]:
    return [hit for family in CHECKS for hit in family(dockerfile, context)]
