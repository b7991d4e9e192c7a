"""What every reader returns and raises, and the helpers they share (TOML with entry lines,
JSON with key lines, version checks)."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hullscan.vuln.interface import PackageRef

Path_ = tuple[str | int, ...]  # a position in a JSON document: keys and item indexes


class LockfileError(Exception):
    """Why a file cannot be read: str() is a one-line reason without the path or the line;
    `line` is 1-based when known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(reason)


@dataclass(frozen=True)
class Dependency:
    """One dependency pinned in the file: the package, the 1-based line of its entry, and
    whether it is a direct dependency (None when the format does not tell)."""

    package: PackageRef
    line: int
    direct: bool | None = None


@dataclass(frozen=True)
class ReadResult:
    """Everything a reader found.

    `unpinned` holds (name, line, reason) for entries that cannot be audited from the file alone
    (a range, a URL, a local path, a git checkout); `includes` holds (path, line) for the other
    files a requirements file pulls in (`-r`, `-c`), and `constraint_lines` the lines of those that
    are only constraints (`-c`: they pin, they do not install). `unorderable` holds (name, line,
    reason) for pins whose version the ecosystem cannot order (`django==2.2.x`), which no OSV
    range can be evaluated against (filled by `read_manifest`)."""

    dependencies: tuple[Dependency, ...]
    unpinned: tuple[tuple[str, int, str], ...] = ()
    includes: tuple[tuple[str, int], ...] = ()
    constraint_lines: frozenset[int] = frozenset()
    unorderable: tuple[tuple[str, int, str], ...] = ()


Reader = Callable[[str], ReadResult]


class Collector:
    """Accumulates a reader's results."""

    def __init__(self, ecosystem: str) -> None:
        self.ecosystem = ecosystem
        self.dependencies: list[Dependency] = []
        self.unpinned: list[tuple[str, int, str]] = []
        self.includes: list[tuple[str, int]] = []
        self.constraint_lines: set[int] = set()

    def add(self, name: str, version: str, line: int, direct: bool | None = None) -> None:
        self.dependencies.append(
            Dependency(PackageRef(self.ecosystem, name, version), line, direct)
        )

    def skip(self, name: str, line: int, reason: str) -> None:
        self.unpinned.append((name, line, reason))

    def result(self) -> ReadResult:
        return ReadResult(tuple(self.dependencies), tuple(self.unpinned), tuple(self.includes),
                          frozenset(self.constraint_lines))


def check_text(text: str) -> None:
    """Refuse what is not text (a NUL byte anywhere)."""
    if not isinstance(text, str):
        raise LockfileError("not text")
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise LockfileError("binary content", line)


def physical_lines(text: str) -> list[str]:
    """The file's lines as editors and the JSON/TOML parsers number them: split at `\n` only
    (a form feed or U+2028 inside a line does not start a new one), a trailing `\r` removed."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def one_line(text: str, limit: int = 120) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def text_of(value: Any) -> str | None:
    """A non-empty string value, stripped, or None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


_SEMVER = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


def is_semver(version: str) -> bool:
    return _SEMVER.fullmatch(version) is not None


# --- TOML ------------------------------------------------------------------------------------

_TOML_AT = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)\s*$")
_TOML_HEADER = re.compile(r"\s*\[\[?\s*[\w.\"' -]+\s*\]\]?\s*(?:#.*)?")
_TOML_NAME = re.compile(r"\s*[\"']?name[\"']?\s*=\s*[\"']([^\"']*)[\"']")


def load_toml(text: str) -> dict[str, Any]:
    check_text(text)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_AT.search(message)
        line = None
        if found:
            line = int(found.group(1)) if found.group(1) else len(physical_lines(text)) or 1
        reason = message[: found.start()] if found else message
        raise LockfileError(f"invalid TOML: {one_line(reason)}", line) from None
    except RecursionError:
        raise LockfileError("invalid TOML: nested too deeply") from None


def toml_entry_lines(text: str, table: str) -> list[tuple[int, str | None]]:
    """For each `[[table]]` header in order: the line of the entry's `name = ...` key and the
    name written there (or the header's line and None when the table has no plain name key)."""
    header = re.compile(rf"\s*\[\[\s*{re.escape(table)}\s*\]\]\s*(?:#.*)?")
    entries: list[tuple[int, str | None]] = []
    open_entry = False
    for number, line in enumerate(physical_lines(text), 1):
        if header.fullmatch(line):
            entries.append((number, None))
            open_entry = True
            continue
        if not open_entry:
            continue
        if _TOML_HEADER.fullmatch(line):
            open_entry = False
            continue
        found = _TOML_NAME.match(line)
        if found:
            entries[-1] = (number, found.group(1))
            open_entry = False
    return entries


def toml_tables(data: dict[str, Any], key: str, text: str) -> Iterable[tuple[dict[str, Any], int]]:
    """The dict entries of the array of tables `key`, each with the line of its name."""
    items = data.get(key, [])
    if not isinstance(items, list):
        raise LockfileError(f"`{key}` is not an array of tables")
    lines = toml_entry_lines(text, key)
    aligned = len(lines) == len(items)
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        line = 1
        if aligned:
            line = lines[index][0]
        else:  # inline arrays or odd layout: find the first unused header with this name
            name = item.get("name")
            line = next((n for n, written in lines if written == name), 1)
        yield item, line


# --- JSON with key lines -----------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
MAX_JSON_DEPTH = 200


class JsonLines:
    """Parses JSON like json.loads, and records the 1-based line of every key (and array item)
    inside the containers `descend(path)` selects. Everything else is decoded by the C decoder,
    so a large lockfile costs a few Python steps per entry, not per token."""

    def __init__(self, text: str, descend: Callable[[Path_], bool]) -> None:
        self.text = text
        self.descend = descend
        self.lines: dict[Path_, int] = {}
        self._line = 1
        self._line_pos = 0

    def line_at(self, pos: int) -> int:
        if pos >= self._line_pos:
            self._line += self.text.count("\n", self._line_pos, pos)
            self._line_pos = pos
            return self._line
        return self.text.count("\n", 0, pos) + 1

    def _error(self, message: str, pos: int) -> LockfileError:
        return LockfileError(f"invalid JSON: {message}", self.line_at(min(pos, len(self.text))))

    def parse(self) -> Any:
        check_text(self.text)
        try:
            value, pos = self._value(_WS.match(self.text, 0).end(), (), 0)  # type: ignore[union-attr]
        except json.JSONDecodeError as exc:
            raise LockfileError(f"invalid JSON: {one_line(exc.msg)}", exc.lineno) from None
        except RecursionError:
            raise LockfileError("invalid JSON: nested too deeply") from None
        pos = _WS.match(self.text, pos).end()  # type: ignore[union-attr]
        if pos != len(self.text):
            raise self._error("extra data after the document", pos)
        return value

    def _value(self, pos: int, path: Path_, depth: int) -> tuple[Any, int]:
        if depth > MAX_JSON_DEPTH:
            raise self._error("nested too deeply", pos)
        char = self.text[pos : pos + 1]
        if char == "{" and self.descend(path):
            return self._object(pos + 1, path, depth)
        if char == "[" and self.descend(path):
            return self._array(pos + 1, path, depth)
        if not char:
            raise self._error("unexpected end of file", pos)
        value, end = _DECODER.raw_decode(self.text, pos)
        return value, end

    def _object(self, pos: int, path: Path_, depth: int) -> tuple[dict[str, Any], int]:
        text = self.text
        result: dict[str, Any] = {}
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if text.startswith("}", pos):
            return result, pos + 1
        while True:
            if not text.startswith('"', pos):
                raise self._error("expecting a property name in double quotes", pos)
            line = self.line_at(pos)
            key, pos = _scanstring(text, pos + 1, True)
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            if not text.startswith(":", pos):
                raise self._error("expecting ':' after a property name", pos)
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            key_path = (*path, key)
            value, pos = self._value(pos, key_path, depth + 1)
            result[key] = value
            self.lines[key_path] = line
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            char = text[pos : pos + 1]
            if char == ",":
                pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            elif char == "}":
                return result, pos + 1
            else:
                raise self._error("expecting ',' or '}' in an object", pos)

    def _array(self, pos: int, path: Path_, depth: int) -> tuple[list[Any], int]:
        text = self.text
        result: list[Any] = []
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if text.startswith("]", pos):
            return result, pos + 1
        while True:
            item_path = (*path, len(result))
            self.lines[item_path] = self.line_at(pos)
            value, pos = self._value(pos, item_path, depth + 1)
            result.append(value)
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            char = text[pos : pos + 1]
            if char == ",":
                pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            elif char == "]":
                return result, pos + 1
            else:
                raise self._error("expecting ',' or ']' in an array", pos)


def load_json_object(
    text: str, descend: Callable[[Path_], bool]
) -> tuple[dict[str, Any], JsonLines]:
    """The top-level JSON object and its key lines, or LockfileError."""
    parser = JsonLines(text, descend)
    data = parser.parse()
    if not isinstance(data, dict):
        raise LockfileError("expected a JSON object at the top level", 1)
    return data, parser
