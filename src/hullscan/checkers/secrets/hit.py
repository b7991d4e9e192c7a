"""One secret seen on one line, before it becomes a finding."""

from __future__ import annotations

from dataclasses import dataclass

from hullscan.core.model import Severity


@dataclass(frozen=True)
class Hit:
    rule_id: str
    kind: str
    secret: str  # the secret itself (decoded for Kubernetes `data`)
    raw: str  # its text on the line
    start: int  # column (0-based) of `raw`
    severity: Severity | None = None
    name: str | None = None
    context: str | None = None  # "test" or "documentation": a sample, one severity lower
