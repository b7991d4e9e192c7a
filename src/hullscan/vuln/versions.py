"""Version ordering per OSV ecosystem.

`parse(ecosystem, text)` returns a `VersionKey` that orders like the ecosystem's own tools;
`compare(ecosystem, a, b)` returns -1, 0 or 1. An ecosystem name may carry a `:suffix`
(`Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`): the part before the first `:` picks the
ordering. An unknown ecosystem or an unparsable version raises `VersionError`.

Orderings: PEP 440 (PyPI, via `packaging`), SemVer 2.0 (npm, crates.io, Go, Hex, SwiftURL; own
implementation), Composer (Packagist; own implementation of Composer's normalisation), and
univers for Maven, RubyGems, NuGet, Debian/Ubuntu (dpkg), Alpine/Wolfi/Chainguard (apk) and the
RPM distributions. Parsed keys are cached.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from packaging.version import InvalidVersion
from packaging.version import Version as Pep440Version

__all__ = [
    "SEMVER",
    "VersionError",
    "VersionKey",
    "compare",
    "compare_semver",
    "is_supported",
    "ordering_of",
    "parse",
    "parse_ordering",
    "parse_semver",
]


class VersionError(ValueError):
    """A version that cannot be parsed, or an ecosystem without a known ordering."""


# Names of the orderings (what `ordering_of` returns).
PEP440 = "pep440"
SEMVER = "semver"
GO = "go"
COMPOSER = "composer"
MAVEN = "maven"
RUBYGEMS = "rubygems"
NUGET = "nuget"
DPKG = "dpkg"
APK = "apk"
RPM = "rpm"

# OSV ecosystem name (before any `:suffix`) -> ordering.
_ECOSYSTEMS: dict[str, str] = {
    "PyPI": PEP440,
    "npm": SEMVER,
    "crates.io": SEMVER,
    "Hex": SEMVER,
    "SwiftURL": SEMVER,
    "Go": GO,
    "Packagist": COMPOSER,
    "Maven": MAVEN,
    "RubyGems": RUBYGEMS,
    "NuGet": NUGET,
    "Debian": DPKG,
    "Ubuntu": DPKG,
    "Alpine": APK,
    "Wolfi": APK,
    "Chainguard": APK,
    "AlmaLinux": RPM,
    "Rocky Linux": RPM,
    "Red Hat": RPM,
    "openSUSE": RPM,
    "SUSE": RPM,
    "Mageia": RPM,
    "openEuler": RPM,
    "Azure Linux": RPM,
    "Photon OS": RPM,
}


def ordering_of(ecosystem: str) -> str:
    """The ordering used for an OSV ecosystem name (suffix allowed); VersionError if unknown."""
    base = ecosystem.split(":", 1)[0]
    try:
        return _ECOSYSTEMS[base]
    except KeyError:
        raise VersionError(f"no version ordering known for ecosystem {ecosystem!r}") from None


def is_supported(ecosystem: str) -> bool:
    return ecosystem.split(":", 1)[0] in _ECOSYSTEMS


@functools.total_ordering
class VersionKey:
    """A parsed version: compares (<, ==, ...) with keys of the same ordering only.

    Not hashable: equal keys can come from different strings (`1.0` and `1.0.0` in Maven)."""

    __slots__ = ("_value", "ordering", "text")

    def __init__(self, ordering: str, text: str, value: Any) -> None:
        self.ordering = ordering
        self.text = text
        self._value = value

    def _cmp(self, other: VersionKey) -> int:
        if self.ordering != other.ordering:
            raise TypeError(f"cannot compare {self.ordering} and {other.ordering} versions")
        a, b = self._value, other._value
        if a < b:
            return -1
        if b < a:
            return 1
        return 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VersionKey):
            return NotImplemented
        return self.ordering == other.ordering and self._cmp(other) == 0

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, VersionKey):
            return NotImplemented
        return self._cmp(other) < 0

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"VersionKey({self.ordering!r}, {self.text!r})"

    def __str__(self) -> str:
        return self.text


def parse(ecosystem: str, text: str) -> VersionKey:
    """The ordering key of `text` in `ecosystem`; VersionError when it cannot be parsed."""
    return _parse(ordering_of(ecosystem), text)


def compare(ecosystem: str, a: str, b: str) -> int:
    """-1, 0 or 1 as `a` is lower than, equal to or higher than `b` in `ecosystem`."""
    ordering = ordering_of(ecosystem)
    return _parse(ordering, a)._cmp(_parse(ordering, b))


def parse_ordering(ordering: str, text: str) -> VersionKey:
    """The key of `text` in a named ordering (`SEMVER`, `GO`, ...: see `ordering_of`)."""
    if ordering not in _PARSERS:
        raise VersionError(f"unknown version ordering {ordering!r}")
    return _parse(ordering, text)


def parse_semver(text: str) -> VersionKey:
    """SemVer 2.0 key (OSV `SEMVER` ranges compare this way whatever the ecosystem)."""
    return _parse(SEMVER, text)


def compare_semver(a: str, b: str) -> int:
    return parse_semver(a)._cmp(parse_semver(b))


@functools.lru_cache(maxsize=1 << 18)
def _parse(ordering: str, text: str) -> VersionKey:
    if not isinstance(text, str):
        raise VersionError(f"version {text!r} is not a string")
    stripped = text.strip()
    if not stripped or any(c.isspace() for c in stripped):
        raise VersionError(f"invalid {ordering} version {text!r}")
    try:
        value = _PARSERS[ordering](stripped)
    except VersionError:
        raise
    except Exception as exc:  # univers raises assorted exception types
        raise VersionError(f"invalid {ordering} version {text!r}") from exc
    return VersionKey(ordering, text, value)


# --- PEP 440 -----------------------------------------------------------------------------------


def _pep440(text: str) -> Pep440Version:
    try:
        return Pep440Version(text)
    except InvalidVersion:
        raise VersionError(f"invalid PEP 440 version {text!r}") from None


# --- SemVer 2.0 --------------------------------------------------------------------------------

_SEMVER_RE = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$"
)

# (major, minor, patch, is_release, pre-release identifiers): build metadata is dropped; a
# release sorts above its pre-releases; numeric identifiers sort below alphanumeric ones.
_SemverValue = tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]


def _semver(text: str) -> _SemverValue:
    m = _SEMVER_RE.match(text)
    if m is None:
        raise VersionError(f"invalid SemVer version {text!r}")
    major, minor, patch, pre = m.groups()
    if pre is None:
        return (int(major), int(minor), int(patch), 1, ())
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (int(major), int(minor), int(patch), 0, ids)


# Go toolchain / stdlib versions as Go spells them: go1.21, go1.21.5, go1.22rc1.
_GO_TOOLCHAIN_RE = re.compile(r"^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(beta|rc)(\d+))?$")


def _go(text: str) -> _SemverValue:
    m = _GO_TOOLCHAIN_RE.match(text)
    if m is not None:
        major, minor, patch, pre, num = m.groups()
        text = f"{major}.{minor or 0}.{patch or 0}" + (f"-{pre}.{num}" if pre else "")
    return _semver(text)


# --- Composer (Packagist) ----------------------------------------------------------------------

_COMPOSER_RE = re.compile(
    r"^v?(\d+(?:\.\d+)*)"
    r"(?:[._-]?(stable|beta|b|rc|alpha|a|patch|pl|p)((?:[.-]?\d+)*))?"
    r"([.-]?dev)?$",
    re.IGNORECASE,
)
_COMPOSER_STABILITY = {
    "alpha": 1,
    "a": 1,
    "beta": 2,
    "b": 2,
    "rc": 3,
    "stable": 4,
    "patch": 5,
    "pl": 5,
    "p": 5,
}


def _strip_zeros(nums: tuple[int, ...]) -> tuple[int, ...]:
    end = len(nums)
    while end and nums[end - 1] == 0:
        end -= 1
    return nums[:end]


def _composer(text: str) -> tuple[tuple[int, ...], int, tuple[int, ...], int]:
    """Composer's normalisation: up to four numbers, then a stability (dev < alpha < beta <
    RC < stable < patch) with an optional number, then an optional `-dev` (below what it
    suffixes). Branch names (`dev-main`) are not versions."""
    m = _COMPOSER_RE.match(text)
    if m is None:
        raise VersionError(f"invalid Composer version {text!r}")
    numbers, stability, stability_nums, dev = m.groups()
    nums = _strip_zeros(tuple(int(n) for n in numbers.split(".")))
    if stability is None:
        rank = 0 if dev else 4
        return (nums, rank, (), 1)
    snums = tuple(int(n) for n in re.findall(r"\d+", stability_nums or ""))
    return (nums, _COMPOSER_STABILITY[stability.lower()], snums, 0 if dev else 1)


# --- univers ------------------------------------------------------------------------------------

# Maven treats the qualifiers `ga`, `final` and `release` as the release itself
# (1.0.0.RELEASE == 1.0.0); univers' MavenVersion ranks `release` above it.
_MAVEN_RELEASE_RE = re.compile(r"[.-](?:ga|final|release)$", re.IGNORECASE)


def _maven(text: str) -> Any:
    from univers.versions import MavenVersion

    return MavenVersion(_MAVEN_RELEASE_RE.sub("", text) or text)


def _univers(class_name: str) -> Callable[[str], Any]:
    def parse_with_univers(text: str) -> Any:
        from univers import versions  # imported lazily: the PyPI/npm path never needs it

        return getattr(versions, class_name)(text)

    return parse_with_univers


_PARSERS: dict[str, Callable[[str], Any]] = {
    PEP440: _pep440,
    SEMVER: _semver,
    GO: _go,
    COMPOSER: _composer,
    MAVEN: _maven,
    RUBYGEMS: _univers("RubygemsVersion"),
    NUGET: _univers("NugetVersion"),
    DPKG: _univers("DebianVersion"),
    APK: _univers("AlpineLinuxVersion"),
    RPM: _univers("RpmVersion"),
}
