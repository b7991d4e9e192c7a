"""Version ordering per OSV ecosystem.

`parse(ecosystem, text)` returns a `VersionKey` that orders like the ecosystem's own tools;
`compare(ecosystem, a, b)` returns -1, 0 or 1. An ecosystem name may carry a `:suffix`
(`Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`): the part before the first `:` picks the
ordering. An unknown ecosystem or an unparsable version raises `VersionError`.

Orderings: PEP 440 (PyPI, via `packaging`), SemVer 2.0 (npm, crates.io, Go, Hex, SwiftURL; own
implementation), Composer (Packagist; own implementation of Composer's normalisation), RPM (own
implementation of rpm's rpmverParse/rpmverCmp/rpmvercmp: univers splits the release at the first
hyphen where rpm takes the last one, and refuses what rpm reads as a version, `a:1`), apk for
Alpine/Wolfi/Chainguard (own implementation of apk-tools' version.c tokens: univers refuses the
`_cvs`/`_svn`/`_git`/`_hg` suffixes and a leading zero, `006`), and univers for Maven,
RubyGems, NuGet and Debian/Ubuntu (dpkg). Parsed keys are cached.
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


# --- RPM ----------------------------------------------------------------------------------------

_DIGITS = frozenset("0123456789")
_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ALNUM = _DIGITS | _ALPHA


def _rpmvercmp(a: str, b: str) -> int:
    """rpm's segment comparison: ASCII digit runs compare as numbers (leading zeros dropped)
    and beat letter runs; other characters separate, except `~` (sorts before anything, even
    the end) and `^` (sorts after the end, before anything else)."""
    if a == b:
        return 0
    i = j = 0
    la, lb = len(a), len(b)
    while i < la or j < lb:
        while i < la and a[i] not in _ALNUM and a[i] not in "~^":
            i += 1
        while j < lb and b[j] not in _ALNUM and b[j] not in "~^":
            j += 1
        ca = a[i] if i < la else ""
        cb = b[j] if j < lb else ""
        if ca == "~" or cb == "~":
            if ca != "~":
                return 1
            if cb != "~":
                return -1
            i, j = i + 1, j + 1
            continue
        if ca == "^" or cb == "^":
            if not ca:
                return -1
            if not cb:
                return 1
            if ca != "^":
                return 1
            if cb != "^":
                return -1
            i, j = i + 1, j + 1
            continue
        if not (ca and cb):
            break
        kind = _DIGITS if ca in _DIGITS else _ALPHA
        si, sj = i, j
        while i < la and a[i] in kind:
            i += 1
        while j < lb and b[j] in kind:
            j += 1
        one, two = a[si:i], b[sj:j]
        if not two:  # a number against letters: the number is newer
            return 1 if kind is _DIGITS else -1
        if kind is _DIGITS:
            one, two = one.lstrip("0"), two.lstrip("0")
            if len(one) != len(two):
                return 1 if len(one) > len(two) else -1
        if one != two:
            return 1 if one > two else -1
    if i >= la and j >= lb:
        return 0
    return -1 if i >= la else 1


class _RpmEVR:
    """`[epoch:]version[-release]` split as rpmverParse does: the epoch is a leading run of
    digits before `:` (empty means 0), the release follows the LAST hyphen; compared as
    rpmverCmp: epoch (missing = 0), version, then release (a missing release sorts below any)."""

    __slots__ = ("epoch", "release", "version")

    def __init__(self, text: str) -> None:
        i = 0
        while i < len(text) and text[i] in _DIGITS:
            i += 1
        hyphen = text.rfind("-", i)
        start = 0
        self.epoch: str | None = None
        if text[i:i + 1] == ":":
            self.epoch = text[:i] or "0"
            start = i + 1
        self.release: str | None = None
        end = len(text)
        if hyphen >= 0:
            self.release = text[hyphen + 1:]
            end = hyphen
        self.version = text[start:end]
        if not self.version:
            raise VersionError(f"invalid RPM version {text!r}: no version part")

    def compare(self, other: _RpmEVR) -> int:
        rc = _rpmvercmp(self.epoch or "0", other.epoch or "0")
        if rc == 0:
            rc = _rpmvercmp(self.version, other.version)
        if rc == 0 and self.release != other.release:
            if self.release is None or other.release is None:
                rc = -1 if self.release is None else 1
            else:
                rc = _rpmvercmp(self.release, other.release)
        return rc

    def __lt__(self, other: _RpmEVR) -> bool:
        return self.compare(other) < 0


# --- apk ----------------------------------------------------------------------------------------

# Token kinds of apk-tools' src/version.c, in its order: when one version goes on where the
# other stops, the kind that comes next decides.
(_APK_INITIAL, _APK_DIGIT, _APK_LETTER, _APK_SUFFIX, _APK_SUFFIX_NO, _APK_HASH, _APK_REVISION,
 _APK_END) = range(8)
_APK_NONE = 5  # the place of "no suffix" among the suffix values
_APK_SUFFIXES = {"alpha": 1, "beta": 2, "pre": 3, "rc": 4,
                 "cvs": 6, "svn": 7, "git": 8, "hg": 9, "p": 10}
_APK_NUMBER = re.compile(r"[0-9]+")
_APK_WORD = re.compile(r"[a-z]*")
_APK_HEX = re.compile(r"[0-9a-fA-F]+")

_ApkToken = tuple[int, int | str]


def _apk_tokens(text: str) -> tuple[_ApkToken, ...]:
    """`digit{.digit}...{letter}{_suffix{digits}}...{~hash}{-rN}`; VersionError otherwise."""

    def invalid(why: str) -> VersionError:
        return VersionError(f"invalid apk version {text!r}: {why}")

    m = _APK_NUMBER.match(text)
    if m is None:
        raise invalid("it does not start with a number")
    tokens: list[_ApkToken] = [(_APK_INITIAL, int(m.group()))]
    kind, pos = _APK_INITIAL, m.end()
    while pos < len(text):
        c = text[pos]
        if "a" <= c <= "z":
            if kind > _APK_DIGIT:
                raise invalid(f"letter {c!r} out of place")
            kind = _APK_LETTER
            tokens.append((kind, c))
            pos += 1
        elif c == "." or c in _DIGITS:
            if c == ".":
                if kind > _APK_DIGIT:
                    raise invalid("'.' out of place")
                pos += 1
            if kind in (_APK_INITIAL, _APK_DIGIT):
                kind = _APK_DIGIT
            elif kind == _APK_SUFFIX:
                kind = _APK_SUFFIX_NO
            else:
                raise invalid("number out of place")
            m = _APK_NUMBER.match(text, pos)
            if m is None:
                raise invalid("'.' without a number")
            # A component with a leading zero compares as a string (`1.05` < `1.5`).
            tokens.append((kind, m.group() if kind == _APK_DIGIT else int(m.group())))
            pos = m.end()
        elif c == "_":
            if kind > _APK_SUFFIX_NO:
                raise invalid("suffix out of place")
            m = _APK_WORD.match(text, pos + 1)
            word = m.group() if m else ""
            if word not in _APK_SUFFIXES:
                raise invalid(f"unknown suffix {word!r}")
            kind = _APK_SUFFIX
            tokens.append((kind, _APK_SUFFIXES[word]))
            pos += 1 + len(word)
        elif c == "~":
            m = _APK_HEX.match(text, pos + 1)
            if kind >= _APK_HASH or m is None:
                raise invalid("bad commit hash")
            kind = _APK_HASH
            tokens.append((kind, m.group()))
            pos = m.end()
        elif c == "-":
            m = _APK_NUMBER.match(text, pos + 2)
            if kind >= _APK_REVISION or text[pos + 1:pos + 2] != "r" or m is None:
                raise invalid("bad -rN revision")
            kind = _APK_REVISION
            tokens.append((kind, int(m.group())))
            pos = m.end()
        else:
            raise invalid(f"unexpected {c!r}")
    return tuple(tokens)


def _apk_token_cmp(kind: int, x: int | str, y: int | str) -> int:
    if isinstance(x, str) and isinstance(y, str):
        if kind == _APK_DIGIT and x[0] != "0" and y[0] != "0":
            return (int(x) > int(y)) - (int(x) < int(y))
        return (x > y) - (x < y)
    if isinstance(x, int) and isinstance(y, int):
        return (x > y) - (x < y)
    raise TypeError(f"apk tokens of one kind hold {x!r} and {y!r}")


class _ApkVersion:
    """An apk version as apk-tools compares it: token by token while the kinds agree (numbers
    as numbers unless a component has a leading zero, then as strings; suffixes alpha < beta <
    pre < rc < none < cvs < svn < git < hg < p; commit hashes as strings); when one version goes
    on, it is the newer one unless a pre-release suffix follows, or the token kinds say
    otherwise (`1.0-r1` < `1.0.1`)."""

    __slots__ = ("tokens",)

    def __init__(self, text: str) -> None:
        self.tokens = _apk_tokens(text)

    def compare(self, other: _ApkVersion) -> int:
        a, b = self.tokens, other.tokens
        n = min(len(a), len(b))
        i = 0
        while i < n and a[i][0] == b[i][0]:
            rc = _apk_token_cmp(a[i][0], a[i][1], b[i][1])
            if rc:
                return rc
            i += 1
        ka = a[i][0] if i < len(a) else _APK_END
        kb = b[i][0] if i < len(b) else _APK_END
        if ka == kb:
            return 0
        if ka == _APK_SUFFIX and int(a[i][1]) < _APK_NONE:
            return -1
        if kb == _APK_SUFFIX and int(b[i][1]) < _APK_NONE:
            return 1
        return -1 if ka > kb else 1

    def __lt__(self, other: _ApkVersion) -> bool:
        return self.compare(other) < 0


_PARSERS: dict[str, Callable[[str], Any]] = {
    PEP440: _pep440,
    SEMVER: _semver,
    GO: _go,
    COMPOSER: _composer,
    MAVEN: _maven,
    RUBYGEMS: _univers("RubygemsVersion"),
    NUGET: _univers("NugetVersion"),
    DPKG: _univers("DebianVersion"),
    APK: _ApkVersion,
    RPM: _RpmEVR,
}
