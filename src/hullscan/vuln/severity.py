"""The severity of an OSV record: CVSS vectors scored with the `cvss` package, else the
database's own rating (GitHub's `database_specific.severity`), else medium, or low for an
informational notice (RustSec's `unmaintained`, `unsound` and `notice` records, marked
`informational` in `database_specific` or an `affected[]` entry's `database_specific` or
`ecosystem_specific`), which is not a vulnerability."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hullscan.core.model import Severity
from hullscan.vuln.interface import OsvRecord

__all__ = [
    "advisory_severity",
    "cvss_vectors",
    "informational_kind",
    "score_severity",
    "vector_score",
]

DEFAULT_SEVERITY = Severity.MEDIUM
INFORMATIONAL_SEVERITY = Severity.LOW  # an informational notice the record does not rate

_DATABASE_RATINGS = {
    "LOW": Severity.LOW,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "HIGH": Severity.HIGH,
    "CRITICAL": Severity.CRITICAL,
}
# Ubuntu's priorities (severity entries of type "Ubuntu").
_UBUNTU_PRIORITIES = {
    "negligible": Severity.INFO,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


def score_severity(score: float) -> Severity:
    """CVSS base score to severity: >= 9 critical, >= 7 high, >= 4 medium, > 0 low, 0 info."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO


def vector_score(kind: str, vector: str) -> float | None:
    """Base score of a CVSS vector (`kind` is OSV's CVSS_V2 / CVSS_V3 / CVSS_V4); None when
    the vector is malformed or the kind unknown."""
    try:
        if kind == "CVSS_V3":
            from cvss import CVSS3

            return float(CVSS3(vector).scores()[0])
        if kind == "CVSS_V4":
            from cvss import CVSS4

            return float(CVSS4(vector).base_score)
        if kind == "CVSS_V2":
            from cvss import CVSS2

            return float(CVSS2(vector).scores()[0])
    except Exception:  # the cvss package raises several error types for bad vectors
        return None
    return None


def _severity_entries(record: OsvRecord) -> Iterator[tuple[str, str]]:
    """(type, score) of the record's severity[] and of every affected[].severity[]."""
    lists: list[Any] = [record.get("severity")]
    affected = record.get("affected")
    if isinstance(affected, list):
        lists.extend(a.get("severity") for a in affected if isinstance(a, Mapping))
    for entries in lists:
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, Mapping):
                continue
            kind, score = entry.get("type"), entry.get("score")
            if isinstance(kind, str) and isinstance(score, str):
                yield kind, score.strip()


def cvss_vectors(record: OsvRecord) -> tuple[str, ...]:
    """The record's CVSS vectors (v2, v3, v4), deduplicated, in record order."""
    seen: dict[str, None] = {}
    for kind, score in _severity_entries(record):
        if kind.startswith("CVSS_") and score:
            seen.setdefault(score, None)
    return tuple(seen)


def informational_kind(
    record: OsvRecord, ecosystem: str | None = None, name: str | None = None
) -> str | None:
    """The kind of informational notice the record is (`unmaintained`, `unsound`, `notice`,
    ...: RustSec's `informational`), or None for a vulnerability. Looked up in the record's
    `database_specific` and in its `affected[]` entries' `database_specific` and
    `ecosystem_specific`; given a package (`ecosystem` and `name`), only the entries naming
    it count."""
    from hullscan.vuln.names import normalise_ecosystem, normalise_name

    places: list[Any] = [record.get("database_specific")]
    affected = record.get("affected")
    for entry in affected if isinstance(affected, list) else ():
        if not isinstance(entry, Mapping):
            continue
        if ecosystem is not None and name is not None:
            package = entry.get("package")
            if not isinstance(package, Mapping):
                continue
            eco, pkg = package.get("ecosystem"), package.get("name")
            if not (isinstance(eco, str) and isinstance(pkg, str)
                    and normalise_ecosystem(eco) == normalise_ecosystem(ecosystem)
                    and normalise_name(eco, pkg) == normalise_name(eco, name)):
                continue
        places.extend((entry.get("database_specific"), entry.get("ecosystem_specific")))
    for place in places:
        if isinstance(place, Mapping):
            kind = place.get("informational")
            if isinstance(kind, str) and kind.strip():
                return kind.strip().lower()
    return None


def advisory_severity(record: OsvRecord, default: Severity | None = None) -> Severity:
    """The highest severity the record states.

    CVSS v3.x and v4 vectors are scored; a CVSS v2 vector counts only when no v3/v4 vector of
    the record scores (v2 scores run higher and are superseded). Ubuntu priorities and GitHub's
    `database_specific.severity` count too. Malformed vectors are ignored; a record with no
    usable rating is `default`: when not given, low for an informational notice, else
    medium."""
    found: list[Severity] = []
    v2: list[Severity] = []
    scored_v3_or_v4 = False
    for kind, score in _severity_entries(record):
        if kind == "Ubuntu":
            priority = _UBUNTU_PRIORITIES.get(score.lower())
            if priority is not None:
                found.append(priority)
            continue
        value = vector_score(kind, score)
        if value is None:
            continue
        if kind == "CVSS_V2":
            v2.append(score_severity(value))
        else:
            scored_v3_or_v4 = True
            found.append(score_severity(value))
    if not scored_v3_or_v4:
        found.extend(v2)
    database = record.get("database_specific")
    if isinstance(database, Mapping):
        rating = database.get("severity")
        if isinstance(rating, str) and rating.strip().upper() in _DATABASE_RATINGS:
            found.append(_DATABASE_RATINGS[rating.strip().upper()])
    if not found:
        if default is not None:
            return default
        return INFORMATIONAL_SEVERITY if informational_kind(record) else DEFAULT_SEVERITY
    return max(found, key=lambda s: s.rank)
