"""The typed internal model: what every checker produces and every format renders.

SARIF is one output format of this model, not the model. A checker builds `Finding`s and
`Notification`s; the policy decides severities, suppressions and what blocks; formats render.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class Severity(enum.Enum):
    """Finding severity, from most to least severe."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe (critical = 4, info = 0)."""
        return _RANK[self]

    @property
    def sarif_level(self) -> str:
        """SARIF result level: critical/high error, medium warning, low/info note."""
        return _SARIF_LEVEL[self]

    @property
    def security_severity(self) -> str:
        """GitHub's `security-severity` score, as the JSON string GitHub requires."""
        return _SECURITY_SEVERITY[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank


_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}
_SARIF_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub: > 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low, 0.0 none.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
    Severity.INFO: "0.0",
}


@dataclass(frozen=True)
class Rule:
    """A check, as reviewers see it in the rules list of a SARIF run."""

    id: str
    name: str
    short_description: str
    full_description: str
    help_text: str
    default_severity: Severity
    help_uri: str | None = None
    help_markdown: str | None = None
    tags: tuple[str, ...] = ()
    cwe: tuple[str, ...] = ()  # e.g. ("CWE-250",)


@dataclass(frozen=True)
class Location:
    """A region of a repository file. `path` is relative to the repository root, with `/`."""

    path: str
    start_line: int = 1
    start_column: int | None = None
    end_line: int | None = None
    end_column: int | None = None

    def sort_key(self) -> tuple[str, int, int]:
        return (self.path, self.start_line, self.start_column or 0)


class SuppressionKind(enum.Enum):
    IN_SOURCE = "inSource"
    EXTERNAL = "external"


@dataclass(frozen=True)
class Suppression:
    kind: SuppressionKind
    justification: str
    # False for an inline suppression written without a reason text (`# nosec`,
    # `# hullscan: ignore[X]` alone): in pull-request mode a new one is not honoured by default
    reasoned: bool = True

    @classmethod
    def in_source(cls, reason: str, comment: str) -> Suppression:
        """A tool's inline suppression comment (`comment`, e.g. `# nosec`) with the reason text
        written after it (already masked), or none."""
        reason = reason.strip().lstrip("-:#").strip()
        if reason:
            return cls(SuppressionKind.IN_SOURCE, reason)
        return cls(SuppressionKind.IN_SOURCE, f"{comment} (no reason given)", reasoned=False)


class BaselineState(enum.Enum):
    """Whether a finding was there before: compared with the base commit of a pull request
    (`--new-only --base REF`) or with an accepted baseline file (`--baseline FILE`)."""

    NEW = "new"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Finding:
    """One problem found by one checker at one place.

    `fingerprint_basis` is the content the fingerprint is derived from when the flagged line's
    text is not the right identity: package identity for dependencies, or a line with its secret
    masked. When it is None the pipeline uses the normalised text of the flagged line.
    """

    rule: Rule
    checker: str
    severity: Severity
    message: str
    location: Location
    fingerprint: str = ""
    fingerprint_basis: str | None = None
    properties: Mapping[str, object] = field(default_factory=dict)
    suppression: Suppression | None = None
    baseline_state: BaselineState | None = None  # None: no comparison was made

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None

    @property
    def baselined(self) -> bool:
        """Known before (in the base commit or the baseline file): reported, never blocking."""
        return self.baseline_state is BaselineState.UNCHANGED

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        return (*self.location.sort_key(), self.rule.id, self.message, self.fingerprint)


class NotificationLevel(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Notification:
    """Something a checker wants the user to know that is not a finding: a skipped file, a
    missing tool. `path` names the file concerned, when there is one."""

    checker: str
    level: NotificationLevel
    message: str
    path: str | None = None
    line: int | None = None

    def one_line(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{self.checker}: {where}{self.message}"


@dataclass(frozen=True)
class ToolInfo:
    """An external tool a checker ran (recorded as a SARIF tool extension)."""

    name: str
    version: str | None = None
    information_uri: str | None = None


@dataclass(frozen=True)
class Component:
    """A package a checker inventoried (the image checker: every OS and language package of
    the image), for software bills of materials. `purl` is the package URL."""

    name: str
    version: str
    purl: str
    kind: str  # deb, apk, rpm, python, npm, go, maven
    properties: Mapping[str, str] = field(default_factory=dict)  # layer, location, source, ...


@dataclass(frozen=True)
class Subject:
    """What a checker inventoried as a whole, when it is not a file: an image."""

    name: str  # the reference the user gave
    digest: str | None = None
    properties: Mapping[str, str] = field(default_factory=dict)  # os, architecture, ...


@dataclass(frozen=True)
class CheckerResult:
    """Everything one checker produced in one invocation."""

    checker: str
    findings: tuple[Finding, ...] = ()
    notifications: tuple[Notification, ...] = ()
    successful: bool = True
    tools: tuple[ToolInfo, ...] = ()
    files_scanned: int = 0  # files this checker checked (for an image: entries of its layers)
    subject: Subject | None = None
    components: tuple[Component, ...] = ()
    # the repository files it checked (relative paths), so a file several checkers read counts
    # once in the summary; None: not known (the pipeline fills it in for every checker it runs)
    paths: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ExpiringIgnore:
    """A configured ignore entry that still suppresses, but not for long."""

    description: str
    expires: dt.date
    reason: str
    path: str | None = None  # the configuration file
    line: int | None = None


@dataclass(frozen=True)
class Report:
    """The result of one hullscan invocation, after the policy has run."""

    results: tuple[CheckerResult, ...]
    fail_on: Severity | None
    root: str
    expiring_ignores: tuple[ExpiringIgnore, ...] = ()
    # what findings were compared with ("base commit 1a2b3c4", "baseline FILE"), if anything
    compared_with: tuple[str, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for r in self.results for f in r.findings)

    @property
    def notifications(self) -> tuple[Notification, ...]:
        return tuple(n for r in self.results for n in r.notifications)

    @property
    def active(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.suppressed)

    @property
    def new(self) -> tuple[Finding, ...]:
        """Active findings that are not known from the base commit or the baseline."""
        return tuple(f for f in self.active if not f.baselined)

    @property
    def baselined(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.active if f.baselined)

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """What fails the run: new, unsuppressed findings at or above the threshold."""
        if self.fail_on is None:
            return ()
        threshold = self.fail_on
        return tuple(f for f in self.new if f.severity.rank >= threshold.rank)

    @property
    def files_checked(self) -> int:
        """Repository files checked, each once however many checkers read it (a checker that
        did not say which files counts its own number)."""
        known: set[str] = set()
        unknown = 0
        for result in self.results:
            if result.subject is not None:
                continue  # an image's entries are not repository files
            if result.paths is None:
                unknown += result.files_scanned
            else:
                known.update(result.paths)
        return len(known) + unknown

    @property
    def image_files(self) -> int:
        """Entries read in the layers of the images checked."""
        return sum(r.files_scanned for r in self.results if r.subject is not None)

    @property
    def failed_checkers(self) -> tuple[str, ...]:
        return tuple(r.checker for r in self.results if not r.successful)


def normalise_text(text: str) -> str:
    """Whitespace-insensitive form of a line, so re-indenting does not change a fingerprint."""
    return " ".join(text.split())


def content_fingerprint(rule_id: str, path: str, basis: str) -> str:
    """A fingerprint from content only (rule, file, normalised text), never a line number."""
    digest = hashlib.sha256()
    for part in (rule_id, path, normalise_text(basis)):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def count_by_severity(findings: Iterable[Finding]) -> dict[Severity, int]:
    counts = dict.fromkeys(Severity, 0)
    for f in findings:
        counts[f.severity] += 1
    return counts
