"""The checker interface: a checker knows its tool and its file kinds, nothing about SARIF,
exit codes or GitHub."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from hullscan.core.config import Config
from hullscan.core.model import CheckerResult
from hullscan.discover import Target

if TYPE_CHECKING:
    from hullscan.image.model import ImageRequest


@dataclass(frozen=True)
class CheckContext:
    root: Path
    config: Config
    offline: bool = False  # vulnerability data only from the local database
    ignore_unfixed: bool = False  # drop advisories that have no fixed version
    image: ImageRequest | None = None  # the image checker's subject
    # Pull-request mode (--new-only --base without --trust-head-config): the scanned tree is
    # the change under review. Settings that would run its code (checkers.deps.resolve) are
    # ignored, and tool configuration files come from the base commit (`tool_config`).
    pull_request: bool = False
    # the base commit's tree in pull-request mode (None otherwise)
    policy_root: Path | None = None

    def tool_config(self, rel: str) -> Path | None:
        """A repository file that configures a tool (`.hadolint.yaml`, a zizmor config, a
        semgrep rule file), from the trusted tree: the base commit's in pull-request mode, the
        scanned root otherwise. None when that tree has no such file."""
        path = (self.policy_root or self.root) / rel
        return path if path.is_file() else None


class Checker(Protocol):
    name: str
    description: str

    def applies(self, target: Target) -> bool:
        """Whether `hullscan scan` should hand this file to the checker."""
        ...

    def check(self, targets: Sequence[Target], context: CheckContext) -> CheckerResult:
        """Check the files. Tool failures become a result with `successful=False` and a
        notification; bad input files become notifications naming the file. Never raises for
        either."""
        ...
