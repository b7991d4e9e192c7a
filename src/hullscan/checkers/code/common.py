"""What the code checker's parts share: its name, the source files it read, small readers of
tool output."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hullscan.discover import Target

NAME = "code"


@dataclass
class Source:
    target: Target
    text: str



def target_of(path: str, by_rel: Mapping[str, Target]) -> Target | None:
    return by_rel.get(path) or by_rel.get(path.removeprefix("./")) or next(
        (t for t in by_rel.values() if str(t.path) == path), None
    )


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
