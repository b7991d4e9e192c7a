"""HS101-HS103 on FROM and COPY --from: unpinned, mutable and untrusted images."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullscan.containers.images import image_issues
from hullscan.dockerfile.parser import Dockerfile, Instruction, substitute
from hullscan.dockerfile.rules.base import (
    Hit,
    RuleContext,
    hit,
    stage_env,
)


def _images(dockerfile: Dockerfile, context: RuleContext) -> Iterator[Hit]:
    stage_names = {s.name for s in dockerfile.stages if s.name}
    by_line = {i.start_line: i for i in dockerfile.instructions}
    for stage in dockerfile.stages:
        ins = by_line.get(stage.line)
        if ins is None or stage.from_stage is not None or stage.resolved_image is None:
            continue
        yield from _image_hits(stage.resolved_image, ins, context, "Base image")
    for ins in dockerfile.instructions:
        sources: list[str] = []
        if ins.keyword in ("COPY", "ADD"):
            sources.append(ins.flag("from") or "")
        if ins.keyword == "RUN":
            for name, value in ins.flags:
                if name == "mount" and value:
                    m = re.search(r"(?:^|,)from=([^,]+)", value)
                    if m:
                        sources.append(m.group(1))
        for source in sources:
            if not source or source.lower() in stage_names or source.isdigit():
                continue
            env = stage_env(dockerfile, dockerfile.stages[ins.stage]) if ins.stage >= 0 else {}
            value, resolved = substitute(source, env)
            if resolved:
                yield from _image_hits(value, ins, context, f"{ins.keyword} --from image")


def _image_hits(text: str, ins: Instruction, context: RuleContext, what: str) -> Iterator[Hit]:
    for issue in image_issues(text, context.trusted_registries, what):
        yield hit(issue.rule, ins, issue.message, f"{ins.keyword} {issue.image}")


def check(dockerfile: Dockerfile, context: RuleContext) -> Iterator[Hit]:
    return _images(dockerfile, context)
