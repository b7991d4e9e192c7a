"""Loading YAML (and JSON) from scanned files safely, with positions.

Documents are loaded with ruamel.yaml's round-trip loader, so every mapping and sequence knows
the line of each key and item. Before anything is constructed, the node graph is measured with
aliases expanded (memoised, so the measuring itself is linear): a "billion laughs" file is
refused instead of being walked exponentially by a checker. Duplicate keys and syntax errors
become one-line reasons with a line number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

MAX_EXPANDED_NODES = 200_000


class YamlProblem(Exception):
    """Why a YAML file cannot be used, in one line; `line` is 1-based when known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}" if line else reason)


def load_all(text: str, max_nodes: int = MAX_EXPANDED_NODES) -> list[Any]:
    """All documents of `text` (empty documents dropped), or YamlProblem."""
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    try:
        nodes = list(yaml.compose_all(text))
        total = 0
        memo: dict[int, int] = {}
        for node in nodes:
            total += _expanded_size(node, memo)
            if total > max_nodes:
                raise YamlProblem(
                    f"aliases expand to more than {max_nodes:,} nodes (an alias bomb?); "
                    "not checked"
                )
        documents = [doc for doc in YAML(typ="rt").load_all(text) if doc is not None]
    except DuplicateKeyError as exc:
        # ruamel's message quotes both values, which may be secrets: keep only the key.
        mark = exc.problem_mark
        found = re.search(r'duplicate key "([^"]{0,80})', exc.problem or "")
        reason = f'duplicate key "{found.group(1)}"' if found else "duplicate key"
        raise YamlProblem(reason, mark.line + 1 if mark else None) from exc
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = _one_line(exc.problem or exc.context or "invalid YAML")
        raise YamlProblem(f"invalid YAML: {reason}", mark.line + 1 if mark else None) from exc
    except YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {_one_line(str(exc))}") from exc
    except RecursionError as exc:
        raise YamlProblem("YAML nested too deeply") from exc
    return documents


def _expanded_size(root: Any, memo: dict[int, int]) -> int:
    """Node count of `root` with every alias expanded, without expanding anything."""
    # Iterative post-order walk; recursive aliases (a node containing itself) count once.
    stack: list[tuple[Any, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in memo:
            continue
        children = _children(node)
        if children_done:
            active.discard(key)
            memo[key] = 1 + sum(memo.get(id(c), 1) for c in children)
            continue
        if key in active:
            memo[key] = 1
            continue
        active.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in memo and id(c) not in active)
    return memo.get(id(root), 1)


def _children(node: Any) -> Sequence[Any]:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return ()


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


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
