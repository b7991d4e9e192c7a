"""go.mod: `require` lines and blocks; `// indirect` marks indirect dependencies. The versions
are kept as written (`v1.2.3`, `v0.0.0-2023...-abcdef`, `+incompatible`). The standard library
is the dependency `stdlib` (as OSV's Go ecosystem names it), at the version the `toolchain`
directive names (`toolchain go1.21.5`: 1.21.5, on that line), else the `go` directive's
(`go 1.21`: 1.21.0, the lowest release it allows). `replace`, `exclude`, `retract` and other
directives are read past. (go.sum is not a dependency list.)"""

from __future__ import annotations

import re

from hullscan.deps.lockfiles._common import (
    Collector,
    LockfileError,
    ReadResult,
    check_text,
    physical_lines,
)

_WORD = re.compile(r"[a-z][a-z0-9_]*")
# A Go release as the go and toolchain directives write it: 1.21, 1.21.5, 1.22rc1
_GO_RELEASE = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?")
STDLIB = "stdlib"


def _strip_comment(line: str) -> tuple[str, str]:
    """(code, comment text) - `//` outside a quoted module path."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in '"`':
            quote = char
        elif line.startswith("//", index):
            return line[:index], line[index + 2 :]
    return line, ""


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in '"`':
        return word[1:-1]
    return word


def read_go_mod(text: str) -> ReadResult:
    check_text(text)
    found = Collector("Go")
    block: str | None = None
    block_line = 0
    releases: dict[str, tuple[str, int]] = {}  # "go" / "toolchain" -> (version, line)
    for number, raw in enumerate(physical_lines(text), 1):
        code, comment = _strip_comment(raw)
        words = code.split()
        if not words:
            continue
        if block is not None:
            if words == [")"]:
                block = None
            elif block == "require":
                _require(found, words, comment, number)
            continue
        verb = words[0]
        if not _WORD.fullmatch(verb):
            raise LockfileError("not a go.mod directive", number)
        if words[1:] == ["("]:
            block, block_line = verb, number
        elif words[1:] in (["()"], ["(", ")"]):
            continue  # an empty block
        elif words[1:2] == ["("]:
            raise LockfileError("text after '(' on a block's first line", number)
        elif verb == "require":
            _require(found, words[1:], comment, number)
        elif verb in ("go", "toolchain"):
            if len(words) != 2:
                raise LockfileError(f"the {verb} directive needs one version", number)
            releases[verb] = (words[1], number)
    if block is not None:
        raise LockfileError(f"unterminated {block} block", block_line)
    toolchain = releases.get("toolchain")
    if toolchain is not None and toolchain[0] != "default":
        found.add(STDLIB, stdlib_version(toolchain[0].removeprefix("go").split("-", 1)[0]),
                  toolchain[1], direct=True)
    elif "go" in releases:
        found.add(STDLIB, stdlib_version(releases["go"][0]), releases["go"][1], direct=True)
    return found.result()


def stdlib_version(release: str) -> str:
    """A Go release (`1.21`, `1.21.5`, `1.22rc1`) as OSV's `stdlib` ranges write versions
    (`1.21.0`, `1.21.5`, `1.22.0-rc.1`); anything else as written (it then cannot be ordered,
    which the checker reports)."""
    found = _GO_RELEASE.fullmatch(release)
    if found is None:
        return release
    major, minor, patch, pre, number = found.groups()
    return f"{major}.{minor}.{patch or 0}" + (f"-{pre}.{number}" if pre else "")


def _require(found: Collector, words: list[str], comment: str, line: int) -> None:
    if len(words) != 2:
        raise LockfileError("a requirement needs a module path and a version", line)
    path, version = _unquote(words[0]), _unquote(words[1])
    if not path or not version.startswith("v"):
        raise LockfileError("invalid module version", line)
    indirect = comment.strip().split(";")[0].strip() == "indirect"
    found.add(path, version, line, direct=not indirect)
