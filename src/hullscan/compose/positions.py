"""1-based line numbers of keys and list items in ruamel round-trip data.

Keys a mapping gets through a merge key (`<<: *defaults`) are found in the merged mapping, so a
finding points where the setting is written, as compose-lint does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def node_line(node: Any, default: int = 1) -> int:
    line = getattr(getattr(node, "lc", None), "line", None)
    return line + 1 if isinstance(line, int) else default


def key_line(mapping: Any, key: Any, default: int) -> int:
    """Line of `key` in `mapping` (or in a mapping merged into it), else `default`."""
    found = _own_key_line(mapping, key)
    if found is not None:
        return found
    for merged in _merged(mapping):
        found = key_line(merged, key, 0)
        if found:
            return found
    return default


def value_line(mapping: Any, key: Any, default: int) -> int:
    lc = getattr(mapping, "lc", None)
    try:
        if lc is not None and key in getattr(lc, "data", {}):
            return int(lc.value(key)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return key_line(mapping, key, default)


def item_line(sequence: Any, index: int, default: int) -> int:
    lc = getattr(sequence, "lc", None)
    try:
        if lc is not None:
            return int(lc.item(index)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return default


def _own_key_line(mapping: Any, key: Any) -> int | None:
    lc = getattr(mapping, "lc", None)
    try:
        if lc is not None and key in getattr(lc, "data", {}):
            return int(lc.key(key)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return None


def _merged(mapping: Any) -> list[Mapping[Any, Any]]:
    merge = getattr(mapping, "merge", None)
    if not merge:
        return []
    out: list[Mapping[Any, Any]] = []
    for item in merge:
        target = item[1] if isinstance(item, tuple) and len(item) == 2 else item
        if isinstance(target, Mapping):
            out.append(target)
    return out
