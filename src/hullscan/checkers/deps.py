"""The dependency checker: every dependency of every manifest and lockfile, matched against OSV
data, each finding on the line of the dependency in the file the user edits.

Fail closed: a dependency that could not be audited (the source could not answer, or it cannot
be resolved from the file alone) is a notification on its line and makes the run exit 3; it is
never a silent pass.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from hullscan.catalog import advisory_rule
from hullscan.checkers.interface import CheckContext
from hullscan.deps import pipaudit
from hullscan.deps.lockfiles import Dependency, LockfileError, ReadResult, reader_for
from hullscan.discover import Target
from hullscan.errors import ToolError
from hullscan.model import (
    CheckerResult,
    Finding,
    Location,
    Notification,
    NotificationLevel,
    ToolInfo,
)
from hullscan.textfile import UnreadableFile, read_text
from hullscan.vuln.engine import Audit, audit
from hullscan.vuln.interface import Advisory, KnownRecords, PackageRef, VulnerabilitySource

log = logging.getLogger("hullscan.deps")

NAME = "deps"
PIP_AUDIT_URI = "https://github.com/pypa/pip-audit"


@dataclass(frozen=True)
class _Located:
    target: Target
    dependency: Dependency


def source_for_run(offline: bool) -> VulnerabilitySource:
    """The local database with `--offline`, else the OSV API."""
    if offline:
        from hullscan.vuln.local_db import LocalDatabase

        return LocalDatabase()
    from hullscan.vuln.osv_api import OsvApi

    return OsvApi()


class DepsChecker:
    name = NAME
    description = "Dependencies: manifests and lockfiles matched against OSV data"

    def applies(self, target: Target) -> bool:
        return reader_for(target.path.name, target.rel) is not None

    def check(self, targets: Sequence[Target], context: CheckContext) -> CheckerResult:
        notes: list[Notification] = []
        located: list[_Located] = []
        unpinned: list[tuple[Target, str, int, str]] = []
        requirement_files: dict[str, tuple[Target, ReadResult]] = {}
        successful = True
        for target in targets:
            reader = reader_for(target.path.name, target.rel)
            if reader is None:
                notes.append(Notification(NAME, NotificationLevel.WARNING,
                                          "not a known manifest or lockfile; skipped", target.rel))
                continue
            try:
                read = reader(read_text(target.path, context.config.max_file_size))
            except UnreadableFile as exc:
                notes.append(Notification(NAME, NotificationLevel.WARNING, str(exc), target.rel))
                continue
            except LockfileError as exc:
                notes.append(Notification(NAME, NotificationLevel.WARNING,
                                          f"cannot read: {exc}; not audited", target.rel,
                                          getattr(exc, "line", None)))
                successful = False
                continue
            if target.path.suffix == ".txt" or target.path.name == "pyproject.toml":
                requirement_files[target.rel] = (target, read)  # pip-audit's, when online
            located.extend(_Located(target, d) for d in read.dependencies)
            unpinned.extend((target, name, line, reason) for name, line, reason in read.unpinned)

        tools: list[ToolInfo] = []
        extra_sources: list[tuple[list[_Located], VulnerabilitySource]] = []
        exe = None if context.offline or not requirement_files else pipaudit.available()
        if exe is not None:
            tools.append(ToolInfo("pip-audit", information_uri=PIP_AUDIT_URI))
            resolved_files, audited, source, failures = _run_pip_audit(
                exe, requirement_files, unpinned, context
            )
            notes.extend(failures)
            successful = successful and not any(
                n.level is NotificationLevel.ERROR for n in failures
            )
            located = [item for item in located if item.target.rel not in resolved_files]
            unpinned = [u for u in unpinned if u[0].rel not in resolved_files]
            if audited:
                extra_sources.append((audited, source))
        for target, name, line, reason in unpinned:
            why = reason if exe is not None else f"{reason} (resolving it needs pip-audit online)"
            notes.append(Notification(NAME, NotificationLevel.WARNING,
                                      f"{name} cannot be audited: {why}", target.rel, line))
            successful = False

        findings: list[Finding] = []
        batches: list[tuple[list[_Located], VulnerabilitySource]] = []
        if located:
            source = source_for_run(context.offline)
            tools.append(ToolInfo(source.name))
            batches.append((located, source))
        batches.extend(extra_sources)
        for items, source in batches:
            result = audit([item.dependency.package for item in items], source,
                           ignore_unfixed=context.ignore_unfixed)
            for problem in result.problems:
                notes.append(Notification(NAME, NotificationLevel.NOTE,
                                          f"skipped OSV record {problem}"))
            produced, failures = _findings(items, result)
            findings.extend(produced)
            notes.extend(failures)
            successful = successful and not failures
        return CheckerResult(
            checker=NAME,
            findings=tuple(findings),
            notifications=tuple(notes),
            successful=successful,
            tools=tuple(tools),
            files_scanned=len({item.target.rel for items, _ in batches for item in items}),
        )


def _run_pip_audit(
    exe: str,
    files: dict[str, tuple[Target, ReadResult]],
    unpinned: Sequence[tuple[Target, str, int, str]],
    context: CheckContext,
) -> tuple[set[str], list[_Located], VulnerabilitySource, list[Notification]]:
    """pip-audit on each requirements file (resolving those with unpinned requirements); the
    packages it reports, located on their requirement's line, and a source holding the OSV
    records of the ids it found. Files it could not handle stay with the plain OSV path."""
    from hullscan.vuln.osv_api import OsvApi

    resolved: set[str] = set()
    located: list[_Located] = []
    ids: dict[PackageRef, tuple[str, ...]] = {}
    notes: list[Notification] = []
    needs_resolution = {target.rel for target, *_ in unpinned}
    for rel, (target, read) in sorted(files.items()):
        resolve = rel in needs_resolution
        try:
            listed = pipaudit.requirements_of(target.path)
            if listed == []:
                continue  # a Poetry project: poetry.lock is the file to audit
            report = pipaudit.audit_requirements(exe, target.path, context.root, resolve, listed)
        except LockfileError:
            continue  # already reported by the reader
        except ToolError as exc:
            level = NotificationLevel.ERROR if resolve else NotificationLevel.WARNING
            fallback = "" if resolve else "; its pins were audited against OSV directly"
            notes.append(Notification(NAME, level, f"pip-audit failed: {exc}{fallback}", rel))
            continue
        resolved.add(rel)
        lines = {pipaudit.key(d.package.name): d.line for d in read.dependencies}
        lines.update({pipaudit.key(n): line for n, line, _ in read.unpinned})
        for name, reason in sorted(report.skipped.items()):
            line = lines.get(pipaudit.key(name), 1)
            notes.append(Notification(NAME, NotificationLevel.ERROR,
                                      f"{name} could not be audited: {reason}", rel, line))
        for package in report.packages:
            line = lines.get(pipaudit.key(package.name), 1)
            located.append(_Located(target, Dependency(package, line)))
        ids.update(report.vulnerable)
    wanted = sorted({i for found in ids.values() for i in found})
    records = OsvApi().fetch_records(wanted) if wanted else {}
    by_package = {p: [records[i] for i in found if i in records] for p, found in ids.items()}
    return resolved, located, KnownRecords(by_package), notes


def _findings(
    located: Sequence[_Located], result: Audit
) -> tuple[list[Finding], list[Notification]]:
    findings: list[Finding] = []
    failures: list[Notification] = []
    for item in located:
        package = item.dependency.package
        where = (item.target.rel, item.dependency.line)
        if package in result.failed:
            reason = result.failed[package]
            failures.append(Notification(
                NAME, NotificationLevel.ERROR,
                f"{package.name} {package.version} could not be audited: {reason}", *where,
            ))
            continue
        advisories = result.advisories.get(package)
        if advisories:
            findings.append(_finding(item, advisories, result.fixes.get(package)))
    return findings, failures


def _finding(item: _Located, advisories: Sequence[Advisory], fix: str | None) -> Finding:
    package = item.dependency.package
    worst = max(advisories, key=lambda a: (a.severity.rank, a.id))
    ids = [a.id for a in advisories]
    aliases = sorted({alias for a in advisories for alias in a.aliases})
    listed = ", ".join(
        f"{a.id} ({', '.join(a.aliases[:3])})" if a.aliases else a.id for a in advisories
    )
    fix_text = f"upgrade to {fix}" if fix else "no fixed version is known"
    message = f"{package.name} {package.version} is affected by {listed}; {fix_text}"
    properties: dict[str, object] = {
        "package": package.name,
        "ecosystem": package.ecosystem,
        "installedVersion": package.version,
        "advisories": ids,
        "aliases": aliases,
        "cve": [a for a in aliases + ids if a.startswith("CVE-")],
    }
    if fix:
        properties["fixedVersion"] = fix
    return Finding(
        rule=advisory_rule(worst, name_prefix="vulnerable-dependency",
                           fix="Upgrade to a fixed version.",
                           tags=("security", "dependency", "vulnerability")),
        checker=NAME,
        severity=worst.severity,
        message=message,
        location=Location(item.target.rel, item.dependency.line),
        fingerprint_basis=f"{package.ecosystem}/{package.name}",
        properties=properties,
    )
