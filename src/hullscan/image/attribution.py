"""Which Dockerfile line made each layer: the image history's `created_by` entries are aligned,
from the last one backwards, with the instructions of the Dockerfile's final stage. Layers left
over belong to the base image and point at the final stage's FROM line; a `COPY --from=builder`
layer points at that COPY. BuildKit (`RUN /bin/sh -c ... # buildkit`, `COPY src dst # buildkit`)
and the legacy builder (`/bin/sh -c #(nop) COPY file:... in /dst`) are both understood."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hullscan.core.redact import redact
from hullscan.dockerfile.parser import Dockerfile, Instruction, parse
from hullscan.image.model import ImageConfig, LayerInfo

_BUILDKIT = re.compile(r"\s*#\s*buildkit\s*$")
_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")
_SHELL_PREFIX = re.compile(r"^(?:\|\d+(?:\s+\S+=\S*)*\s+)?(?:/bin/(?:ba)?sh|sh) -c\s+")
_KEYWORDS = {"RUN", "COPY", "ADD", "WORKDIR", "ENV", "USER", "LABEL", "EXPOSE", "CMD",
             "ENTRYPOINT", "VOLUME", "ARG", "SHELL", "STOPSIGNAL", "HEALTHCHECK", "ONBUILD",
             "MAINTAINER"}


@dataclass(frozen=True)
class Attribution:
    """Where a layer came from: the Dockerfile line (None: no Dockerfile, or not matched) and a
    short description of the instruction for messages."""

    line: int | None
    instruction: str
    base_image: bool = False


def _normalise(text: str) -> str:
    return " ".join(text.split())


def parse_created_by(created_by: str) -> tuple[str, str]:
    """(KEYWORD, arguments) of a history entry."""
    text = _BUILDKIT.sub("", created_by.strip())
    text = _NOP.sub("", text)
    shell = _SHELL_PREFIX.match(text)
    if shell:
        return "RUN", _normalise(text[shell.end():])
    keyword, _, rest = text.partition(" ")
    if keyword.upper() == "RUN":  # BuildKit: RUN [|N ARG=value ...] /bin/sh -c command
        shell = _SHELL_PREFIX.match(rest)
        return "RUN", _normalise(rest[shell.end():] if shell else rest)
    if keyword.upper() in _KEYWORDS:
        return keyword.upper(), _normalise(rest)
    return "", _normalise(text)


def _destination(keyword: str, args: str) -> str:
    """The destination of a COPY/ADD, as written in the history or the Dockerfile."""
    if " in " in args:  # legacy: "file:abc123 in /app/"
        return args.rsplit(" in ", 1)[1].strip()
    if args.startswith("["):
        try:
            words = [str(w) for w in json.loads(args)]
        except ValueError:
            words = args.split()
    else:
        try:
            words = shlex.split(args)
        except ValueError:
            words = args.split()
    words = [w for w in words if not w.startswith("--")]
    return words[-1] if words else ""


def _matches(instruction: Instruction, keyword: str, args: str) -> bool:
    if instruction.keyword.upper() != keyword:
        return False
    mine = _normalise(instruction.args)
    if keyword == "RUN":
        if instruction.exec_form() is not None:
            mine = _normalise(" ".join(instruction.exec_form() or []))
        return bool(mine) and (mine in args or args in mine or mine[:60] == args[:60])
    if keyword in ("COPY", "ADD"):
        return _destination(keyword, mine).rstrip("/") == _destination(keyword, args).rstrip("/")
    return True


def _short(instruction: Instruction) -> str:
    text = redact(_normalise(instruction.original))
    return text if len(text) <= 120 else text[:119] + "…"


@dataclass(frozen=True)
class Alignment:
    """The attribution of every layer, and how well the history matched the Dockerfile: the
    lines of the final stage's RUN/COPY/ADD instructions no history entry matched (their
    layers, and every layer before them, were taken for the base image's)."""

    where: dict[int, Attribution]
    from_line: int | None = None
    unmatched_lines: tuple[int, ...] = ()
    layer_instructions: int = 0  # RUN/COPY/ADD instructions of the final stage
    has_history: bool = True


# The instructions that always make a layer: each must be found in the image's history.
_LAYER_KEYWORDS = ("RUN", "COPY", "ADD")


def attribute(config: ImageConfig, layers: Sequence[LayerInfo],
              dockerfile_text: str | None) -> dict[int, Attribution]:
    """Layer index -> Attribution. Without a Dockerfile, each layer is described by its history
    entry only (line None)."""
    return align(config, layers, dockerfile_text).where


def align(config: ImageConfig, layers: Sequence[LayerInfo],
          dockerfile_text: str | None) -> Alignment:
    """`attribute`, with what did not match (see Alignment)."""
    described = {
        layer.index: Attribution(None, _describe(layer.created_by)) for layer in layers
    }
    if dockerfile_text is None:
        return Alignment(described)
    dockerfile = parse(dockerfile_text)
    stage = dockerfile.final_stage
    if stage is None:
        return Alignment(described)
    return _align(dockerfile, stage.index, stage.line, config, layers, described)


def mismatch_warning(alignment: Alignment, dockerfile: str, image: str) -> str | None:
    """One warning naming the Dockerfile when the image's history cannot be matched to its
    final stage (None when it matches): findings of the layers not matched point at the FROM
    line as if they came from the base image."""
    if alignment.from_line is None or not alignment.layer_instructions:
        return None  # no FROM, or nothing in the final stage that makes a layer
    if not alignment.has_history:
        return (f"{image} has no build history, so its layers cannot be matched to the "
                f"instructions of {dockerfile}: every finding points at the FROM line as the "
                "base image's")
    lost = alignment.unmatched_lines
    if not lost:
        return None
    shown = ("line " if len(lost) == 1 else "lines ") + ", ".join(str(n) for n in lost[:5]) + (
        ", ..." if len(lost) > 5 else "")
    if len(lost) == alignment.layer_instructions:
        what = (f"none of the RUN/COPY/ADD instructions of its final stage ({shown}) is in the "
                "image's history, so every layer is taken for the base image's and every "
                "finding points at the FROM line")
    else:
        what = (f"{len(lost)} of the {alignment.layer_instructions} RUN/COPY/ADD instructions "
                f"of its final stage ({shown}) {'is' if len(lost) == 1 else 'are'} not in the "
                "image's history, so findings of layers not matched point at the FROM line as "
                "the base image's")
    return (f"the history of {image} does not match {dockerfile}: {what}. Is {dockerfile} the "
            f"Dockerfile {image} was built from?")


def _describe(created_by: str | None) -> str:
    if not created_by:
        return "unknown instruction"
    keyword, args = parse_created_by(created_by)
    text = redact(f"{keyword} {args}".strip() if keyword else args)
    return text if len(text) <= 120 else text[:119] + "…"


def _align(
    dockerfile: Dockerfile, stage: int, from_line: int, config: ImageConfig,
    layers: Sequence[LayerInfo], described: dict[int, Attribution],
) -> Alignment:
    instructions = [i for i in dockerfile.stage_instructions(stage) if i.keyword.upper() != "FROM"]
    # history entries in order, each with the layer it made (None for empty_layer entries)
    entries: list[tuple[str, int | None]] = []
    layer_iter = iter(layers)
    non_empty = [h for h in config.history if not h.get("empty_layer")]
    aligned_history = len(non_empty) == len(layers)
    if aligned_history:
        for entry in config.history:
            made = None if entry.get("empty_layer") else next(layer_iter).index
            entries.append((str(entry.get("created_by") or ""), made))
    else:  # no usable history: only the layers' own created_by
        entries = [(layer.created_by or "", layer.index) for layer in layers]
    out = dict(described)
    position = len(instructions) - 1
    first_matched: int | None = None
    matched: set[int] = set()
    for n in range(len(entries) - 1, -1, -1):
        created_by, made = entries[n]
        keyword, args = parse_created_by(created_by)
        found = None
        for j in range(position, -1, -1):
            if _matches(instructions[j], keyword, args):
                found = j
                break
        if found is None:
            break  # the base image's history from here on
        first_matched = n
        matched.add(found)
        position = found - 1
        if made is not None:
            ins = instructions[found]
            out[made] = Attribution(ins.start_line, _short(ins))
    base_end = first_matched if first_matched is not None else len(entries)
    base = next((i for i in dockerfile.instructions if i.start_line == from_line), None)
    base_text = _short(base) if base else "FROM"
    for created_by, made in entries[:base_end]:
        if made is not None:
            out[made] = Attribution(from_line, f"{base_text} (base image: "
                                    f"{_describe(created_by)})", base_image=True)
    makers = [j for j, ins in enumerate(instructions) if ins.keyword.upper() in _LAYER_KEYWORDS]
    return Alignment(
        out, from_line=from_line,
        unmatched_lines=tuple(instructions[j].start_line for j in makers if j not in matched),
        layer_instructions=len(makers),
        has_history=any(created_by.strip() for created_by, _made in entries),
    )


def instruction_line(dockerfile_text: str | None, keyword: str,
                     matches: Callable[[str], object] | None = None) -> int | None:
    """The line of the final stage's last `keyword` instruction whose arguments `matches`;
    without one, the final stage's FROM line (the setting came from the base image)."""
    if dockerfile_text is None:
        return None
    dockerfile = parse(dockerfile_text)
    stage = dockerfile.final_stage
    if stage is None:
        return None
    for instruction in reversed(dockerfile.stage_instructions(stage.index)):
        if instruction.keyword.upper() == keyword and (matches is None
                                                       or matches(instruction.args)):
            return instruction.start_line
    return stage.line
