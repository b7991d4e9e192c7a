"""The dependency checker: every dependency of every manifest and lockfile, matched against OSV
data, each finding on the line of the dependency in the file the user edits.

Fail closed: a dependency that could not be audited (the source could not answer, or it cannot
be resolved from the file alone) is a notification on its line and makes the run exit 3; it is
never a silent pass.

Never runs the scanned project's code: pip-audit only gets the exact pins hullscan read (see
`pipaudit`). Resolving unpinned, local-path, URL and editable requirements runs their build code
(setup.py), so it needs `checkers.deps.resolve: true` and is never done in pull-request mode.
`-r` includes are followed by hullscan itself, inside the repository only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hullscan.checkers.interface import CheckContext
from hullscan.core.catalog import advisory_rule
from hullscan.core.errors import ToolError
from hullscan.core.model import (
    CheckerResult,
    Finding,
    Location,
    Notification,
    NotificationLevel,
    ToolInfo,
)
from hullscan.deps import pipaudit
from hullscan.deps.lockfiles import (
    Dependency,
    LockfileError,
    ReadResult,
    read_manifest,
)
from hullscan.deps.lockfiles.packagejson import covering_lockfile
from hullscan.deps.lockfiles.requirements import read_requirements
from hullscan.discover import Target
from hullscan.packages.registry import repository_lockfiles
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
        return repository_lockfiles().file_required(target.rel)

    def check(self, targets: Sequence[Target], context: CheckContext) -> CheckerResult:
        notes: list[Notification] = []
        located: list[_Located] = []
        unpinned: list[tuple[Target, str, int, str]] = []
        requirement_files: dict[str, tuple[Target, ReadResult]] = {}
        successful = True
        queue = list(targets)
        seen = {target.rel for target in targets}
        included: set[str] = set()  # files read because a requirements file has `-r` them
        while queue:
            target = queue.pop(0)
            reader = (read_requirements if target.rel in included
                      else repository_lockfiles().reader(target.rel))
            if reader is None:
                notes.append(Notification(NAME, NotificationLevel.WARNING,
                                          "not a known manifest or lockfile; skipped", target.rel))
                continue
            package_json = target.path.name == "package.json" and target.rel not in included
            if package_json and covering_lockfile(target.path, context.root) is not None:
                continue  # the lockfile pins what it installs, and is audited
            try:
                # whatever max_file_size says: a lockfile is data, never skipped
                read = read_manifest(target.path, reader)
            except LockfileError as exc:
                notes.append(Notification(NAME, NotificationLevel.WARNING,
                                          f"cannot read: {exc}; not audited", target.rel,
                                          getattr(exc, "line", None)))
                successful = False
                continue
            for name, line, reason in read.unorderable:
                notes.append(Notification(NAME, NotificationLevel.WARNING,
                                          f"{name} cannot be audited: {reason}", target.rel, line))
                successful = False
            if package_json and read.dependencies:
                notes.append(Notification(
                    NAME, NotificationLevel.NOTE,
                    "no lockfile: the exact versions here are audited, the packages they depend "
                    "on are not (commit package-lock.json, yarn.lock or pnpm-lock.yaml)",
                    target.rel))
            if (target.path.suffix == ".txt" or target.path.name == "pyproject.toml"
                    or target.rel in included):
                requirement_files[target.rel] = (target, read)  # pip-audit's, when online
            located.extend(_Located(target, d) for d in read.dependencies)
            unpinned.extend((target, name, line, reason) for name, line, reason in read.unpinned)
            for path, line in read.includes:
                if line in read.constraint_lines:
                    continue  # constraints pin what something else installs
                found = _include(target, path, context.root)
                if isinstance(found, str):
                    notes.append(Notification(NAME, NotificationLevel.WARNING,
                                              f"{path} cannot be audited: {found}",
                                              target.rel, line))
                    successful = False
                elif found.rel not in seen:
                    seen.add(found.rel)
                    included.add(found.rel)
                    queue.append(found)

        resolvable = {t.rel for t, *_ in unpinned
                      if t.rel in requirement_files and _resolvable(t.path)}
        resolve = _resolve_setting(context, notes, bool(resolvable))
        tools: list[ToolInfo] = []
        extra_sources: list[tuple[list[_Located], VulnerabilitySource]] = []
        exe = None if context.offline or not requirement_files else pipaudit.available()
        if exe is not None:
            tools.append(ToolInfo("pip-audit", information_uri=PIP_AUDIT_URI))
            outcome = _run_pip_audit(exe, requirement_files, unpinned, resolve, context)
            notes.extend(outcome.notes)
            successful = successful and not any(
                n.level is NotificationLevel.ERROR for n in outcome.notes
            )
            located = [item for item in located if not outcome.covers(item)]
            unpinned = [u for u in unpinned if u[0].rel not in outcome.resolved]
            if outcome.located:
                extra_sources.append((outcome.located, outcome.source))
        for target, name, line, reason in unpinned:
            message = f"{name} cannot be audited: {reason}"
            if target.rel in resolvable:
                why = _unresolved_reason(reason, context, resolve, exe is not None)
                message = f"{name} cannot be audited without resolving: {why}"
            notes.append(Notification(NAME, NotificationLevel.WARNING, message, target.rel, line))
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
            for said in result.notes:  # about the source as a whole: said once
                note = Notification(NAME, NotificationLevel.WARNING, said)
                if note not in notes:
                    notes.append(note)
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


def _include(target: Target, path: str, root: Path) -> Target | str:
    """The file a `-r PATH` line names (relative to the including file, as pip reads it), or
    why it is not read: hullscan follows includes itself, inside the repository only, and never
    fetches one."""
    if "://" in path or path.startswith(("git+", "hg+", "svn+", "bzr+")):
        return "included from a URL, which is never fetched"
    candidate = (target.path.parent / path).resolve()
    try:
        rel = candidate.relative_to(root.resolve()).as_posix()
    except ValueError:
        return "included from outside the repository, which is not read"
    if not candidate.is_file():
        return "included, but there is no such file"
    return Target(candidate, rel)


def _resolvable(path: Path) -> bool:
    """Whether pip-audit could resolve this file's requirements (not a Poetry project's)."""
    try:
        return pipaudit.requirements_of(path) != []
    except LockfileError:
        return False


def _resolve_setting(context: CheckContext, notes: list[Notification], matters: bool) -> bool:
    """`checkers.deps.resolve`, unless this is pull-request mode: then the opt-in is ignored,
    with a note when something is left unresolved because of it."""
    wanted = context.config.checker(NAME).options.get("resolve") is True
    if wanted and context.pull_request:
        if matters:
            notes.append(Notification(
                NAME, NotificationLevel.NOTE,
                "checkers.deps.resolve is ignored in pull-request mode: resolving would run the "
                "build code (setup.py) of the change under review"))
        return False
    return wanted


def _unresolved_reason(reason: str, context: CheckContext, resolve: bool, online: bool) -> str:
    if context.pull_request:
        return f"{reason} (requirements are never resolved in pull-request mode)"
    if not online:
        needs = "pip-audit online" + ("" if resolve else " and checkers.deps.resolve: true")
        return f"{reason} (resolving it needs {needs})"
    if not resolve:
        return (f"{reason} (checkers.deps.resolve: true lets pip-audit resolve it, which runs "
                "the project's build code)")
    return reason  # resolution was attempted and failed: pip-audit's error says why


@dataclass
class _PipAuditOutcome:
    source: VulnerabilitySource
    resolved: set[str] = field(default_factory=set)  # files pip-audit resolved as a whole
    audited: set[tuple[str, str, str]] = field(default_factory=set)  # (file, key, version)
    located: list[_Located] = field(default_factory=list)
    notes: list[Notification] = field(default_factory=list)

    def covers(self, item: _Located) -> bool:
        """Whether pip-audit's answer replaces this entry of the file's reader."""
        package = item.dependency.package
        rel = item.target.rel
        return rel in self.resolved or (
            rel, pipaudit.key(package.name), package.version) in self.audited


def _pins(read: ReadResult) -> list[tuple[str, str]]:
    """The exact pins of a file pip-audit can take as they are: one version per package (two
    pins of one name, behind different markers, stay with the OSV path)."""
    versions: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for dependency in read.dependencies:
        package = dependency.package
        key = pipaudit.key(package.name)
        versions.setdefault(key, set()).add(package.version)
        names.setdefault(key, package.name)
    return [(names[key], next(iter(found))) for key, found in versions.items()
            if len(found) == 1 and pipaudit.pinnable(names[key], next(iter(found)))]


def _run_pip_audit(
    exe: str,
    files: dict[str, tuple[Target, ReadResult]],
    unpinned: Sequence[tuple[Target, str, int, str]],
    resolve: bool,
    context: CheckContext,
) -> _PipAuditOutcome:
    """pip-audit on each requirements file: its exact pins only, or with `resolve` the whole
    file for those with unpinned requirements; the packages it reports, located on their
    requirement's line, and a source holding the OSV records of the ids it found. What it
    could not handle stays with the plain OSV path."""
    from hullscan.vuln.osv_api import OsvApi

    outcome = _PipAuditOutcome(KnownRecords({}))
    ids: dict[PackageRef, tuple[str, ...]] = {}
    needs_resolution = {target.rel for target, *_ in unpinned}
    for rel, (target, read) in sorted(files.items()):
        try:
            listed = pipaudit.requirements_of(target.path)
        except LockfileError:
            continue  # already reported by the reader
        if listed == []:
            continue  # a Poetry project: poetry.lock is the file to audit
        if resolve and rel in needs_resolution:
            try:
                report = pipaudit.audit_resolving(exe, target.path, context.root, listed)
            except ToolError as exc:
                outcome.notes.append(Notification(NAME, NotificationLevel.ERROR,
                                                  f"pip-audit failed: {_said(exc)}", rel))
                continue
            outcome.resolved.add(rel)
        else:
            pins = _pins(read)
            if not pins:
                continue
            try:
                report = pipaudit.audit_pins(exe, pins)
            except ToolError as exc:
                outcome.notes.append(Notification(
                    NAME, NotificationLevel.WARNING,
                    f"pip-audit failed: {_said(exc)}; its pins were audited against OSV "
                    "directly", rel))
                continue
            outcome.audited.update((rel, pipaudit.key(n), v) for n, v in pins)
        lines = {pipaudit.key(d.package.name): d.line for d in read.dependencies}
        lines.update({pipaudit.key(n): line for n, line, _ in read.unpinned})
        for name, reason in sorted(report.skipped.items()):
            line = lines.get(pipaudit.key(name), 1)
            outcome.notes.append(Notification(NAME, NotificationLevel.ERROR,
                                              f"{name} could not be audited: {reason}", rel, line))
        for package in report.packages:
            line = lines.get(pipaudit.key(package.name), 1)
            outcome.located.append(_Located(target, Dependency(package, line)))
        ids.update(report.vulnerable)
    wanted = sorted({i for found in ids.values() for i in found})
    records = OsvApi().fetch_records(wanted) if wanted else {}
    by_package = {p: [records[i] for i in found if i in records] for p, found in ids.items()}
    outcome.source = KnownRecords(by_package)
    return outcome


def _said(error: ToolError) -> str:
    """A tool error's message without the `pip-audit: ` it starts with."""
    return str(error).removeprefix(f"{error.tool}: ")


def _findings(
    located: Sequence[_Located], result: Audit
) -> tuple[list[Finding], list[Notification]]:
    """Findings, and one error per file, ecosystem and reason for the dependencies that could
    not be audited (an ecosystem the local database does not hold, the OSV API unreachable):
    one line says it for the whole file, not one line per dependency."""
    findings: list[Finding] = []
    failed: dict[tuple[str, str, str], list[_Located]] = {}
    for item in located:
        package = item.dependency.package
        if package in result.failed:
            key = (item.target.rel, package.ecosystem, result.failed[package])
            failed.setdefault(key, []).append(item)
            continue
        advisories = result.advisories.get(package)
        if advisories:
            findings.append(_finding(item, advisories, result.fixes.get(package)))
    failures: list[Notification] = []
    for (rel, ecosystem, reason), items in failed.items():
        unique = list(dict.fromkeys(item.dependency.package for item in items))
        if len(unique) == 1:
            package, line = unique[0], items[0].dependency.line
            failures.append(Notification(
                NAME, NotificationLevel.ERROR,
                f"{package.name} {package.version} could not be audited: {reason}", rel, line))
            continue
        shown = ", ".join(f"{p.name} {p.version}" for p in unique[:3])
        more = f" and {len(unique) - 3:,} more" if len(unique) > 3 else ""
        failures.append(Notification(
            NAME, NotificationLevel.ERROR,
            f"{len(unique):,} {ecosystem} dependencies ({shown}{more}) could not be audited: "
            f"{reason}", rel))
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
