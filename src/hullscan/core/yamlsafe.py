"""Loading YAML (and JSON) from scanned files safely, with positions.

Documents are loaded with ruamel.yaml's round-trip loader, so every mapping and sequence knows
the line of each key and item. Before anything is constructed, the node graph is measured with
aliases expanded (memoised, so the measuring itself is linear): a "billion laughs" file is
refused instead of being walked exponentially by a checker. Duplicate keys and syntax errors
become one-line reasons with a line number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

MAX_EXPANDED_NODES = 200_000

_DUPLICATE_KEY = re.compile(r'found duplicate key "(?P<key>[^"]{0,80})')


class YamlProblem(Exception):
    """Why a YAML file cannot be used, in one line that never quotes a value; `line` is 1-based
    when known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}" if line is not None else reason)


def load_all(text: str, max_nodes: int = MAX_EXPANDED_NODES) -> list[Any]:
    """All documents of `text` as round-trip data (empty documents dropped), or YamlProblem.

    The text is composed once; the node graph is measured (aliases counted once per use) before
    any document is constructed from those same nodes."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    nodes = _guarded(lambda: list(yaml.compose_all(text)))
    memo: dict[int, int] = {}
    total = 0
    for node in nodes:
        total += check_expansion(node, max_nodes - total, memo)
    documents = []
    for node in nodes:
        document = _guarded(partial(yaml.constructor.construct_document, node))
        if document is not None:
            documents.append(document)
    return documents


def _guarded(step: Callable[[], Any]) -> Any:
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return step()
    except DuplicateKeyError as exc:
        # ruamel's message quotes both values, which may be secrets: name the key only.
        found = _DUPLICATE_KEY.search(str(exc.problem or ""))
        key = f' "{found.group("key")}"' if found else ""
        raise YamlProblem(f"duplicate key{key}", _mark_line(exc)) from None
    except MarkedYAMLError as exc:
        reason = exc.problem or exc.context or "invalid YAML"
        raise YamlProblem(f"invalid YAML: {_one_line(reason)}", _mark_line(exc)) from None
    except YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {_one_line(str(exc))}") from None
    except RecursionError:
        raise YamlProblem("invalid YAML: nested too deeply to parse") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise YamlProblem(f"invalid YAML: {type(exc).__name__}") from None


def _mark_line(exc: Any) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = getattr(mark, "line", None)
    return line + 1 if isinstance(line, int) else None


def _node_line(node: Any) -> int | None:
    line = getattr(getattr(node, "start_mark", None), "line", None)
    return line + 1 if isinstance(line, int) else None


def _children(node: Any) -> Iterator[Any]:
    value = getattr(node, "value", None)
    if not isinstance(value, list):
        return  # a scalar
    for item in value:
        if isinstance(item, tuple):
            yield from item  # a mapping's (key, value)
        else:
            yield item


def check_expansion(
    root: Any, limit: int = MAX_EXPANDED_NODES, memo: dict[int, int] | None = None
) -> int:
    """The number of nodes a composed document expands to through its aliases, computed in
    linear time (memoised per node). YamlProblem past `limit` or on a recursive alias."""
    size: dict[int, int] = {} if memo is None else memo
    active: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            active.discard(key)
            total = 1 + sum(size[id(child)] for child in _children(node))
            if total > limit:
                raise YamlProblem(
                    f"refused: the document expands to more than {limit:,} YAML nodes "
                    "through aliases (an alias bomb?)",
                    _node_line(node),
                )
            size[key] = total
            continue
        if key in size:
            continue
        if key in active:
            raise YamlProblem("refused: recursive alias", _node_line(node))
        active.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) not in size:
                stack.append((child, False))
    return size[id(root)]


def line_of(container: Any, key: Any) -> int | None:
    """1-based line of `key` in a round-trip mapping, or of item `key` in a sequence."""
    lc = getattr(container, "lc", None)
    if lc is None:
        return None
    try:
        if isinstance(key, int) and isinstance(container, list):
            return int(lc.item(key)[0]) + 1
        return int(lc.key(key)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


def start_line(node: Any) -> int | None:
    lc = getattr(node, "lc", None)
    line = getattr(lc, "line", None)
    return int(line) + 1 if line is not None else None


def _one_line(text: str, limit: int = 160) -> str:
    from hullscan.core.redact import redact

    line = redact(" ".join(str(text).split()), prose=True)
    return line if len(line) <= limit else line[: limit - 1] + "…"
