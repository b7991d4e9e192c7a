"""The OSV engine: ask a source for candidate records, apply OSV's matching rules locally,
merge aliases, and say which packages could not be audited. Whichever source answered, the
same rules decide, so results do not depend on the path that ran."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hullscan.vuln import match
from hullscan.vuln.interface import (
    Advisory,
    PackageRef,
    SourceError,
    VulnerabilitySource,
)
from hullscan.vuln.records import RecordProblem, check_record


@dataclass(frozen=True)
class Audit:
    """Per package: the advisories that affect it (aliases merged) and the lowest version
    that clears them all; the packages that could not be audited, with a reason; problems with
    records (one line each); the source's notes about its answer as a whole (one line each).

    Packages of an ecosystem the source holds no data for are in `failed`, all with the same
    reason, so a caller can say it once per file and ecosystem."""

    advisories: Mapping[PackageRef, tuple[Advisory, ...]]
    fixes: Mapping[PackageRef, str | None]
    failed: Mapping[PackageRef, str]
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def audit(
    packages: Sequence[PackageRef],
    source: VulnerabilitySource,
    *,
    ignore_unfixed: bool = False,
    hide_unimportant: bool = True,
) -> Audit:
    unique = list(dict.fromkeys(packages))
    try:
        found = source.lookup(unique)
    except SourceError as exc:
        return Audit({}, {}, dict.fromkeys(unique, str(exc)))
    failed = dict(found.failed)
    advisories: dict[PackageRef, tuple[Advisory, ...]] = {}
    fixes: dict[PackageRef, str | None] = {}
    problems: list[str] = []
    for package in unique:
        if package in failed:
            continue
        matched: list[Advisory] = []
        for record in found.records.get(package, ()):
            if not getattr(source, "validated", False):
                try:
                    check_record(record)
                except RecordProblem as exc:
                    problems.append(str(exc))
                    continue
            try:
                advisory = match.match_record(record, package)
            except match.MatchProblem as exc:
                problems.append(f"{record.get('id', '?')}: {exc}")
                continue
            if advisory is None:
                continue
            if hide_unimportant and advisory.urgency == "unimportant":
                continue
            matched.append(advisory)
        merged = match.merge_aliases(matched)
        if ignore_unfixed:
            merged = [a for a in merged if a.fixed_versions]
        if merged:
            advisories[package] = tuple(merged)
            # every candidate record of the package: an alias that does not affect the
            # installed version can still affect the version a fix would move to
            fixes[package] = match.lowest_fix(package, merged,
                                              related=found.records.get(package, ()))
    return Audit(advisories, fixes, failed, tuple(dict.fromkeys(problems)),
                 tuple(dict.fromkeys(found.notes)))
