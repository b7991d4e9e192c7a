"""Bounded JSON for extractors: the document, or a one-line problem naming the path."""

from __future__ import annotations

import json
from typing import Any

from hullscan.packages.interface import ScanInput, one_line


def load(scan: ScanInput, limit: int) -> tuple[Any, str | None]:
    """(the decoded document, None) or (None, the problem)."""
    if len(scan.data) > limit:
        return None, f"{scan.path}: over {limit:,} bytes: not read"
    try:
        return json.loads(scan.data.decode("utf-8-sig")), None
    except UnicodeDecodeError:
        return None, f"{scan.path}: not UTF-8 JSON"
    except RecursionError:
        return None, f"{scan.path}: invalid JSON: nested too deeply"
    except json.JSONDecodeError as exc:
        return None, f"{scan.path}:{exc.lineno}: invalid JSON: {one_line(exc.msg)}"


def text(value: object) -> str | None:
    """A non-empty one-line string value, or None."""
    if isinstance(value, str) and value.strip() and len(value) <= 1000:
        return one_line(value)
    return None
