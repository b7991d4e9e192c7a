"""HS100: the final stage runs as root."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullscan.core.imageref import parse_image_ref
from hullscan.dockerfile.parser import Dockerfile, Stage, substitute
from hullscan.dockerfile.rules.base import (
    ROOT_USER,
    Hit,
    RuleContext,
    hit,
    stage_env,
)

_ROOT_NAMES = frozenset({"root", "0"})


def _root_user(dockerfile: Dockerfile) -> Iterator[Hit]:
    final = dockerfile.final_stage
    if final is None:
        return
    stage: Stage | None = final
    origin = final  # the first stage of the FROM chain: its base image is the final image's
    seen: set[int] = set()
    while stage is not None and stage.index not in seen:
        seen.add(stage.index)
        origin = stage
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
        stage = (
            dockerfile.stages[stage.from_stage] if stage.from_stage is not None else None
        )
    base = origin.resolved_image or origin.image
    ref = parse_image_ref(base) if base else None
    if ref is not None and ref.tag and re.search(r"(^|[-_.])(nonroot|rootless)($|[-_.])", ref.tag):
        return  # e.g. distroless :nonroot images set a non-root user themselves
    from_line = next(
        (i for i in dockerfile.instructions if i.keyword == "FROM" and i.start_line == final.line),
        None,
    )
    if from_line is not None:
        yield hit(
            ROOT_USER, from_line,
            "The final stage has no USER instruction: the container runs as root "
            "unless the base image sets another user",
        )




def check(dockerfile: Dockerfile, context: RuleContext) -> Iterator[Hit]:
    return _root_user(dockerfile)
