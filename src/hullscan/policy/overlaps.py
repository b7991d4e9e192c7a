"""Overlaps between rules, declared as data: one problem, one finding.

Two checkers (or two hooks) sometimes see the same problem: the secret in a Dockerfile `ENV` line
is HS110 for the Dockerfile checker and HS210 for the secrets checker; the image built from that
Dockerfile runs as root (HS300) because its final stage has no `USER` (HS100). Each entry names
the rule that yields, the rule it yields to and what "the same place" means. The policy keeps the
finding of `yields_to` and records the ones that yielded in its `alsoReportedAs` property (rule,
checker and message each), so nothing is lost and the SARIF result shows it; the kept finding
takes the highest severity of the group. The pre-commit hooks use the same table when the
winning rule is reported by a sibling hook in another process (`hullscan.policy.precommit`).

The rule kept is always the one written against the repository's source (the Dockerfile, the
Compose file) rather than the image or the generic secrets rule: it is on the line a reviewer
fixes, it is reported without building an image (in pre-commit and on every pull request), and
its fingerprint comes from that line, so `--new-only` and baselines recognise it (image findings
are never compared with the base commit).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class Same(enum.Enum):
    """What makes two findings one problem."""

    # the same repository file and start line
    LINE = "line"
    # the same repository file: for rules reported at most once per file (the final stage's
    # user), wherever each places it (HS100 on a base stage's `USER root`, HS300 on the final
    # stage's FROM)
    FILE = "file"
    # the same file and start line, and the same file inside the image when both findings
    # name one (a COPY of two key files is two problems)
    LINE_AND_IMAGE_FILE = "line+image-file"


@dataclass(frozen=True)
class Overlap:
    rule: str  # the rule that yields
    yields_to: str  # the rule that is kept
    same: Same
    why: str


OVERLAPS: tuple[Overlap, ...] = (
    Overlap("HS210", "HS110", Same.LINE,
            "a secret in a Dockerfile ENV/ARG or a Compose `environment` entry: the container "
            "rule says where it ends up (the image's layers and history)"),
    # the secrets checker's credential rules on a Dockerfile ENV/ARG or Compose environment
    # line that HS110 reports (it names the kind: "a literal GitHub token")
    *(Overlap(rule, "HS110", Same.LINE,
              "a credential in a Dockerfile ENV/ARG or a Compose `environment` entry, "
              "recognised by its form: the container rule names the kind and where it ends up")
      for rule in ("HS200", "HS201", "HS202", "HS203", "HS204", "HS205", "HS206", "HS207",
                   "HS208", "HS209", "HS211", "HS212", "HS213", "HS214")),
    Overlap("HS301", "HS110", Same.LINE,
            "the ENV secret seen in the built image's configuration, at the Dockerfile line "
            "that sets it"),
    Overlap("HS300", "HS100", Same.FILE,
            "the image runs as root because the Dockerfile's final stage (or the stage it is "
            "built FROM) sets no user, or root"),
    Overlap("HS302", "HS133", Same.LINE,
            "the image exposes port 22 because of the Dockerfile's EXPOSE 22"),
    Overlap("HS303", "HS111", Same.LINE_AND_IMAGE_FILE,
            "the key or credential file in the image's layer that the Dockerfile's COPY/ADD "
            "put there"),
)

# The checkers that report each rule kept above: a pre-commit hook runs a sibling hook's
# checker (`hullscan.policy.precommit`) only when it is one of these (tests/test_overlaps.py checks
# them against each checker's rules).
REPORTED_BY: Mapping[str, tuple[str, ...]] = {
    "HS110": ("dockerfile", "compose"),
    "HS100": ("dockerfile", "compose"),
    "HS133": ("dockerfile",),
    "HS111": ("dockerfile",),
}

ALSO_REPORTED_AS = "alsoReportedAs"


def yielding() -> Mapping[str, tuple[Overlap, ...]]:
    """The overlaps by the rule that yields."""
    out: dict[str, tuple[Overlap, ...]] = {}
    for overlap in OVERLAPS:
        out[overlap.rule] = (*out.get(overlap.rule, ()), overlap)
    return out
