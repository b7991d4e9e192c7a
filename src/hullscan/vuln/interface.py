"""What the OSV engine works with: packages to audit, OSV records, and the source interface."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hullscan.core.errors import HullscanError
from hullscan.core.model import Severity

OsvRecord = Mapping[str, Any]  # one OSV JSON record, as published (schema: ossf/osv-schema)


@dataclass(frozen=True)
class PackageRef:
    """One dependency to audit: OSV ecosystem name ("PyPI", "npm", "Debian:12", ...), the
    package name as that ecosystem spells it, and the exact installed version."""

    ecosystem: str
    name: str
    version: str


@dataclass(frozen=True)
class Advisory:
    """An OSV record as it applies to one package version (after matching)."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    severity: Severity
    fixed_versions: tuple[str, ...]  # versions that fix it for this package, in order
    cvss_vectors: tuple[str, ...] = ()
    urgency: str | None = None  # Debian's ecosystem_specific.urgency
    properties: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)


class SourceError(HullscanError):
    """A vulnerability source cannot answer (offline, bad database, server error)."""


@dataclass(frozen=True)
class SourceResult:
    """Candidate OSV records per package, the packages the source could not look up (a
    package whose ecosystem or release the source holds no data for is one of them, never "no
    vulnerabilities"), and notes about the answer as a whole (one line each, said once)."""

    records: Mapping[PackageRef, Sequence[OsvRecord]]
    failed: Mapping[PackageRef, str] = field(default_factory=dict)  # package -> one-line reason
    notes: tuple[str, ...] = ()


class VulnerabilitySource(Protocol):
    name: str

    def lookup(self, packages: Sequence[PackageRef]) -> SourceResult:
        """Records that may affect each package (the engine applies OSV's matching rules).
        Raises SourceError when the source as a whole cannot answer."""
        ...


class KnownRecords:
    """A source that already holds the candidate records of each package (records fetched by
    the ids another tool reported), so they still go through the one OSV engine."""

    name = "OSV records"

    def __init__(self, records: Mapping[PackageRef, Sequence[OsvRecord]]) -> None:
        self._records = records

    def lookup(self, packages: Sequence[PackageRef]) -> SourceResult:
        return SourceResult(records={p: list(self._records.get(p, ())) for p in packages})
