"""HS100: the final stage runs as root."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullscan.core.imageref import parse_image_ref
from hullscan.dockerfile.parser import Dockerfile, substitute
from hullscan.dockerfile.rules.base import (
    ROOT_USER,
    Hit,
    RuleContext,
    final_from,
    hit,
    stage_chain,
    stage_env,
)

_ROOT_NAMES = frozenset({"root", "0"})


def _root_user(dockerfile: Dockerfile) -> Iterator[Hit]:
    chain = stage_chain(dockerfile)  # empty without a FROM
    if not chain:
        return
    for stage in chain:
        users = [i for i in dockerfile.stage_instructions(stage.index) if i.keyword == "USER"]
        if users:
            last = users[-1]
            value, resolved = substitute(last.args.strip(), stage_env(dockerfile, stage))
            user = value.split(":", 1)[0].strip()
            if resolved and user.lower() in _ROOT_NAMES:
                yield hit(
                    ROOT_USER, last,
                    f"The last USER of the final stage is {user!r}: the container runs as root",
                )
            return
    origin = chain[-1]  # the first stage of the FROM chain: its base image is the final image's
    base = origin.resolved_image or origin.image
    ref = parse_image_ref(base) if base else None
    if ref is not None and ref.tag and re.search(r"(^|[-_.])(nonroot|rootless)($|[-_.])", ref.tag):
        return  # e.g. distroless :nonroot images set a non-root user themselves
    from_line = final_from(dockerfile)
    if from_line is not None:
        yield hit(
            ROOT_USER, from_line,
            "The final stage has no USER instruction: the container runs as root "
            "unless the base image sets another user",
        )


def check(dockerfile: Dockerfile, context: RuleContext) -> Iterator[Hit]:
    return _root_user(dockerfile)
