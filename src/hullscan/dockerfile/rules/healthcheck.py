"""HS134: the final stage has no HEALTHCHECK."""

from __future__ import annotations

from collections.abc import Iterator

from hullscan.dockerfile.parser import Dockerfile
from hullscan.dockerfile.rules.base import (
    NO_HEALTHCHECK,
    Hit,
    RuleContext,
    final_from,
    hit,
    stage_chain,
)


def _healthcheck(dockerfile: Dockerfile) -> Iterator[Hit]:
    for stage in stage_chain(dockerfile):  # none without a FROM
        # a HEALTHCHECK here or in a stage the final one is built FROM is inherited;
        # `HEALTHCHECK NONE` is an explicit choice: neither is reported
        if any(i.keyword == "HEALTHCHECK" for i in dockerfile.stage_instructions(stage.index)):
            return
    from_line = final_from(dockerfile)
    if from_line is not None:
        yield hit(
            NO_HEALTHCHECK, from_line,
            "The final stage has no HEALTHCHECK: a hung container looks healthy to Docker "
            "and Compose unless the base image defines one",
        )


def check(dockerfile: Dockerfile, context: RuleContext) -> Iterator[Hit]:
    return _healthcheck(dockerfile)
