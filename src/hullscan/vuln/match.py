"""OSV's matching rules: does a record affect one package version, and what fixes it.

A record applies to a package when one of its `affected[]` entries names the package (same
ecosystem, same name as the ecosystem compares names) and the installed version is listed in
`versions` or falls inside one of the `ECOSYSTEM` / `SEMVER` ranges (GIT ranges name commits
and are skipped). Ranges are evaluated as the OSV schema's pseudo-code does: events sorted by
version, `introduced` opens, `fixed` (exclusive) and `last_affected` (inclusive) close, and
`limit` events cap the whole range; events that share a version keep every window as written
(see `_evaluate_range`).

What fixes it: the lowest `fixed` version above the installed one that no record of the
vulnerability affects (aliases merged; a fix of one window can lie inside another window of the
same record or of an alias), or none (see `lowest_fix`).

Records that cannot be evaluated (unknown ecosystem, unparsable versions, malformed ranges)
never crash a scan and never become an Advisory: `match_record` raises `MatchProblem` (an
exception carrying record id, package and a one-line reason), or, given a list, appends it
there and returns None. Withdrawn records never match.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hullscan.core.model import Severity
from hullscan.vuln.interface import Advisory, OsvRecord, PackageRef
from hullscan.vuln.names import normalise_ecosystem, normalise_name
from hullscan.vuln.severity import advisory_severity, cvss_vectors, informational_kind
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
# One normaliser for the whole engine (hullscan.vuln.names); re-exported here.


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
    fixes: list[str] = field(default_factory=list)  # `fixed` events above the installed version
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


def _cmp_bounds(a: VersionKey | None, b: VersionKey | None) -> int:
    if a is None or b is None:  # introduced "0" is below every version
        return (a is not None) - (b is not None)
    return -1 if a < b else (1 if b < a else 0)


_Event = tuple[str, "VersionKey | None", str]


def _cmp_events(a: _Event, b: _Event) -> int:
    return _cmp_bounds(a[1], b[1])


def _evaluate_range(
    rng: Mapping[str, Any], key: Callable[[str], VersionKey], version: VersionKey
) -> tuple[bool, list[str]]:
    """(is the version inside the range, the range's `fixed` versions above the version).

    The OSV schema's `IncludedInRanges` exactly: outside every `limit` (none means `*`) the
    version is not affected; otherwise walk the events sorted by version, where an
    `introduced` at or below the version makes it vulnerable, a `fixed` at or below it and a
    `last_affected` below it make it not vulnerable. The schema does not order events that
    share a version; they are taken in the one order that keeps every window as written: when
    a window is open there, its closing event comes first and the next window's `introduced`
    after it (`[0, 3.1.1)` + `[3.1.1, 3.2.0)` is `[0, 3.2.0)`: no window vanishes); when none
    is open, `introduced` comes first (`introduced 1.0` + `fixed 1.0` is the empty window,
    `introduced 1.0` + `last_affected 1.0` is 1.0 alone)."""
    events = rng.get("events")
    if not isinstance(events, list) or not events:
        raise MatchError("range without events")
    parsed: list[_Event] = []
    limits: list[VersionKey | None] = []  # None: limit "*" (infinity)
    for evt in events:
        kind, text = _event(evt)
        if kind == "limit":
            limits.append(None if "*" in text else key(text))
        elif kind == "introduced" and text == "0":
            parsed.append((kind, None, text))
        else:
            parsed.append((kind, key(text), text))
    if not any(kind == "introduced" for kind, _, _ in parsed):
        raise MatchError("range without an introduced event")
    fixes = [text for kind, bound, text in parsed
             if kind == "fixed" and bound is not None and bound > version]
    # BeforeLimits: no limit events is an implicit "*".
    if limits and not any(limit is None or version < limit for limit in limits):
        return False, fixes
    parsed.sort(key=functools.cmp_to_key(_cmp_events))  # by version only (stable)
    vulnerable = False
    i = 0
    while i < len(parsed):
        j = i + 1
        while j < len(parsed) and _cmp_bounds(parsed[i][1], parsed[j][1]) == 0:
            j += 1
        group = parsed[i:j]
        # Closing events first while a window is open (it continues into the next one),
        # `introduced` first while none is.
        group.sort(key=lambda e: (e[0] == "introduced") == vulnerable)
        for kind, bound, _ in group:
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
        i = j
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
    fixes: list[str] = []
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
            inside, above = _evaluate_range(rng, key, mine)
        except (MatchError, VersionError) as exc:
            ev.problems.append(f"{range_type} range: {exc}")
            continue
        fixes.extend(above)
        if inside:
            in_range = True

    # Every fix above the installed version is a candidate (the one of its own window may lie
    # inside a later window of the record): `match_record` keeps those the record does not
    # affect.
    ev.fixes.extend(fixes)
    if listed or in_range:
        ev.affected = True
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
    through one range is reported even if another of its ranges is malformed.

    `fixed_versions` are the record's `fixed` versions above the installed one that the record
    itself does not affect (a fix of one window can lie inside a later one), in version order.
    `properties` carry the package (`ecosystem`, `package`, `version`), the record itself
    (`records`, which `merge_aliases` and `lowest_fix` evaluate) and, for an informational
    notice (RustSec's unmaintained, unsound, notice), its kind (`informational`)."""
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
    clears = _Clears((record,), pkg)
    kind = informational_kind(record, pkg.ecosystem, pkg.name)
    properties: dict[str, Any] = {"ecosystem": pkg.ecosystem, "package": pkg.name,
                                  "version": pkg.version, "records": (record,)}
    if kind:
        properties["informational"] = kind
    return Advisory(
        id=rid,
        aliases=_aliases(record, rid),
        summary=_summary(record),
        severity=advisory_severity(record, default=Severity.LOW if kind else None),
        fixed_versions=_version_sorted(pkg.ecosystem, (f for f in ev.fixes if clears(f))),
        cvss_vectors=cvss_vectors(record),
        urgency=ev.urgency,
        properties=properties,
    )


class _Clears:
    """Whether none of `records` affects the package at a candidate version, as far as they
    can tell: a candidate whose evaluation meets a problem that the installed version's did
    not (a range that cannot read it) does not count as clearing them."""

    def __init__(self, records: Sequence[OsvRecord], pkg: PackageRef) -> None:
        self.records = records
        self.pkg = pkg
        self._baseline: list[set[str]] | None = None
        self._seen: dict[str, bool] = {}

    def __call__(self, candidate: str) -> bool:
        if candidate not in self._seen:
            self._seen[candidate] = self._clears(candidate)
        return self._seen[candidate]

    def _clears(self, candidate: str) -> bool:
        if self._baseline is None:
            self._baseline = [set(_safe_evaluate(r, self.pkg).problems) for r in self.records]
        at = PackageRef(self.pkg.ecosystem, self.pkg.name, candidate)
        for record, baseline in zip(self.records, self._baseline, strict=True):
            ev = _safe_evaluate(record, at)
            if ev.affected or not set(ev.problems) <= baseline:
                return False
        return True


def _safe_evaluate(record: OsvRecord, pkg: PackageRef) -> _Evaluation:
    try:
        return _evaluate(record, pkg)
    except Exception as exc:  # defensive, as in match_record
        return _Evaluation(problems=[f"cannot evaluate record: {exc}"])


def _records_of(advisory: Advisory) -> tuple[OsvRecord, ...] | None:
    records = advisory.properties.get("records")
    if isinstance(records, tuple) and all(isinstance(r, Mapping) for r in records):
        return records
    return None


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
    properties: dict[str, Any] = {**first.properties, "merged": tuple(a.id for a in group)}
    records = tuple(r for a in group for r in (_records_of(a) or ()))
    fixes: Iterable[str] = (v for a in group for v in a.fixed_versions)
    if records:
        properties["records"] = records
        ecosystem_, name, version = _package_of(first)
        if ecosystem_ and name and version:
            # A fix of one record still inside a window of an alias is no fix of the merge.
            clears = _Clears(records, PackageRef(ecosystem_, name, version))
            fixes = [v for v in fixes if clears(v)]
    if not all(a.properties.get("informational") for a in group):
        properties.pop("informational", None)  # a notice merged with a vulnerability
    return Advisory(
        id=first.id,
        aliases=tuple(sorted(ids, key=lambda i: (_id_rank(i), i))),
        summary=next((a.summary for a in group if a.summary), ""),
        severity=severity,
        fixed_versions=_version_sorted(eco, fixes),
        cvss_vectors=tuple(vectors),
        urgency=next((a.urgency for a in group if a.urgency), None),
        properties=properties,
    )


def lowest_fix(
    ecosystem: str | PackageRef,
    advisories: Sequence[Advisory],
    installed: str | None = None,
    related: Iterable[OsvRecord] = (),
) -> str | None:
    """The lowest version above the installed one that none of the advisories affects, or
    None when there is none (an advisory without a usable fix, every fix inside a window of
    another record), or there are no advisories.

    Candidates are the advisories' fixed versions; an advisory that carries its records (as
    `match_record` and `merge_aliases` make them) is cleared by a candidate its records do not
    affect, one without records by a candidate at or above its lowest fix above the installed
    version. `related`: other records of the package (a source's candidates); those that share
    an id or alias with an advisory count as its records too, so the advice never lands in a
    window of an alias that does not affect the installed version. `ecosystem` may be the
    PackageRef itself (its ecosystem, name and version are used). The installed version is
    `installed`, else the package's, else the one `match_record` recorded in the advisory."""
    name: str | None = None
    if isinstance(ecosystem, PackageRef):
        installed = installed if installed is not None else ecosystem.version
        name = ecosystem.name
        ecosystem = ecosystem.ecosystem
    if not advisories:
        return None
    others = [r for r in related if isinstance(r, Mapping)]
    checks: list[Callable[[VersionKey], bool]] = []
    texts: list[str] = []
    for advisory in advisories:
        check, more = _cleared_by(ecosystem, advisory, installed, name, others)
        checks.append(check)
        texts.extend(advisory.fixed_versions)
        texts.extend(more)
    candidates: list[VersionKey] = []
    for text in dict.fromkeys(texts):
        try:
            candidates.append(parse(ecosystem, text))
        except VersionError:
            continue
    for candidate in _dedupe_keys(candidates):
        if all(check(candidate) for check in checks):
            return candidate.text
    return None


def _record_ids(record: OsvRecord) -> set[str]:
    ids = {_record_id(record)}
    ids.update(_aliases(record, ""))
    return ids


def _dedupe_keys(keys: Iterable[VersionKey]) -> list[VersionKey]:
    out: list[VersionKey] = []
    for key in sorted(keys):
        if not out or out[-1] != key:
            out.append(key)
    return out


def _cleared_by(
    ecosystem: str, advisory: Advisory, installed: str | None, name: str | None,
    related: Sequence[OsvRecord] = (),
) -> tuple[Callable[[VersionKey], bool], list[str]]:
    """Whether a candidate version clears one advisory (see `lowest_fix`), and the fixes above
    the installed version of the related records that count as its own."""
    current = installed if installed is not None else advisory.properties.get("version")
    floor: VersionKey | None = None
    if isinstance(current, str):
        try:
            floor = parse(ecosystem, current)
        except VersionError:
            floor = None
    records = _records_of(advisory)
    package = name or advisory.properties.get("package")
    if records and isinstance(current, str) and isinstance(package, str) and package:
        pkg = PackageRef(ecosystem, package, current)
        more: list[str] = []
        if related:
            ids = set(advisory.ids)
            known = {_record_id(r) for r in records}
            aliases = tuple(r for r in related
                            if _record_id(r) not in known and _record_ids(r) & ids)
            records = records + aliases
            for record in aliases:
                more.extend(_safe_evaluate(record, pkg).fixes)
        clears = _Clears(records, pkg)
        return (lambda c: (floor is None or c > floor) and clears(c.text)), more
    own: list[VersionKey] = []
    for text in advisory.fixed_versions:
        try:
            key = parse(ecosystem, text)
        except VersionError:
            continue
        if floor is None or key > floor:
            own.append(key)
    lowest = min(own) if own else None
    return (lambda c: lowest is not None and c >= lowest), []
