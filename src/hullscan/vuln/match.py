"""OSV's matching rules: does a record affect one package version, and what fixes it.

A record applies to a package when one of its `affected[]` entries names the package (same
ecosystem, same name as the ecosystem compares names) and the installed version is listed in
`versions` or falls inside one of the `ECOSYSTEM` / `SEMVER` ranges (GIT ranges name commits
and are skipped). Ranges are evaluated as the OSV schema's pseudo-code does: events sorted by
version, `introduced` opens, `fixed` (exclusive) and `last_affected` (inclusive) close, and
`limit` events cap the whole range.

Records that cannot be evaluated (unknown ecosystem, unparsable versions, malformed ranges)
never crash a scan and never become an Advisory: `match_record` raises `MatchProblem` (an
exception carrying record id, package and a one-line reason), or, given a list, appends it
there and returns None. Withdrawn records never match.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hullscan.model import Severity
from hullscan.vuln.interface import Advisory, OsvRecord, PackageRef
from hullscan.vuln.severity import advisory_severity, cvss_vectors
from hullscan.vuln.versions import (
    GO,
    SEMVER,
    VersionError,
    VersionKey,
    ordering_of,
    parse,
    parse_ordering,
)

__all__ = [
    "MatchProblem",
    "affects",
    "lowest_fix",
    "match_record",
    "match_records",
    "merge_aliases",
    "normalise_ecosystem",
    "normalise_name",
]

_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")


class MatchError(ValueError):
    """Malformed range data (internal; surfaces as a MatchProblem)."""


class MatchProblem(Exception):
    """Why one record could not be evaluated for one package (unknown ecosystem, unparsable
    version, malformed range). `str()` is the package and reason; `one_line()` adds the id."""

    def __init__(self, record_id: str, package: PackageRef, reason: str) -> None:
        self.record_id = record_id
        self.package = package
        self.reason = reason
        super().__init__(f"{package.ecosystem} {package.name} {package.version}: {reason}")

    def one_line(self) -> str:
        return f"{self.record_id}: {self}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MatchProblem):
            return NotImplemented
        return (self.record_id, self.package, self.reason) == (
            other.record_id,
            other.package,
            other.reason,
        )

    def __hash__(self) -> int:
        return hash((self.record_id, self.package, self.reason))


# --- names ---------------------------------------------------------------------------------------


def normalise_ecosystem(ecosystem: str) -> str:
    """osv.dev treats `Ubuntu:22.04:LTS` as `Ubuntu:22.04`; other names compare as written."""
    parts = ecosystem.split(":")
    if parts[0] == "Ubuntu" and len(parts) > 2 and parts[-1] == "LTS":
        return ":".join(parts[:-1])
    return ecosystem


_PEP503_RE = re.compile(r"[-_.]+")


@functools.lru_cache(maxsize=1 << 16)
def normalise_name(ecosystem: str, name: str) -> str:
    """The name as the ecosystem compares names: PEP 503 for PyPI, case-insensitive for NuGet
    and Packagist, as written elsewhere (npm, Go module paths, Maven `group:artifact`, ...)."""
    base = ecosystem.split(":", 1)[0]
    if base == "PyPI":
        return _PEP503_RE.sub("-", name).lower()
    if base in ("NuGet", "Packagist"):
        return name.lower()
    return name


def _names_package(entry: Mapping[str, Any], pkg: PackageRef) -> bool:
    package = entry.get("package")
    if not isinstance(package, Mapping):
        return False
    ecosystem, name = package.get("ecosystem"), package.get("name")
    if not isinstance(ecosystem, str) or not isinstance(name, str):
        return False
    if normalise_ecosystem(ecosystem) != normalise_ecosystem(pkg.ecosystem):
        return False
    return name == pkg.name or normalise_name(ecosystem, name) == normalise_name(
        ecosystem, pkg.name
    )


# --- ranges --------------------------------------------------------------------------------------


@dataclass
class _Evaluation:
    affected: bool = False
    fixed: list[VersionKey] = field(default_factory=list)  # fixes above the installed version
    problems: list[str] = field(default_factory=list)
    urgency: str | None = None


def _event(evt: object) -> tuple[str, str]:
    if not isinstance(evt, Mapping):
        raise MatchError(f"range event {evt!r} is not an object")
    kinds = [k for k in _EVENT_KINDS if k in evt]
    if len(kinds) != 1:
        raise MatchError(
            f"range event {dict(evt)!r} needs exactly one of {', '.join(_EVENT_KINDS)}"
        )
    value = evt[kinds[0]]
    if not isinstance(value, str) or not value.strip():
        raise MatchError(f"range event {dict(evt)!r} has no version")
    return kinds[0], value


def _cmp_events(
    a: tuple[str, VersionKey | None, str], b: tuple[str, VersionKey | None, str]
) -> int:
    ka, kb = a[1], b[1]
    if ka is None or kb is None:  # introduced "0" is below every version
        by_version = (ka is not None) - (kb is not None)
    else:
        by_version = -1 if ka < kb else (1 if kb < ka else 0)
    if by_version:
        return by_version
    # At one version, `introduced` goes first so `fixed` at that same version closes it.
    return (a[0] != "introduced") - (b[0] != "introduced")


def _evaluate_range(
    rng: Mapping[str, Any], key: Callable[[str], VersionKey], version: VersionKey
) -> tuple[bool, list[VersionKey]]:
    """(is the version inside the range, the range's `fixed` versions above the version)."""
    events = rng.get("events")
    if not isinstance(events, list) or not events:
        raise MatchError("range without events")
    parsed: list[tuple[str, VersionKey | None, str]] = []
    limits: list[VersionKey | None] = []  # None: limit "*" (no cap)
    for evt in events:
        kind, text = _event(evt)
        if kind == "limit":
            limits.append(None if text == "*" else key(text))
        elif kind == "introduced" and text == "0":
            parsed.append((kind, None, text))
        else:
            parsed.append((kind, key(text), text))
    if not any(kind == "introduced" for kind, _, _ in parsed):
        raise MatchError("range without an introduced event")
    parsed.sort(key=functools.cmp_to_key(_cmp_events))

    vulnerable = False
    for kind, bound, _ in parsed:
        if kind == "introduced":
            if bound is None or version >= bound:
                vulnerable = True
        elif kind == "fixed":
            assert bound is not None
            if version >= bound:
                vulnerable = False
        elif kind == "last_affected":
            assert bound is not None
            if version > bound:
                vulnerable = False
    if limits and not any(limit is None or version < limit for limit in limits):
        vulnerable = False
    fixes = [b for kind, b, _ in parsed if kind == "fixed" and b is not None and b > version]
    return vulnerable, fixes


def _key_function(ecosystem: str, range_type: str) -> Callable[[str], VersionKey]:
    if range_type == "SEMVER":
        # SEMVER ranges compare with semver whatever the ecosystem (Go also reads `go1.21.5`).
        ordering = GO if ordering_of_or_none(ecosystem) == GO else SEMVER
        return functools.partial(parse_ordering, ordering)
    return functools.partial(parse, ecosystem)


def ordering_of_or_none(ecosystem: str) -> str | None:
    try:
        return ordering_of(ecosystem)
    except VersionError:
        return None


def _evaluate_entry(entry: Mapping[str, Any], pkg: PackageRef, ev: _Evaluation) -> None:
    ecosystem = entry["package"]["ecosystem"]
    listed = False
    versions = entry.get("versions")
    if versions is not None and not isinstance(versions, list):
        ev.problems.append("`versions` is not a list")
    elif versions:
        if pkg.version in versions:
            listed = True
        elif ordering_of_or_none(ecosystem) is not None:
            try:
                mine = parse(ecosystem, pkg.version)
            except VersionError:
                mine = None
            for text in versions:
                try:
                    if (
                        mine is not None
                        and isinstance(text, str)
                        and parse(ecosystem, text) == mine
                    ):
                        listed = True
                        break
                except VersionError:
                    continue  # a string equal to the installed version matched above

    ranges = entry.get("ranges") or []
    if not isinstance(ranges, list):
        ev.problems.append("`ranges` is not a list")
        ranges = []
    in_range = False
    fixes_inside: list[VersionKey] = []
    fixes_all: list[VersionKey] = []
    for rng in ranges:
        if not isinstance(rng, Mapping):
            ev.problems.append("a range is not an object")
            continue
        range_type = rng.get("type")
        if range_type == "GIT":
            continue
        if range_type not in ("ECOSYSTEM", "SEMVER"):
            ev.problems.append(f"unknown range type {range_type!r}")
            continue
        try:
            key = _key_function(ecosystem, range_type)
            try:
                mine = key(pkg.version)
            except VersionError as exc:
                raise MatchError(f"installed version: {exc}") from None
            inside, fixes = _evaluate_range(rng, key, mine)
        except (MatchError, VersionError) as exc:
            ev.problems.append(f"{range_type} range: {exc}")
            continue
        fixes_all.extend(fixes)
        if inside:
            in_range = True
            fixes_inside.extend(fixes)

    if listed or in_range:
        ev.affected = True
        # A version listed in `versions` but inside no range: any fix above it is the answer.
        ev.fixed.extend(fixes_inside if in_range else fixes_all)
        specific = entry.get("ecosystem_specific")
        if ev.urgency is None and isinstance(specific, Mapping):
            urgency = specific.get("urgency")
            if isinstance(urgency, str) and urgency:
                ev.urgency = urgency


def _evaluate(record: OsvRecord, pkg: PackageRef) -> _Evaluation:
    ev = _Evaluation()
    if record.get("withdrawn"):
        return ev
    affected = record.get("affected")
    if affected is None:
        return ev
    if not isinstance(affected, list):
        ev.problems.append("`affected` is not a list")
        return ev
    for entry in affected:
        if isinstance(entry, Mapping) and _names_package(entry, pkg):
            _evaluate_entry(entry, pkg, ev)
    return ev


def _record_id(record: OsvRecord) -> str:
    rid = record.get("id")
    return rid if isinstance(rid, str) and rid else "<record without id>"


def affects(record: OsvRecord, pkg: PackageRef) -> bool:
    """Whether the record applies to the package version. Withdrawn records never do.
    Raises MatchProblem when it cannot be decided (nothing matched, and some range or version
    of an entry naming the package could not be evaluated)."""
    ev = _evaluate(record, pkg)
    if not ev.affected and ev.problems:
        raise MatchProblem(_record_id(record), pkg, "; ".join(dict.fromkeys(ev.problems)))
    return ev.affected


# --- advisories ----------------------------------------------------------------------------------


def _summary(record: OsvRecord) -> str:
    summary = record.get("summary")
    if isinstance(summary, str) and summary.strip():
        return " ".join(summary.split())
    details = record.get("details")
    if isinstance(details, str):
        for line in details.splitlines():
            if line.strip():
                return line.strip()
    return ""


def _aliases(record: OsvRecord, own: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for key in ("aliases", "upstream"):
        values = record.get(key)
        if isinstance(values, list):
            for value in values:
                if isinstance(value, str) and value and value != own:
                    seen.setdefault(value, None)
    return tuple(seen)


def _dedupe_sorted(keys: Iterable[VersionKey]) -> tuple[str, ...]:
    out: list[VersionKey] = []
    for key in sorted(keys):
        if not out or out[-1] != key:
            out.append(key)
    return tuple(k.text for k in out)


def match_record(
    record: OsvRecord, pkg: PackageRef, problems: list[MatchProblem] | None = None
) -> Advisory | None:
    """The Advisory when the record affects the package version, else None.

    A record that cannot be evaluated for this package (unknown ecosystem, unparsable version,
    malformed range) is never an Advisory: when `problems` is a list the MatchProblem is
    appended to it and the result is None; without a list it is raised. A record that matches
    through one range is reported even if another of its ranges is malformed."""
    rid = _record_id(record)
    try:
        ev = _evaluate(record, pkg)
    except Exception as exc:  # defensive: a record must never crash the scan
        ev = _Evaluation(problems=[f"cannot evaluate record: {exc}"])
    if not ev.affected:
        if ev.problems:
            problem = MatchProblem(rid, pkg, "; ".join(dict.fromkeys(ev.problems)))
            if problems is None:
                raise problem
            problems.append(problem)
        return None
    return Advisory(
        id=rid,
        aliases=_aliases(record, rid),
        summary=_summary(record),
        severity=advisory_severity(record),
        fixed_versions=_dedupe_sorted(ev.fixed),
        cvss_vectors=cvss_vectors(record),
        urgency=ev.urgency,
        properties={"ecosystem": pkg.ecosystem, "package": pkg.name, "version": pkg.version},
    )


def match_records(
    records: Iterable[OsvRecord], pkg: PackageRef, problems: list[MatchProblem] | None = None
) -> list[Advisory]:
    """The advisories of `records` that affect `pkg`, in record order. Records that cannot be
    evaluated are skipped (and appended to `problems` when given)."""
    collected: list[MatchProblem] = [] if problems is None else problems
    found = []
    for record in records:
        advisory = match_record(record, pkg, collected)
        if advisory is not None:
            found.append(advisory)
    return found


# --- merging and fixes ---------------------------------------------------------------------------


def _id_rank(identifier: str) -> int:
    """GHSA first, then other databases' ids (PYSEC, RUSTSEC, GO, DEBIAN, ...), CVE last."""
    if identifier.startswith("GHSA-"):
        return 0
    if identifier.startswith("CVE-"):
        return 2
    return 1


def _version_sorted(ecosystem: str | None, texts: Iterable[str]) -> tuple[str, ...]:
    unique = list(dict.fromkeys(texts))
    if ecosystem is None:
        return tuple(sorted(unique))
    keys: list[VersionKey] = []
    unparsable: list[str] = []
    for text in unique:
        try:
            keys.append(parse(ecosystem, text))
        except VersionError:
            unparsable.append(text)
    return _dedupe_sorted(keys) + tuple(sorted(unparsable))


def _package_of(advisory: Advisory) -> tuple[str, str, str]:
    props = advisory.properties
    return (
        str(props.get("ecosystem", "")),
        str(props.get("package", "")),
        str(props.get("version", "")),
    )


def merge_aliases(advisories: Sequence[Advisory], ecosystem: str | None = None) -> list[Advisory]:
    """Advisories about one vulnerability (ids aliasing each other, transitively) become one.

    Only advisories of the same package version merge (as `match_record` records it in
    `properties`). The merged id is the GHSA id if one of the records is GHSA, else another
    database's id, else the CVE; aliases are every other id; severity is the highest; fixed
    versions are the union in version order (`ecosystem`, or the one in `properties`)."""
    parent = list(range(len(advisories)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple[tuple[str, str, str], str], int] = {}
    for i, advisory in enumerate(advisories):
        pkg = _package_of(advisory)
        for identifier in advisory.ids:
            j = owner.setdefault((pkg, identifier), i)
            if j != i:
                parent[find(i)] = find(j)

    groups: dict[int, list[Advisory]] = {}
    for i, advisory in enumerate(advisories):
        groups.setdefault(find(i), []).append(advisory)

    merged = [_merge(group, ecosystem) for group in groups.values()]
    return sorted(merged, key=lambda a: (a.id, _package_of(a)))


def _merge(group: list[Advisory], ecosystem: str | None) -> Advisory:
    group = sorted(group, key=lambda a: (_id_rank(a.id), a.id))
    if len(group) == 1:
        return group[0]
    first = group[0]
    ids: dict[str, None] = {}
    for advisory in group:
        for identifier in advisory.ids:
            ids.setdefault(identifier, None)
    ids.pop(first.id, None)
    eco = ecosystem or (
        str(first.properties["ecosystem"]) if first.properties.get("ecosystem") else None
    )
    vectors: dict[str, None] = {}
    for advisory in group:
        vectors.update(dict.fromkeys(advisory.cvss_vectors))
    severity: Severity = max((a.severity for a in group), key=lambda s: s.rank)
    return Advisory(
        id=first.id,
        aliases=tuple(sorted(ids, key=lambda i: (_id_rank(i), i))),
        summary=next((a.summary for a in group if a.summary), ""),
        severity=severity,
        fixed_versions=_version_sorted(eco, (v for a in group for v in a.fixed_versions)),
        cvss_vectors=tuple(vectors),
        urgency=next((a.urgency for a in group if a.urgency), None),
        properties={**first.properties, "merged": tuple(a.id for a in group)},
    )


def lowest_fix(
    ecosystem: str | PackageRef, advisories: Sequence[Advisory], installed: str | None = None
) -> str | None:
    """The lowest version that clears all the advisories: the highest of each advisory's
    lowest fixed version above the installed version. None when any advisory has no (usable)
    fix, or there are no advisories.

    `ecosystem` may be the PackageRef itself (its ecosystem and version are used). The
    installed version is `installed`, else the package's, else the one `match_record`
    recorded in the advisory. This reads only `fixed_versions`: when one advisory has several
    affected windows, the answer can land in another window of it."""
    if isinstance(ecosystem, PackageRef):
        installed = installed if installed is not None else ecosystem.version
        ecosystem = ecosystem.ecosystem
    if not advisories:
        return None
    best: VersionKey | None = None
    for advisory in advisories:
        current = installed if installed is not None else advisory.properties.get("version")
        floor: VersionKey | None = None
        if isinstance(current, str):
            try:
                floor = parse(ecosystem, current)
            except VersionError:
                floor = None
        candidates: list[VersionKey] = []
        for text in advisory.fixed_versions:
            try:
                key = parse(ecosystem, text)
            except VersionError:
                continue
            if floor is None or key > floor:
                candidates.append(key)
        if not candidates:
            return None
        lowest = min(candidates)
        if best is None or lowest > best:
            best = lowest
    return best.text if best is not None else None
