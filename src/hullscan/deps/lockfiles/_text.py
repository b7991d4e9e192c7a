"""Decoding a manifest's bytes: lockfiles are data, so they are read whatever their size (up to
a hard limit) and encoding, or refused with a reason and a line, never skipped.

UTF-8 (with or without a BOM), and UTF-16 or UTF-32 with a BOM (what Windows PowerShell's
`pip freeze > requirements.txt` writes), are decoded as they are. A byte that is not UTF-8
is replaced (U+FFFD) only when it lies inside a comment, where it cannot change what is
installed (a Latin-1 author name in a requirements.txt comment); anywhere else the file is
refused. pom.xml is decoded with the encoding its XML declaration names. A NUL byte in a file
that is not UTF-16/32 is binary content."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable

from hullscan.deps.lockfiles._common import LockfileError

# Does the text before a bad byte on its line end inside a comment?
CommentRule = Callable[[str], bool]

_PIP_COMMENT = re.compile(r"(?:^|\s)#")
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def pip_comment(prefix: str) -> bool:
    """pip's rule: `#` at the start of a line or after whitespace starts a comment."""
    return _PIP_COMMENT.search(prefix) is not None


def hash_comment(prefix: str) -> bool:
    """TOML, YAML, yarn.lock, gradle.lockfile: a `#` at the start or after whitespace, outside
    quoted strings (conservative: a `#` glued to a value is not taken for a comment)."""
    quote = ""
    escaped = False
    previous = " "
    for char in prefix:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#" and previous.isspace():
            return True
        previous = char
    return False


def go_comment(prefix: str) -> bool:
    """go.mod: `//` outside a quoted (`"` or backquoted) module path."""
    quote = ""
    for index, char in enumerate(prefix):
        if quote:
            if char == quote:
                quote = ""
        elif char in '"`':
            quote = char
        elif prefix.startswith("//", index):
            return True
    return False


def _bom_codec(data: bytes) -> str | None:
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def decode(data: bytes, comments: CommentRule | None, xml: bool = False) -> tuple[str, bool]:
    """(the text, whether bytes inside comments were replaced), or LockfileError."""
    codec = _bom_codec(data)
    if codec is not None:
        try:
            return data.decode(codec), False
        except UnicodeDecodeError as exc:
            raise LockfileError(f"not valid {codec.upper()} text (byte {exc.start})") from None
    if b"\0" in data:
        raise LockfileError("binary content", data.count(b"\n", 0, data.index(b"\0")) + 1)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if xml:
        declared = _XML_ENCODING.match(data)
        if declared:
            name = declared.group(1).decode("ascii")
            try:
                return data.decode(name), False
            except LookupError:
                raise LockfileError(f"unknown encoding {name!r} in the XML declaration",
                                    1) from None
            except UnicodeDecodeError as exc:
                raise LockfileError(f"not valid {name} text (byte {exc.start})",
                                    data.count(b"\n", 0, exc.start) + 1) from None
    line = data.count(b"\n", 0, first_bad) + 1
    if comments is None:
        raise LockfileError(f"not UTF-8 text (byte {first_bad})", line)
    out: list[str] = []
    offset = 0
    for number, raw in enumerate(data.split(b"\n"), 1):
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            prefix = raw[: exc.start].decode("utf-8")
            if not comments(prefix):
                raise LockfileError(
                    f"not UTF-8 text outside a comment (byte {offset + exc.start})", number
                ) from None
            out.append(prefix + raw[exc.start :].decode("utf-8", "replace"))
        offset += len(raw) + 1
    return "\n".join(out), True
