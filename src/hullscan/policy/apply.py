"""The policy: the only place that decides severities, suppressions and what blocks.

In order: rules disabled per checker are dropped; severity overrides apply; findings of one
problem reported by several checkers become one (`hullscan.policy.overlaps`: the most specific kept,
the others in its `alsoReportedAs` property); content fingerprints are computed; inline
(`# hullscan: ignore[RULE] reason`) and configured `ignore` entries suppress (kept in the
output, marked as suppressed); an expired ignore entry no longer suppresses and becomes a
finding of its own; findings are sorted deterministically. Entries expiring within
`EXPIRY_WARNING_DAYS` are listed in the report.

`compare` then marks findings known before (fingerprints of the base commit's scan, or of an
accepted baseline file) as unchanged: they stay in the report and the SARIF, and never block.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from hullscan import RULES_DOCS
from hullscan.core.config import Config, IgnoreEntry
from hullscan.core.errors import HullscanError, describe_exception
from hullscan.core.model import (
    BaselineState,
    CheckerResult,
    ExpiringIgnore,
    Finding,
    Location,
    Notification,
    NotificationLevel,
    Report,
    Rule,
    Severity,
    Suppression,
    SuppressionKind,
    content_fingerprint,
)
from hullscan.core.redact import redact
from hullscan.core.textfile import UnreadableFile
from hullscan.discover import Target
from hullscan.policy import overlaps

POLICY_CHECKER = "policy"
EXPIRY_WARNING_DAYS = 14

EXPIRED_IGNORE = Rule(
    id="HS001",
    name="expired-ignore",
    short_description="An ignore entry in the configuration has expired",
    full_description=(
        "An entry under `ignore:` in .hullscan.yaml has passed its `expires` date. It no longer "
        "suppresses anything: the findings it covered are reported again."
    ),
    help_text=(
        "Re-evaluate the exception: fix the findings it covered, or extend `expires` with a "
        "fresh reason if the risk is still accepted. Exceptions that never expire hide problems."
    ),
    default_severity=Severity.MEDIUM,
    help_uri=f"{RULES_DOCS}#hs001",
    tags=("security", "configuration"),
)

_INLINE = re.compile(r"hullscan:\s*ignore\[(?P<ids>[^\]]+)\]\s*(?P<reason>.*)", re.IGNORECASE)
_COMMENT_END = re.compile(r"\s*(-->|\*/|#)?\s*$")


class SourceLines:
    """Lines of scanned files, only when a finding needs them: from the content the checkers
    already read (the scan's targets), else read once from the file."""

    def __init__(self, root: Path, max_size: int, targets: Sequence[Target] = ()) -> None:
        self._root = root
        self._max_size = max_size
        self._cache: dict[str, list[str]] = {}
        self._targets = {t.rel: t for t in targets}

    def line(self, path: str, number: int) -> str:
        lines = self._cache.get(path)
        if lines is None:
            lines = self._read(path)
            self._cache[path] = lines
        return lines[number - 1] if 1 <= number <= len(lines) else ""

    def _read(self, path: str) -> list[str]:
        target = self._targets.get(path)
        if target is not None:
            try:
                data = target.data(self._max_size)
            except UnreadableFile:
                return []
            return [] if b"\0" in data else data.decode("utf-8-sig", "replace").splitlines()
        file = self._root / path
        try:
            if file.stat().st_size > self._max_size:
                return []
            data = file.read_bytes()
        except OSError:
            return []
        if b"\0" in data:
            return []
        return data.decode("utf-8-sig", "replace").splitlines()


def apply_policy(
    results: Sequence[CheckerResult],
    config: Config,
    root: Path,
    fail_on: Severity | None,
    today: dt.date | None = None,
    elsewhere: Sequence[Elsewhere] = (),
    targets: Sequence[Target] = (),
) -> Report:
    """`elsewhere`: findings another process reports (sibling pre-commit hooks), used only to
    leave overlapping findings to it (`hullscan.policy.overlaps`). `targets`: the scan's files,
    whose content the checkers already read (a finding's source line comes from it)."""
    today = today or dt.date.today()
    lines = SourceLines(root, config.max_file_size, targets)
    active_ignores = [e for e in config.ignore if e.expires is None or e.expires >= today]
    expired = [e for e in config.ignore if e.expires is not None and e.expires < today]
    configured = [_guarded(result, lambda r: _configure(r, config)) for result in results]
    context = [replace(e, result=_configure(e.result, config)) for e in elsewhere]
    merged = _merge_overlaps(configured, context)
    processed = [
        _guarded(result, lambda r: _finish(r, lines, active_ignores, expired))
        for result in merged
    ]
    if expired and config.path is not None:
        processed.append(_expired_result(expired, config, root, lines))
    soon = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    expiring = tuple(
        ExpiringIgnore(e.describe(), e.expires, e.reason, config.path, e.line)
        for e in sorted(active_ignores, key=lambda e: (e.expires or today, e.line or 0))
        if e.expires is not None and e.expires <= soon
    )
    return Report(
        results=tuple(processed), fail_on=fail_on, root=str(root), expiring_ignores=expiring
    )


EXPIRED_IGNORE_PROPERTY = "expiredIgnore"


def compare(report: Report, known: Collection[str], compared_with: str) -> Report:
    """Mark each finding new or unchanged by its fingerprint. A fingerprint carries its
    occurrence (`:2`), so a second copy of a known problem in the same file is new. A finding
    an expired ignore entry used to suppress is new whatever came before: the exception ran
    out, so the problem is back up for review (and blocks)."""

    def state(finding: Finding) -> BaselineState:
        if finding.rule.id == EXPIRED_IGNORE.id or EXPIRED_IGNORE_PROPERTY in finding.properties:
            return BaselineState.NEW
        if finding.fingerprint in known or finding.baseline_state is BaselineState.UNCHANGED:
            return BaselineState.UNCHANGED
        return BaselineState.NEW

    results = tuple(
        replace(result, findings=tuple(
            replace(f, baseline_state=state(f)) for f in result.findings
        ))
        for result in report.results
    )
    return replace(report, results=results,
                   compared_with=(*report.compared_with, compared_with))


NEW_SUPPRESSION_PROPERTY = "newInlineSuppression"  # "honoured" or why it is not


def review_inline_suppressions(
    report: Report, base_suppressed: Collection[str], mode: str
) -> Report:
    """Inline suppressions the change adds (`# hullscan: ignore[...]`, `# nosec`, checkov skip
    comments): those the base commit did not have for the same finding. Each is new
    (`baselineState: new`) and listed; `mode` decides whether it is honoured: `allow` always,
    `require-reason` only with a reason text, `block` never. One that is not honoured leaves
    the finding active, so it blocks like any new finding."""

    def review(finding: Finding) -> Finding:
        suppression = finding.suppression
        if (suppression is None or suppression.kind is not SuppressionKind.IN_SOURCE
                or finding.fingerprint in base_suppressed):
            return finding
        honoured = mode == "allow" or (mode == "require-reason" and suppression.reasoned)
        if honoured:
            return replace(finding, baseline_state=BaselineState.NEW, properties={
                **finding.properties, NEW_SUPPRESSION_PROPERTY: "honoured",
            })
        why = ("inline suppressions this change adds need a review (inline_ignores: block)"
               if mode == "block" else
               "the inline suppression this change adds gives no reason")
        return replace(
            finding, suppression=None, baseline_state=BaselineState.NEW,
            message=f"{finding.message} [not suppressed: {why}]",
            properties={**finding.properties, NEW_SUPPRESSION_PROPERTY: why},
        )

    results = tuple(
        replace(result, findings=tuple(review(f) for f in result.findings))
        for result in report.results
    )
    return replace(report, results=results)


@dataclass(frozen=True)
class Elsewhere:
    """Findings another process reports (a sibling pre-commit hook's checkers, run here only to
    see what it will report): they win overlaps like any finding but are not reported here."""

    result: CheckerResult
    reported_by: str  # "the hullscan-compose hook"


def _merge_overlaps(
    results: Sequence[CheckerResult], elsewhere: Sequence[Elsewhere] = (),
) -> list[CheckerResult]:
    """One finding per problem (`hullscan.policy.overlaps`): a finding whose rule yields to another
    rule's finding at the same place is folded into that finding's `alsoReportedAs` property;
    the kept finding takes the group's highest severity and its message says what else
    reported it. One that yields to a finding reported elsewhere is left to it, with a note."""
    table = overlaps.yielding()
    # every finding that could win, by (path, start line, rule) and (path, 0, rule)
    winners: dict[tuple[str, int, str], list[tuple[int, int]]] = {}
    everything = [*results, *(e.result for e in elsewhere)]
    for r_index, result in enumerate(everything):
        for f_index, finding in enumerate(result.findings):
            path, line = finding.location.path, finding.location.start_line
            winners.setdefault((path, line, finding.rule.id), []).append((r_index, f_index))
            winners.setdefault((path, 0, finding.rule.id), []).append((r_index, f_index))
    absorbed: dict[tuple[int, int], list[Finding]] = {}
    left: dict[int, list[tuple[Finding, str, Finding]]] = {}
    dropped: set[tuple[int, int]] = set()
    for r_index, result in enumerate(results):
        for f_index, finding in enumerate(result.findings):
            winner = _winner(finding, table.get(finding.rule.id, ()), winners, everything)
            if winner is None or winner == (r_index, f_index):
                continue
            dropped.add((r_index, f_index))
            if winner[0] < len(results):
                absorbed.setdefault(winner, []).append(finding)
            else:
                other = elsewhere[winner[0] - len(results)]
                left.setdefault(r_index, []).append(
                    (finding, other.reported_by, everything[winner[0]].findings[winner[1]]))
    if not dropped:
        return list(results)
    out = []
    for r_index, result in enumerate(results):
        kept = tuple(
            _absorb(finding, absorbed.get((r_index, f_index), []))
            for f_index, finding in enumerate(result.findings)
            if (r_index, f_index) not in dropped
        )
        notes = result.notifications
        for finding, reported_by, kept_there in left.get(r_index, []):
            loc = finding.location
            notes = (*notes, Notification(
                result.checker, NotificationLevel.NOTE,
                f"{finding.rule.id} on this line is left to {reported_by}, which reports the "
                f"same problem as {kept_there.rule.id} (one problem, one finding)",
                loc.path, loc.start_line,
            ))
        out.append(replace(result, findings=kept, notifications=notes))
    return out


def _winner(
    finding: Finding, candidates: Sequence[overlaps.Overlap],
    winners: dict[tuple[str, int, str], list[tuple[int, int]]],
    everything: Sequence[CheckerResult],
) -> tuple[int, int] | None:
    loc = finding.location
    for overlap in candidates:
        line = 0 if overlap.same is overlaps.Same.FILE else loc.start_line  # 0: any line
        found = winners.get((loc.path, line, overlap.yields_to), [])
        if overlap.same is overlaps.Same.LINE_AND_IMAGE_FILE:
            found = [w for w in found
                     if _same_file(finding, everything[w[0]].findings[w[1]])]
        if len(found) > 1:  # two secrets on one line: the one with the same masked hint
            hints = set(_MASKED.findall(finding.message))
            found = sorted(found, key=lambda w: not hints & set(
                _MASKED.findall(everything[w[0]].findings[w[1]].message)))
        if found:
            return found[0]
    return None


# a masked secret as every output shows it (hullscan.core.redact.mask): "ghp_****** (40 chars)"
_MASKED = re.compile(r"[^\s(]*\*{6} \(\d+ chars\)")


_QUOTED = re.compile(r"'([^']+)'")


def _named_files(finding: Finding) -> list[str]:
    """The files a finding is about: its `imagePath`/`source` property, else the quoted names
    of its message (the Dockerfile rule's "COPY copies 'id_rsa'")."""
    named = [v for k in ("imagePath", "source") if isinstance(v := finding.properties.get(k), str)]
    return [n.strip("/") for n in (named or _QUOTED.findall(finding.message)) if n.strip("/")]


def _same_file(loser: Finding, winner: Finding) -> bool:
    """The same file when both name one: the name of a file or folder the winner copies is part
    of the loser's path in the image. Unknown on either side: the same."""
    theirs, mine = _named_files(loser), _named_files(winner)
    if not theirs or not mine:
        return True
    parts = {part for path in theirs for part in path.split("/")}
    return any(fnmatch.fnmatchcase(part, name.rsplit("/", 1)[-1])  # COPY *.pem /certs/
               for name in mine for part in parts)


def _absorb(finding: Finding, others: Sequence[Finding]) -> Finding:
    if not others:
        return finding
    also = [*_as_list(finding.properties.get(overlaps.ALSO_REPORTED_AS))]
    for other in others:
        also.append({"ruleId": other.rule.id, "checker": other.checker,
                     "severity": other.severity.value, "message": other.message,
                     "properties": dict(other.properties)})
    severity = max((finding.severity, *(o.severity for o in others)), key=lambda s: s.rank)
    said = ", ".join(dict.fromkeys(f"{o.rule.id} by the {o.checker} checker" for o in others))
    return replace(
        finding, severity=severity, message=f"{finding.message} (also reported as {said})",
        properties={**finding.properties, overlaps.ALSO_REPORTED_AS: also},
    )


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _process(
    result: CheckerResult, config: Config, lines: SourceLines, ignores: Sequence[IgnoreEntry],
    expired: Sequence[IgnoreEntry] = (),
) -> CheckerResult:
    return _finish(_configure(result, config), lines, ignores, expired)


def _configure(result: CheckerResult, config: Config) -> CheckerResult:
    """Rules disabled for the checker are dropped (with a note); severity overrides apply."""
    disabled = config.checker(result.checker).disable_rules
    kept: list[Finding] = []
    dropped: Counter[str] = Counter()
    for finding in result.findings:
        if finding.rule.id in disabled:
            dropped[finding.rule.id] += 1
            continue
        override = config.severity.get(finding.rule.id)
        if override is not None:
            finding = replace(
                finding,
                severity=override,
                rule=replace(finding.rule, default_severity=override),
            )
        kept.append(finding)
    notes = result.notifications
    if dropped:  # a trace of what the configuration switched off
        listed = ", ".join(f"{rule} ({count})" for rule, count in sorted(dropped.items()))
        notes = (*notes, Notification(
            result.checker, NotificationLevel.NOTE,
            f"{sum(dropped.values())} finding(s) not reported: rules disabled in "
            f"checkers.{result.checker}.disable_rules of {config.path or 'the configuration'}: "
            f"{listed}",
        ))
    return replace(result, findings=tuple(kept), notifications=notes)


def _finish(
    result: CheckerResult, lines: SourceLines, ignores: Sequence[IgnoreEntry],
    expired: Sequence[IgnoreEntry] = (),
) -> CheckerResult:
    """Fingerprints, suppressions, the order of the output."""
    fingerprinted = _fingerprint(list(result.findings), lines)
    final = [_suppress(f, lines, ignores, expired) for f in fingerprinted]
    final.sort(key=Finding.sort_key)
    return replace(result, findings=tuple(final))


def _guarded(
    result: CheckerResult, step: Callable[[CheckerResult], CheckerResult]
) -> CheckerResult:
    """One checker's results through a policy step; when that raises (a bug), that checker's
    run fails (exit 3) with one error line and the other checkers' results are kept."""
    try:
        return step(result)
    except HullscanError:
        raise
    except Exception as exc:
        logging.getLogger("hullscan.traceback").error(
            "the policy failed on the %s results", result.checker, exc_info=exc)
        return replace(result, findings=(), successful=False, notifications=(
            *result.notifications,
            Notification(result.checker, NotificationLevel.ERROR,
                         "internal error while applying the configuration to its "
                         f"{len(result.findings)} finding(s): {describe_exception(exc)}"),
        ))


def _fingerprint(findings: list[Finding], lines: SourceLines) -> list[Finding]:
    """Content fingerprints; identical content in one file gets `:1`, `:2`, ... in line order."""
    ordered = sorted(findings, key=lambda f: (*f.location.sort_key(), f.rule.id, f.message))
    seen: Counter[str] = Counter()
    out = []
    for finding in ordered:
        loc = finding.location
        basis = finding.fingerprint_basis
        if basis is None:
            basis = redact(lines.line(loc.path, loc.start_line))
        digest = content_fingerprint(finding.rule.id, loc.path, basis)
        seen[digest] += 1
        out.append(replace(finding, fingerprint=f"{digest}:{seen[digest]}"))
    return out


def _suppress(
    finding: Finding, lines: SourceLines, ignores: Sequence[IgnoreEntry],
    expired: Sequence[IgnoreEntry] = (),
) -> Finding:
    if finding.suppression is not None:
        return finding
    inline = _inline_reason(finding, lines)
    if inline is not None:
        justification = inline or "suppressed in source (no reason given)"
        return replace(finding, suppression=Suppression(
            SuppressionKind.IN_SOURCE, justification, reasoned=bool(inline)))
    for entry in ignores:
        if _ignore_matches(entry, finding):
            return replace(
                finding, suppression=Suppression(SuppressionKind.EXTERNAL, entry.reason)
            )
    for entry in expired:
        if _ignore_matches(entry, finding):
            assert entry.expires is not None
            properties = {**finding.properties,
                          EXPIRED_IGNORE_PROPERTY: entry.expires.isoformat()}
            return replace(finding, properties=properties)
    return finding


def _inline_reason(finding: Finding, lines: SourceLines) -> str | None:
    loc = finding.location
    for number in (loc.start_line, loc.start_line - 1):
        match = _INLINE.search(lines.line(loc.path, number))
        if match is None:
            continue
        ids = {i.strip().upper() for i in match.group("ids").split(",")}
        if finding.rule.id.upper() in ids or "*" in ids:
            return _COMMENT_END.sub("", match.group("reason")).strip()
    return None


def _ignore_matches(entry: IgnoreEntry, finding: Finding) -> bool:
    from hullscan.core.globs import match_any

    if entry.rule is not None and not fnmatch.fnmatchcase(
        finding.rule.id.upper(), entry.rule.upper()
    ):
        return False
    if entry.fingerprint is not None:
        wanted = entry.fingerprint
        if finding.fingerprint != wanted and finding.fingerprint.split(":")[0] != wanted:
            return False
    return not entry.paths or match_any(entry.paths, finding.location.path)


def _expired_result(
    expired: Sequence[IgnoreEntry], config: Config, root: Path, lines: SourceLines
) -> CheckerResult:
    """Expired entries become findings at their line of the configuration file. A configuration
    outside the repository (--config elsewhere) has no file to point a SARIF result at, so there
    they become warnings instead."""
    assert config.path is not None
    config_path = Path(os.path.realpath(config.path))
    messages = [
        (
            entry,
            f"The {entry.describe()} expired on {entry.expires}; it no longer suppresses "
            f"findings (reason was: {entry.reason})",
        )
        for entry in expired
    ]
    try:
        config_rel = config_path.relative_to(root).as_posix()
    except ValueError:
        notes = tuple(
            Notification(POLICY_CHECKER, NotificationLevel.WARNING,
                         f"line {entry.line}: {message}", config.path)
            for entry, message in messages
        )
        return CheckerResult(checker=POLICY_CHECKER, notifications=notes)
    findings = [
        Finding(
            rule=EXPIRED_IGNORE,
            checker=POLICY_CHECKER,
            severity=EXPIRED_IGNORE.default_severity,
            message=message,
            location=Location(config_rel, entry.line or 1),
            fingerprint_basis=f"{entry.rule}|{entry.fingerprint}|{entry.expires}",
        )
        for entry, message in messages
    ]
    processed = _process(
        CheckerResult(checker=POLICY_CHECKER, findings=tuple(findings)), config, lines, ()
    )
    return replace(processed, files_scanned=0)
