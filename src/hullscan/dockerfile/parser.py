"""A tolerant Dockerfile parser following BuildKit's line, directive and heredoc rules.

`parse` never raises on any input string: text that is not a known instruction is kept as an
`Instruction` whose keyword is its first word, unterminated continuations end at end of file and
unterminated heredocs run to the end of the file.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "Dockerfile",
    "Heredoc",
    "Instruction",
    "Stage",
    "parse",
    "substitute",
    "syntax_errors",
]

_DIRECTIVE_RE = re.compile(r"^[ \t]*#[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(.*?)[ \t]*$")
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_VALID_ESCAPES = frozenset({"\\", "`"})
_FLAG_INSTRUCTIONS = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
_HEREDOC_RE = re.compile(
    r"<<(-?)(?:\"([A-Za-z_][A-Za-z0-9_.-]*)\"|'([A-Za-z_][A-Za-z0-9_.-]*)'|([A-Za-z_][A-Za-z0-9_.-]*))"
)
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORD_SPLIT_RE = re.compile(r"\s+")
_WS = " \t"
_MAX_NESTING = 32  # nested `${A:-${B:-...}}` levels expanded before giving up (no recursion error)


@dataclass(frozen=True)
class Heredoc:
    """One heredoc body attached to an instruction."""

    delimiter: str
    content: str
    start_line: int
    strip_tabs: bool
    quoted: bool
    terminated: bool = True  # False when the file ended before the delimiter line


@dataclass(frozen=True)
class Instruction:
    """One logical instruction (continuations joined, heredoc bodies attached)."""

    keyword: str
    flags: tuple[tuple[str, str | None], ...]
    args: str
    start_line: int
    end_line: int
    heredocs: tuple[Heredoc, ...]
    stage: int
    original: str

    def flag(self, name: str) -> str | None:
        """Value of flag `name` ("" for a bare flag), None when absent; the last one wins."""
        wanted = name.lower().lstrip("-")
        found: str | None = None
        for flag_name, value in self.flags:
            if flag_name == wanted:
                found = "" if value is None else value
        return found

    def exec_form(self) -> list[str] | None:
        """The arguments as a list when written in exec (JSON array of strings) form."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return None
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return [str(item) for item in value]
        return None


@dataclass(frozen=True)
class Stage:
    """A build stage, opened by a FROM instruction."""

    index: int
    name: str | None
    image: str
    resolved_image: str | None
    from_stage: int | None
    platform: str | None
    line: int


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile."""

    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    escape: str
    directives: dict[str, str] = field(hash=False)
    global_args: dict[str, str | None] = field(hash=False)

    def stage_instructions(self, index: int) -> tuple[Instruction, ...]:
        """Instructions of stage `index` (its FROM included); -1 selects those before any FROM."""
        return self._by_stage.get(index, ())

    @functools.cached_property
    def _by_stage(self) -> dict[int, tuple[Instruction, ...]]:
        groups: dict[int, list[Instruction]] = {}
        for ins in self.instructions:
            groups.setdefault(ins.stage, []).append(ins)
        return {stage: tuple(items) for stage, items in groups.items()}

    @property
    def final_stage(self) -> Stage | None:
        """The last stage, or None when there is no FROM."""
        return self.stages[-1] if self.stages else None


# --------------------------------------------------------------------------------------------
# Variable substitution


def substitute(text: str, env: Mapping[str, str | None]) -> tuple[str, bool]:
    """Expand `$VAR`, `${VAR}` and `${VAR:-x}`, `${VAR-x}`, `${VAR:+x}`, `${VAR+x}` forms.

    Returns the expanded text and whether every referenced variable was resolved. A variable
    that is absent or maps to None is unresolved unless a `:-`/`-` default applies; in that case
    it expands to "" (best effort) and the flag is False. `\\$` yields a literal `$`.
    """
    return _substitute(text, env, "\\")


def _substitute(text: str, env: Mapping[str, str | None], escape: str) -> tuple[str, bool]:
    out, ok, _ = _expand(text, 0, env, escape, in_braces=False, depth=0)
    return out, ok


def _expand(
    text: str,
    pos: int,
    env: Mapping[str, str | None],
    escape: str,
    *,
    in_braces: bool,
    depth: int,
) -> tuple[str, bool, int]:
    """Expand from `pos`; inside a `${...}` word, stop at the matching `}` (returned index)."""
    parts: list[str] = []
    ok = True
    n = len(text)
    i = pos
    while i < n:
        ch = text[i]
        if in_braces and ch == "}":
            return "".join(parts), ok, i
        if ch == escape and i + 1 < n and text[i + 1] == "$":
            parts.append("$")
            i += 2
            continue
        if ch != "$" or i + 1 >= n:
            parts.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "{":
            value, var_ok, end = _expand_braced(text, i, env, escape, depth)
            parts.append(value)
            ok = ok and var_ok
            i = end
            continue
        match = _NAME_RE.match(text, i + 1)
        if match is None:
            parts.append(ch)
            i += 1
            continue
        resolved = env.get(match.group(0))
        if resolved is None:
            ok = False
        else:
            parts.append(resolved)
        i = match.end()
    return "".join(parts), ok and not in_braces, i


def _expand_braced(
    text: str, start: int, env: Mapping[str, str | None], escape: str, depth: int
) -> tuple[str, bool, int]:
    """Expand the `${...}` starting at `start`; returns (value, resolved, index after it)."""
    if depth >= _MAX_NESTING:
        close = _matching_brace(text, start + 2)
        if close < 0:
            return text[start:], False, len(text)
        return text[start : close + 1], False, close + 1
    match = _NAME_RE.match(text, start + 2)
    if match is None:
        # `${` not followed by a name (`${}`, `${1}`, unterminated ...): keep it literally.
        close = _matching_brace(text, start + 2)
        if close < 0:
            return text[start:], False, len(text)
        return text[start : close + 1], False, close + 1
    name = match.group(0)
    value = env.get(name)
    i = match.end()
    if i < len(text) and text[i] == "}":
        return ("" if value is None else value), value is not None, i + 1
    operator = ""
    for candidate in (":-", ":+", "-", "+"):
        if text.startswith(candidate, i):
            operator = candidate
            break
    if not operator:
        # Unsupported modifier (`:?`, `#`, `%`, `/`...): best effort, unresolved.
        close = _matching_brace(text, i)
        if close < 0:
            return text[start:], False, len(text)
        return ("" if value is None else value), False, close + 1
    word, word_ok, close = _expand(
        text, i + len(operator), env, escape, in_braces=True, depth=depth + 1
    )
    if close >= len(text) or text[close] != "}":
        return text[start:], False, len(text)
    end = close + 1
    if operator == ":-":
        if value:
            return value, True, end
        return word, word_ok, end
    if operator == "-":
        if value is not None:
            return value, True, end
        return word, word_ok, end
    # `:+` and `+`: the value itself must be known to decide.
    if value is None:
        return "", False, end
    if operator == ":+":
        return (word, word_ok, end) if value else ("", True, end)
    return word, word_ok, end


def _matching_brace(text: str, pos: int) -> int:
    depth = 1
    for i in range(pos, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


# --------------------------------------------------------------------------------------------
# Lexing helpers


def _split_lines(text: str) -> list[str]:
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _is_comment(line: str) -> bool:
    return line.lstrip(_WS).startswith("#")


def _is_blank(line: str) -> bool:
    return line.strip() == ""


def _continues(line: str, escape: str) -> bool:
    return line.rstrip().endswith(escape)


def _strip_continuation(line: str, escape: str) -> str:
    stripped = line.rstrip()
    return stripped[: -len(escape)] if stripped.endswith(escape) else stripped


def _read_directives(lines: list[str]) -> tuple[dict[str, str], int]:
    """Parser directives at the top of the file; returns them and the first line index after."""
    directives: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = _DIRECTIVE_RE.match(line)
        if match is None:
            return directives, index
        key = match.group(1).lower()
        if key not in _KNOWN_DIRECTIVES or key in directives:
            return directives, index
        directives[key] = match.group(2)
    return directives, len(lines)


def _read_word(text: str, pos: int, escape: str) -> tuple[str, int]:
    """Read one shell-like word from `pos` (no leading whitespace); quotes are removed."""
    out: list[str] = []
    quote = ""
    i = pos
    n = len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote == '"' and i + 1 < n and text[i + 1] in ('"', escape):
                i += 1
                out.append(text[i])
            else:
                out.append(ch)
        elif ch in _WS:
            break
        elif ch in ("'", '"'):
            quote = ch
        elif ch == escape and i + 1 < n:
            i += 1
            out.append(text[i])
        else:
            out.append(ch)
        i += 1
    return "".join(out), i


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _split_words(text: str, escape: str) -> list[str]:
    words: list[str] = []
    i = _skip_ws(text, 0)
    while i < len(text):
        word, i = _read_word(text, i, escape)
        words.append(word)
        i = _skip_ws(text, i)
    return words


def _parse_flags(text: str, escape: str) -> tuple[tuple[tuple[str, str | None], ...], str]:
    flags: list[tuple[str, str | None]] = []
    i = _skip_ws(text, 0)
    while text.startswith("--", i):
        word, end = _read_word(text, i, escape)
        if word == "--":
            i = _skip_ws(text, end)
            break
        if not word.startswith("--"):
            break
        name, sep, value = word[2:].partition("=")
        flags.append((name.lower(), value if sep else None))
        i = _skip_ws(text, end)
    return tuple(flags), text[i:].strip()


def _find_heredocs(line: str, escape: str) -> list[tuple[str, bool, bool]]:
    """(delimiter, strip_tabs, quoted) for each heredoc marker outside quotes, in order."""
    found: list[tuple[str, bool, bool]] = []
    quote = ""
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote == '"':
                i += 1
            i += 1
            continue
        if ch == escape:
            i += 2
            continue
        if ch in ("'", '"'):
            quote = ch
            i += 1
            continue
        if line.startswith("<<", i) and not line.startswith("<<<", i):
            match = _HEREDOC_RE.match(line, i)
            if match is not None:
                quoted_name = match.group(2) or match.group(3)
                delimiter = quoted_name or match.group(4) or ""
                found.append((delimiter, match.group(1) == "-", quoted_name is not None))
                i = match.end()
                continue
            i += 2
            continue
        if ch == "<":
            # Skip a run of `<` so `<<<` here-strings are not read as heredocs.
            while i < n and line[i] == "<":
                i += 1
            continue
        i += 1
    return found


# --------------------------------------------------------------------------------------------
# Parsing


def parse(text: str) -> Dockerfile:
    """Parse Dockerfile text; never raises."""
    lines = _split_lines(text)
    directives, index = _read_directives(lines)
    escape = directives.get("escape", "\\")
    if escape not in _VALID_ESCAPES:
        escape = "\\"

    instructions: list[Instruction] = []
    stages: list[Stage] = []
    stage_names: dict[str, int] = {}
    global_args: dict[str, str | None] = {}
    global_env: dict[str, str | None] = {}
    n = len(lines)

    while index < n:
        line = lines[index]
        if _is_blank(line) or _is_comment(line):
            index += 1
            continue
        start = index
        parts: list[str] = []
        current = line
        last = index
        while True:
            if not _continues(current, escape):
                parts.append(current.strip())
                break
            parts.append(_strip_continuation(current, escape).strip())
            index += 1
            while index < n and (_is_blank(lines[index]) or _is_comment(lines[index])):
                index += 1
            if index >= n:
                break
            current = lines[index]
            last = index
        index = last + 1
        joined = " ".join(part for part in parts if part)

        words = _KEYWORD_SPLIT_RE.split(joined, maxsplit=1)
        keyword = words[0].upper()
        rest = words[1] if len(words) > 1 else ""

        heredocs: list[Heredoc] = []
        for delimiter, strip_tabs, quoted in _find_heredocs(rest, escape):
            body_start = index
            body: list[str] = []
            terminated = False
            while index < n:
                body_line = lines[index]
                index += 1
                if strip_tabs:
                    body_line = body_line.lstrip("\t")
                if body_line == delimiter:
                    terminated = True
                    break
                body.append(body_line)
            heredocs.append(Heredoc(delimiter, "\n".join(body), body_start + 1, strip_tabs, quoted,
                                    terminated))
        end = max(last, index - 1)

        if keyword in _FLAG_INSTRUCTIONS:
            flags, args = _parse_flags(rest, escape)
        else:
            flags, args = (), rest.strip()

        if keyword == "FROM":
            stage = _make_stage(
                len(stages), flags, args, start + 1, stage_names, global_env, escape
            )
            stages.append(stage)
            if stage.name is not None:
                stage_names[stage.name] = stage.index
        elif keyword == "ARG" and not stages:
            for name, default in _parse_arg(args, escape):
                global_args[name] = default
                if default is None:
                    global_env[name] = None
                else:
                    value, ok = _substitute(default, global_env, escape)
                    global_env[name] = value if ok else None

        instructions.append(
            Instruction(
                keyword=keyword,
                flags=flags,
                args=args,
                start_line=start + 1,
                end_line=end + 1,
                heredocs=tuple(heredocs),
                stage=len(stages) - 1,
                original="\n".join(lines[start : end + 1]),
            )
        )

    return Dockerfile(
        instructions=tuple(instructions),
        stages=tuple(stages),
        escape=escape,
        directives=directives,
        global_args=global_args,
    )


def _parse_arg(args: str, escape: str) -> list[tuple[str, str | None]]:
    result: list[tuple[str, str | None]] = []
    for word in _split_words(args, escape):
        name, sep, default = word.partition("=")
        if name:
            result.append((name, default if sep else None))
    return result


def _make_stage(
    index: int,
    flags: tuple[tuple[str, str | None], ...],
    args: str,
    line: int,
    earlier_names: Mapping[str, int],
    global_env: Mapping[str, str | None],
    escape: str,
) -> Stage:
    words = args.split()
    image = words[0] if words else ""
    name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
    platform: str | None = None
    for flag_name, value in flags:
        if flag_name == "platform":
            platform = "" if value is None else value
    resolved: str | None = None
    if image:
        value, ok = _substitute(image, global_env, escape)
        resolved = value if ok else None
    from_stage: int | None = None
    if resolved is not None:
        from_stage = earlier_names.get(resolved.lower())
    return Stage(
        index=index,
        name=name,
        image=image,
        resolved_image=resolved,
        from_stage=from_stage,
        platform=platform,
        line=line,
    )


# Instructions BuildKit's dockerfile frontend knows (MAINTAINER is deprecated but accepted).
INSTRUCTIONS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})


_NOT_ONBUILD = frozenset({"ONBUILD", "FROM", "MAINTAINER"})


def syntax_errors(dockerfile: Dockerfile) -> list[tuple[int, str]]:
    """(line, reason) for what BuildKit would refuse that this tolerant parser kept: an unknown
    instruction, an instruction other than ARG before the first FROM, a heredoc whose delimiter
    line never comes, an instruction without arguments, `ONBUILD ONBUILD`/`FROM`/`MAINTAINER`,
    no FROM. Empty when BuildKit's
    syntax (heredocs, --mount, --network, COPY --link, ADD --checksum, directives) is all
    there is."""
    errors: list[tuple[int, str]] = []
    for ins in dockerfile.instructions:
        if ins.keyword not in INSTRUCTIONS:
            errors.append((ins.start_line, f"unknown instruction {ins.keyword[:40]}"))
        elif ins.stage < 0 and ins.keyword != "ARG":
            errors.append((ins.start_line, f"{ins.keyword} before the first FROM"))
        elif not ins.args.strip() and not ins.heredocs:
            errors.append((ins.start_line, f"{ins.keyword} has no arguments"))
        elif ins.keyword == "ONBUILD" and ins.args.split()[0].upper() in _NOT_ONBUILD:
            errors.append((ins.start_line, f"ONBUILD {ins.args.split()[0].upper()} is refused"))
        for heredoc in ins.heredocs:
            if not heredoc.terminated:
                errors.append((heredoc.start_line,
                               f"heredoc {heredoc.delimiter[:40]} is never closed"))
    if not dockerfile.stages:
        errors.append((1, "no FROM instruction"))
    return errors
