"""HS110: secrets written into the image (ENV, ARG, RUN assignments, heredoc bodies)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullscan.core.redact import is_placeholder, is_secret_name, mask, token_kind
from hullscan.dockerfile.parser import Dockerfile, Instruction
from hullscan.dockerfile.rules.base import (
    SECRET_IN_IMAGE,
    Hit,
    RuleContext,
    assignments,
    hit,
    shell_heredoc,
)


def _secrets(ins: Instruction) -> Iterator[Hit]:
    reported = False
    if ins.keyword in ("ENV", "ARG", "LABEL"):
        for name, value in assignments(ins):
            if value is None:
                continue
            kind = token_kind(value)
            if kind is None and not (is_secret_name(name) and not is_placeholder(value)):
                continue
            what = kind or "secret"
            yield hit(
                SECRET_IN_IMAGE, ins,
                f"{ins.keyword} {name} holds a literal {what} ({mask(value)}); it stays in the "
                "image's layers and history",
                f"{ins.keyword} {name}",
            )
            reported = True
    if reported:
        return
    head_end = ins.heredocs[0].start_line - 1 if ins.heredocs else ins.end_line
    # (text, first line, last line, shell: see _text_secret)
    segments: list[tuple[str, int, int, bool | None]] = [
        (ins.args, ins.start_line, max(ins.start_line, head_end), ins.keyword == "RUN")
    ]
    for heredoc in ins.heredocs:
        # every heredoc body is in the image: a script's text in its history, a file's in a
        # layer; each line is reported on its own line
        script = True if heredoc is shell_heredoc(ins) else None
        for offset, body_line in enumerate(heredoc.content.split("\n")):
            number = heredoc.start_line + offset
            segments.append((body_line, number, number, script))
    for text, first, last, shell in segments:
        found = _text_secret(ins, text, shell)
        if found is not None:
            message, basis = found
            yield Hit(SECRET_IN_IMAGE, first, last, message, basis)


# `NAME=value` as a shell assignment or argument (`export API_TOKEN=...`, `"password=..."`):
# the name starts a word, so `--password-store=basic` is an option, not an assignment.
_SHELL_ASSIGNMENT = re.compile(
    r"(?<![\w.$/-])(?P<name>[A-Za-z_][A-Za-z0-9_]*)="
    r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s\"';&|)]+))"
)
# a configuration line of a file written by a heredoc: `password = x`, `token: x`, `KEY=x`
_CONFIG_ASSIGNMENT = re.compile(
    r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)\s*[:=]\s*"
    r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s\"']+))"
)
_NOT_LITERAL = re.compile(
    r"[$`({\[<%]"  # a variable, command substitution, template or expression
    r"|^[A-Z][A-Z0-9_]*$"  # the name of another variable
    r"|^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$"  # a dotted expression (os.environ, settings.KEY)
)


def _literal_secret(text: str, shell: bool) -> tuple[str, str] | None:
    """(name, value) of the first secret-named assignment of a literal value in `text`: shell
    assignments always, configuration lines (`password: x`) when `text` is not shell."""
    patterns = (_SHELL_ASSIGNMENT,) if shell else (_SHELL_ASSIGNMENT, _CONFIG_ASSIGNMENT)
    for pattern in patterns:
        for m in pattern.finditer(text):
            value = m.group("dq") if m.group("dq") is not None else (
                m.group("sq") if m.group("sq") is not None else m.group("bare") or "")
            name = m.group("name")
            if (is_secret_name(name) and len(value) >= 4 and not is_placeholder(value)
                    and not _NOT_LITERAL.search(value)):
                return name, value
    return None


def _text_secret(ins: Instruction, text: str, shell: bool | None) -> tuple[str, str] | None:
    """(message, fingerprint basis) for a secret in one piece of an instruction's text: a
    token recognised by its shape anywhere; for RUN commands and heredoc bodies (`shell`: True
    for a command, None for a body that is a file or a program's input) also a literal value
    assigned to a secret-named variable or key."""
    kind = token_kind(text)
    if kind is not None:
        return (
            f"{ins.keyword} contains a literal {kind}; instruction text stays in the image's "
            "history",
            f"{ins.keyword} {kind}",
        )
    if shell is False:
        return None
    found = _literal_secret(text, shell is True)
    if found is None:
        return None
    name, value = found
    return (
        f"{ins.keyword} sets {name} to a literal secret ({mask(value)}); instruction text and "
        "the files it writes stay in the image's layers and history",
        f"{ins.keyword} {name}",
    )


# Names of files that usually hold credentials. Not `.env.example`/`.sample`/`.template`/
# `.dist`/`.defaults` (or `example.env`): those are documentation, not secrets.


def check(dockerfile: Dockerfile, context: RuleContext) -> Iterator[Hit]:
    for ins in dockerfile.instructions:
        yield from _secrets(ins)
