"""OSV matching: version ordering per ecosystem, OSV's range rules, advisories, severity."""

from __future__ import annotations

import functools
import itertools
import json
import random
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hullscan.core.model import Severity
from hullscan.vuln.interface import Advisory, PackageRef
from hullscan.vuln.match import (
    MatchProblem,
    affects,
    lowest_fix,
    match_record,
    match_records,
    merge_aliases,
)
from hullscan.vuln.severity import advisory_severity, score_severity
from hullscan.vuln.versions import VersionError, compare, is_supported, parse

DATA = Path(__file__).resolve().parent / "data"
OSV_DIR = DATA / "osv"
OSV_SCHEMA = DATA / "osv-schema.json"


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(OSV_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def record(record_id: str) -> dict[str, Any]:
    """Load a test record, and check it is a valid OSV record first."""
    data: dict[str, Any] = json.loads((OSV_DIR / f"{record_id}.json").read_text("utf-8"))
    _validator().validate(data)
    assert data["id"] == record_id
    return data


def test_every_test_record_is_valid_osv() -> None:
    files = sorted(OSV_DIR.glob("*.json"))
    assert len(files) >= 20
    for path in files:
        record(path.stem)


def hit(record_id: str, ecosystem: str, name: str, version: str) -> bool:
    return match_record(record(record_id), PackageRef(ecosystem, name, version)) is not None


# --- version ordering ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ecosystem", "lower", "higher"),
    [
        ("PyPI", "1.0rc1", "1.0"),
        ("PyPI", "1.0", "1.0.post1"),
        ("PyPI", "1.0.dev1", "1.0a1"),
        ("PyPI", "2.0", "1!0.5"),
        ("PyPI", "1.0", "1.0+local"),
        ("npm", "1.0.0-rc.1", "1.0.0"),
        ("npm", "1.0.0-alpha", "1.0.0-alpha.1"),
        ("npm", "1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("npm", "1.0.0-beta.2", "1.0.0-beta.11"),
        ("npm", "1.0.0-beta.11", "1.0.0-rc.1"),
        ("crates.io", "0.6.9", "0.6.10"),
        ("Go", "v0.0.0-20191109021931-daa7c04131f5", "v0.0.1"),
        ("Go", "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4"),
        ("Go", "go1.21.5", "1.21.6"),
        ("Go", "go1.22rc1", "v1.22.0"),
        ("Maven", "1.0-SNAPSHOT", "1.0"),
        ("Maven", "1.0-alpha-1", "1.0"),
        ("Maven", "2.9.10.8", "2.10.0"),
        ("Maven", "1.0", "1.0-sp1"),
        ("RubyGems", "1.0.0.rc1", "1.0.0"),
        ("RubyGems", "1.9.0", "1.10.0"),
        ("RubyGems", "6.1.7", "6.1.7.3"),
        ("Packagist", "1.0.0-beta2", "1.0.0-RC1"),
        ("Packagist", "1.0.0-dev", "1.0.0-alpha"),
        ("Packagist", "1.0.0", "1.0.0-p1"),
        ("Packagist", "5.4.10", "5.4.10.1"),
        ("NuGet", "1.0.0-rc.1", "1.0.0"),
        ("NuGet", "1.0.0", "1.0.0.1"),
        ("Debian:12", "2.0", "1:1.0"),
        ("Debian", "1.0~rc1", "1.0"),
        ("Ubuntu:22.04:LTS", "1.0-1", "1.0-1ubuntu1"),
        ("Alpine:v3.19", "1.2.3_rc1-r0", "1.2.3-r0"),
        ("Alpine", "1.2.3_alpha1", "1.2.3_beta1"),
        ("Alpine", "1.2.3-r1", "1.2.3_p1-r0"),
        ("Alpine", "1.2.9-r5", "1.2.10-r0"),
        ("Red Hat", "2.0-1.el9", "1:1.0-1.el9"),
        ("Rocky Linux:9", "1.0-1.el9_2", "1.0-1.el9_10"),
    ],
)
def test_ordering(ecosystem: str, lower: str, higher: str) -> None:
    assert compare(ecosystem, lower, higher) == -1
    assert compare(ecosystem, higher, lower) == 1
    assert parse(ecosystem, lower) < parse(ecosystem, higher)


@pytest.mark.parametrize(
    ("ecosystem", "a", "b"),
    [
        ("PyPI", "1.0", "1.0.0"),
        ("npm", "1.0.0+build.1", "1.0.0+build.2"),
        ("Go", "v1.2.3+incompatible", "1.2.3"),
        ("Maven", "1.0.0.RELEASE", "1.0.0"),
        ("Maven", "1.0.Final", "1.0"),
        ("Packagist", "v1.0", "1.0.0"),
        ("Debian", "0:1.0", "1.0"),
        ("Debian", "1.0", "1.0-0"),
    ],
)
def test_equal_versions(ecosystem: str, a: str, b: str) -> None:
    assert compare(ecosystem, a, b) == 0
    assert parse(ecosystem, a) == parse(ecosystem, b)


@pytest.mark.parametrize(
    ("ecosystem", "text"),
    [
        ("PyPI", "not a version"),
        ("PyPI", "1.0-foo-bar-baz"),
        ("npm", "1.0"),
        ("npm", ""),
        ("Go", "(devel)"),
        ("crates.io", "1.0.0-"),
        ("Packagist", "dev-main"),
        ("Debian", "abc"),
        ("Alpine", "!!"),
        ("RubyGems", "abc"),
        ("NuGet", "abc"),
        ("Hackage", "1.0"),
        ("Nope:1", "1.0"),
    ],
)
def test_unparsable_version_or_unknown_ecosystem(ecosystem: str, text: str) -> None:
    with pytest.raises(VersionError):
        parse(ecosystem, text)


def test_ecosystem_suffix_picks_the_ordering() -> None:
    assert is_supported("Debian:12") and is_supported("Ubuntu:22.04:LTS")
    assert is_supported("Alpine:v3.19") and not is_supported("Hackage")
    assert compare("Debian:12", "1:1.0", "2.0") == compare("Ubuntu:22.04:LTS", "1:1.0", "2.0") == 1


def test_keys_of_different_orderings_do_not_compare() -> None:
    with pytest.raises(TypeError):
        _ = parse("PyPI", "1.0") < parse("npm", "1.0.0")
    assert parse("PyPI", "1.0") != parse("npm", "1.0.0")


def _debian_versions(count: int) -> list[str]:
    rng = random.Random(20240501)
    upstream = [
        "1.0",
        "1.0.0",
        "1.00",
        "1.0a",
        "1.0+dfsg",
        "1.0~rc1",
        "1.0~~",
        "1.0~",
        "1.01",
        "0.9.9",
        "10.0",
        "1.0.0~beta1",
        "1.0+git20240101",
        "2.36",
        "2.36.1",
        "1.0-2",
    ]
    revisions = ["", "-1", "-1~deb12u1", "-0ubuntu1", "-1+b1", "-2", "-1.1", "-10", "-1ubuntu0.1"]
    epochs = ["", "", "", "1:", "2:"]
    return [rng.choice(epochs) + rng.choice(upstream) + rng.choice(revisions) for _ in range(count)]


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg is not installed")
def test_debian_order_agrees_with_dpkg() -> None:
    rng = random.Random(7)
    versions = _debian_versions(120)
    pairs = [(rng.choice(versions), rng.choice(versions)) for _ in range(200)]
    pairs += [("1:1.0", "2.0"), ("1.0~rc1", "1.0"), ("1.0~~", "1.0~"), ("1.0", "1.0-0")]
    script = "\n".join(
        f"if dpkg --compare-versions {shlex.quote(a)} lt {shlex.quote(b)}; then echo -1; "
        f"elif dpkg --compare-versions {shlex.quote(a)} eq {shlex.quote(b)}; then echo 0; "
        "else echo 1; fi"
        for a, b in pairs
    )
    done = subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    expected = [int(x) for x in done.stdout.split()]
    assert len(expected) == len(pairs)
    mismatches = [
        (a, b, want, compare("Debian", a, b))
        for (a, b), want in zip(pairs, expected, strict=True)
        if compare("Debian", a, b) != want
    ]
    assert mismatches == []


# --- matching, per ecosystem ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record_id", "ecosystem", "name", "version", "expected"),
    [
        # PyPI: names compare normalised (PEP 503); pre/post/local releases; epochs.
        ("GHSA-2p9x-pypi-0001", "PyPI", "django-rest-thing", "0.9", True),
        ("GHSA-2p9x-pypi-0001", "PyPI", "Django.Rest.Thing", "1.0rc1", True),
        ("GHSA-2p9x-pypi-0001", "PyPI", "django-rest-thing", "0.9+local", True),
        ("GHSA-2p9x-pypi-0001", "PyPI", "django-rest-thing", "1.0", False),
        ("GHSA-2p9x-pypi-0001", "PyPI", "django-rest-thing", "1.0+local", False),
        ("GHSA-2p9x-pypi-0001", "PyPI", "django-rest-thing", "1.0.post1", False),
        ("GHSA-2p9x-pypi-0001", "PyPI", "django-rest-thingy", "0.9", False),
        ("GHSA-2p9x-pypi-0001", "npm", "django-rest-thing", "0.9.0", False),
        ("PYSEC-2024-2", "PyPI", "epochal", "2.0", True),  # 1.0 <= 2.0 < 1!0.1
        ("PYSEC-2024-2", "PyPI", "epochal", "1!0.5", False),
        ("PYSEC-2024-2", "PyPI", "epochal", "0.9", False),
        # versions list only (the GIT range is ignored).
        ("OSV-2024-1", "PyPI", "listed", "0.3.1", True),
        ("OSV-2024-1", "PyPI", "listed", "0.3.1.0", True),  # PEP 440 equal
        ("OSV-2024-1", "PyPI", "listed", "0.3.2", False),
        ("OSV-2024-1", "PyPI", "listed", "0.2", False),
        # last_affected is inclusive.
        ("GHSA-2p9x-last-0001", "PyPI", "lastaff", "1.0", True),
        ("GHSA-2p9x-last-0001", "PyPI", "lastaff", "1.4", True),
        ("GHSA-2p9x-last-0001", "PyPI", "lastaff", "1.4.post1", False),
        ("GHSA-2p9x-last-0001", "PyPI", "lastaff", "0.9", False),
        # npm, SEMVER, two introduced/fixed pairs; names as-is.
        ("GHSA-2p9x-npm0-0001", "npm", "@scope/pkg", "1.0.0-rc.1", True),
        ("GHSA-2p9x-npm0-0001", "npm", "@scope/pkg", "1.0.0", False),
        ("GHSA-2p9x-npm0-0001", "npm", "@scope/pkg", "1.5.0", False),
        ("GHSA-2p9x-npm0-0001", "npm", "@scope/pkg", "2.0.0-rc.1", False),
        ("GHSA-2p9x-npm0-0001", "npm", "@scope/pkg", "2.0.0", True),
        ("GHSA-2p9x-npm0-0001", "npm", "@scope/pkg", "2.3.0", True),
        ("GHSA-2p9x-npm0-0001", "npm", "@scope/pkg", "2.3.1", False),
        ("GHSA-2p9x-npm0-0001", "npm", "@Scope/pkg", "0.1.0", False),
        # limit caps the range.
        ("GHSA-2p9x-lmt0-0001", "npm", "limited", "1.5.0", True),
        ("GHSA-2p9x-lmt0-0001", "npm", "limited", "2.0.0", False),
        ("GHSA-2p9x-lmt0-0001", "npm", "limited", "3.0.0", False),
        ("GHSA-2p9x-lmt0-0001", "npm", "limited", "0.9.0", False),
        # Go: leading v, pseudo-versions, stdlib.
        ("GO-2024-0001", "Go", "golang.org/x/net", "v0.16.0", True),
        ("GO-2024-0001", "Go", "golang.org/x/net", "v0.0.0-20231010000000-abcdef123456", True),
        ("GO-2024-0001", "Go", "golang.org/x/net", "v0.17.0", False),
        ("GO-2024-0001", "Go", "golang.org/x/net/http2", "v0.16.0", False),
        ("GO-2024-0001", "Go", "stdlib", "go1.21.2", True),
        ("GO-2024-0001", "Go", "stdlib", "v1.21.3", False),
        ("GO-2024-0001", "Go", "stdlib", "1.20.9", False),
        # crates.io
        ("RUSTSEC-2024-0001", "crates.io", "smallvec", "0.6.10", True),
        ("RUSTSEC-2024-0001", "crates.io", "smallvec", "1.6.0", True),
        ("RUSTSEC-2024-0001", "crates.io", "smallvec", "0.6.2", False),
        ("RUSTSEC-2024-0001", "crates.io", "smallvec", "0.6.14", False),
        ("RUSTSEC-2024-0001", "crates.io", "smallvec", "1.6.1", False),
        # Maven group:artifact
        (
            "GHSA-2p9x-mvn0-0001",
            "Maven",
            "com.fasterxml.jackson.core:jackson-databind",
            "2.9.10.7",
            True,
        ),
        (
            "GHSA-2p9x-mvn0-0001",
            "Maven",
            "com.fasterxml.jackson.core:jackson-databind",
            "2.9.10.8",
            False,
        ),
        (
            "GHSA-2p9x-mvn0-0001",
            "Maven",
            "com.fasterxml.jackson.core:jackson-databind",
            "2.10.0",
            False,
        ),
        ("GHSA-2p9x-mvn0-0001", "Maven", "com.fasterxml.jackson.core:jackson-core", "2.9.0", False),
        # RubyGems
        ("GHSA-2p9x-gem0-0001", "RubyGems", "rails", "6.1.7", True),
        ("GHSA-2p9x-gem0-0001", "RubyGems", "rails", "7.0.0.rc1", True),
        ("GHSA-2p9x-gem0-0001", "RubyGems", "rails", "6.1.7.3", False),
        ("GHSA-2p9x-gem0-0001", "RubyGems", "rails", "7.0.4.3", False),
        # Packagist (names case-insensitive)
        ("GHSA-2p9x-php0-0001", "Packagist", "symfony/http-kernel", "5.4.19", True),
        ("GHSA-2p9x-php0-0001", "Packagist", "Symfony/Http-Kernel", "v5.4.19", True),
        ("GHSA-2p9x-php0-0001", "Packagist", "symfony/http-kernel", "v5.4.20", False),
        ("GHSA-2p9x-php0-0001", "Packagist", "symfony/http-kernel", "4.4.0", False),
        # NuGet (names case-insensitive)
        ("GHSA-2p9x-nuget-0001", "NuGet", "Newtonsoft.Json", "12.0.3", True),
        ("GHSA-2p9x-nuget-0001", "NuGet", "newtonsoft.json", "13.0.1-beta1", True),
        ("GHSA-2p9x-nuget-0001", "NuGet", "Newtonsoft.Json", "13.0.1", False),
        # Debian: per release; tilde; epochs.
        ("DEBIAN-CVE-2024-0001", "Debian:12", "openssl", "3.0.11-1~deb12u1", True),
        ("DEBIAN-CVE-2024-0001", "Debian:12", "openssl", "3.0.11-1~deb12u2", False),
        ("DEBIAN-CVE-2024-0001", "Debian:12", "openssl", "3.0.11-1", False),
        ("DEBIAN-CVE-2024-0001", "Debian:11", "openssl", "1.1.1n-0+deb11u5", True),
        ("DEBIAN-CVE-2024-0001", "Debian:11", "openssl", "3.0.11-1~deb12u1", False),
        ("DEBIAN-CVE-2024-0001", "Debian:13", "openssl", "3.0.11-1~deb12u1", False),
        ("DEBIAN-CVE-2024-0003", "Debian:12", "tzcode", "2.0-1", True),  # 2.0 < 1:1.0
        ("DEBIAN-CVE-2024-0003", "Debian:12", "tzcode", "1:1.0-1", False),
        # Alpine (the release is part of the ecosystem)
        ("ALPINE-CVE-2024-0001", "Alpine:v3.19", "busybox", "1.36.1-r15", True),
        ("ALPINE-CVE-2024-0001", "Alpine:v3.19", "busybox", "1.36.1_rc1-r20", True),
        ("ALPINE-CVE-2024-0001", "Alpine:v3.19", "busybox", "1.36.1-r16", False),
        ("ALPINE-CVE-2024-0001", "Alpine:v3.18", "busybox", "1.36.1-r15", False),
        # Ubuntu: Ubuntu:22.04:LTS is Ubuntu:22.04
        ("UBUNTU-CVE-2024-0001", "Ubuntu:22.04", "curl", "7.81.0-1ubuntu1.14", True),
        ("UBUNTU-CVE-2024-0001", "Ubuntu:22.04:LTS", "curl", "7.81.0-1ubuntu1.14", True),
        ("UBUNTU-CVE-2024-0001", "Ubuntu:22.04", "curl", "7.81.0-1ubuntu1.15", False),
        ("UBUNTU-CVE-2024-0001", "Ubuntu:20.04", "curl", "7.81.0-1ubuntu1.14", False),
        # Withdrawn records never match.
        ("GHSA-2p9x-wdrn-0001", "PyPI", "withdrawnpkg", "1.0", False),
    ],
)
def test_match(record_id: str, ecosystem: str, name: str, version: str, expected: bool) -> None:
    assert hit(record_id, ecosystem, name, version) is expected
    assert affects(record(record_id), PackageRef(ecosystem, name, version)) is expected


def _events_record(
    events: list[dict[str, str]], range_type: str = "ECOSYSTEM", ecosystem: str = "PyPI"
) -> dict[str, Any]:
    data = {
        "id": "OSV-2024-9",
        "modified": "2024-05-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": "p"},
                "ranges": [{"type": range_type, "events": events}],
            }
        ],
    }
    _validator().validate(data)
    return data


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.5", False),
        ("1.0", True),
        ("1.9", True),
        ("2.0", False),
        ("2.9", False),
        ("3.0", True),
        ("3.3.9", True),
        ("3.4", False),
        ("3.5", False),
        ("4.0", False),
    ],
)
def test_unsorted_events_with_several_pairs(version: str, expected: bool) -> None:
    # Events in any order are evaluated in version order; a limit caps the whole range.
    events = [
        {"introduced": "3.0"},
        {"fixed": "2.0"},
        {"limit": "3.4"},
        {"introduced": "1.0"},
        {"fixed": "3.5"},
    ]
    data = _events_record(events)
    assert affects(data, PackageRef("PyPI", "p", version)) is expected


def test_semver_range_compares_with_semver_whatever_the_ecosystem() -> None:
    data = _events_record(
        [{"introduced": "1.0.0-rc.1"}, {"fixed": "1.0.0"}], range_type="SEMVER", ecosystem="PyPI"
    )
    assert affects(data, PackageRef("PyPI", "p", "1.0.0-rc.2"))
    assert not affects(data, PackageRef("PyPI", "p", "1.0.0"))
    # "1.0" is PEP 440 but not semver: the range cannot be evaluated.
    with pytest.raises(MatchProblem):
        affects(data, PackageRef("PyPI", "p", "1.0"))


def test_introduced_and_fixed_at_the_same_version_is_empty() -> None:
    data = _events_record([{"introduced": "1.0"}, {"fixed": "1.0"}])
    assert not affects(data, PackageRef("PyPI", "p", "1.0"))


# --- problems ------------------------------------------------------------------------------------


def test_unknown_ecosystem_is_a_problem_not_a_crash() -> None:
    pkg = PackageRef("Hackage", "aeson", "1.5.0.0")
    problems: list[MatchProblem] = []
    assert match_record(record("HSEC-2024-0001"), pkg, problems) is None
    assert len(problems) == 1
    line = problems[0].one_line()
    assert line.startswith("HSEC-2024-0001: Hackage aeson 1.5.0.0: ")
    assert "Hackage" in problems[0].reason and "\n" not in line
    with pytest.raises(MatchProblem):
        match_record(record("HSEC-2024-0001"), pkg)


def test_malformed_range_is_a_problem() -> None:
    pkg = PackageRef("PyPI", "badpkg", "0.5")
    problems: list[MatchProblem] = []
    assert match_record(record("GHSA-2p9x-badr-0001"), pkg, problems) is None
    assert [p.record_id for p in problems] == ["GHSA-2p9x-badr-0001"]
    assert "not a version!!" in problems[0].reason


def test_unparsable_installed_version_is_a_problem() -> None:
    problems: list[MatchProblem] = []
    pkg = PackageRef("npm", "@scope/pkg", "latest")
    assert match_records([record("GHSA-2p9x-npm0-0001")], pkg, problems) == []
    assert len(problems) == 1 and "installed version" in problems[0].reason


def test_a_good_range_still_matches_beside_a_malformed_one() -> None:
    problems: list[MatchProblem] = []
    found = match_record(
        record("GHSA-2p9x-half-0001"), PackageRef("PyPI", "halfbad", "2.1"), problems
    )
    assert found is not None and found.fixed_versions == ("2.5",)
    assert problems == []


@pytest.mark.parametrize(
    "data",
    [
        {"id": "OSV-1", "affected": "nonsense"},
        {
            "id": "OSV-1",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "p"},
                    "ranges": [{"type": "ECOSYSTEM", "events": []}],
                }
            ],
        },
        {
            "id": "OSV-1",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "p"},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1"}]}],
                }
            ],
        },
        {
            "id": "OSV-1",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "p"},
                    "ranges": [{"type": "ECOSYSTEM", "events": ["1.0"]}],
                }
            ],
        },
        {
            "id": "OSV-1",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "p"},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": 1}]}],
                }
            ],
        },
        {
            "id": "OSV-1",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "p"}, "ranges": "nonsense"}],
        },
    ],
)
def test_broken_records_never_crash(data: dict[str, Any]) -> None:
    problems: list[MatchProblem] = []
    assert match_record(data, PackageRef("PyPI", "p", "1.0"), problems) is None
    assert len(problems) == 1


def test_records_for_other_packages_are_not_problems() -> None:
    problems: list[MatchProblem] = []
    assert (
        match_record(record("HSEC-2024-0001"), PackageRef("PyPI", "aeson", "1.0"), problems) is None
    )
    assert (
        match_record(record("GHSA-2p9x-badr-0001"), PackageRef("PyPI", "x", "1"), problems) is None
    )
    assert problems == []


# --- advisories ----------------------------------------------------------------------------------


def test_advisory_fields() -> None:
    pkg = PackageRef("PyPI", "django-rest-thing", "0.9")
    found = match_record(record("GHSA-2p9x-pypi-0001"), pkg)
    assert found is not None
    assert found.id == "GHSA-2p9x-pypi-0001"
    assert found.aliases == ("CVE-2024-0001",)
    assert found.summary == "Path traversal in django-rest-thing"
    assert found.severity is Severity.CRITICAL
    assert found.fixed_versions == ("1.0",)
    assert found.cvss_vectors == ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",)
    assert found.urgency is None

    pysec = match_record(record("PYSEC-2024-1"), pkg)
    assert pysec is not None
    assert pysec.summary == "Path traversal via crafted names."  # first line of details
    assert pysec.severity is Severity.MEDIUM


def test_debian_advisory_carries_urgency_and_upstream() -> None:
    found = match_record(
        record("DEBIAN-CVE-2024-0001"), PackageRef("Debian:12", "openssl", "3.0.11-1~deb12u1")
    )
    assert found is not None
    assert found.urgency == "medium"
    assert found.aliases == ("CVE-2024-0002",)
    assert found.fixed_versions == ("3.0.11-1~deb12u2",)
    eleven = match_record(
        record("DEBIAN-CVE-2024-0001"), PackageRef("Debian:11", "openssl", "1.1.1n-0+deb11u5")
    )
    assert eleven is not None and eleven.urgency == "low"
    assert eleven.fixed_versions == ("1.1.1w-0+deb11u1",)


def test_fixed_versions_are_the_fixes_above_that_the_record_does_not_affect() -> None:
    early = match_record(record("GHSA-2p9x-npm0-0001"), PackageRef("npm", "@scope/pkg", "0.5.0"))
    late = match_record(record("GHSA-2p9x-npm0-0001"), PackageRef("npm", "@scope/pkg", "2.1.0"))
    assert early is not None and early.fixed_versions == ("1.0.0", "2.3.1")
    assert late is not None and late.fixed_versions == ("2.3.1",)
    # 3.5.0 is in [3.0.0, 3.10.2); 4.17.21 (the fix of [4.0.0, 4.17.21)) fixes it too.
    lodash = match_record(record("GHSA-2p9x-lod2-0001"), PackageRef("npm", "lodash", "3.5.0"))
    assert lodash is not None and lodash.fixed_versions == ("3.10.2", "4.17.21")
    la = match_record(record("GHSA-2p9x-last-0001"), PackageRef("PyPI", "lastaff", "1.2"))
    assert la is not None and la.fixed_versions == ()


def test_merge_aliases_makes_one_advisory() -> None:
    pkg = PackageRef("PyPI", "django-rest-thing", "0.9")
    found = match_records([record("PYSEC-2024-1"), record("GHSA-2p9x-pypi-0001")], pkg)
    assert len(found) == 2
    merged = merge_aliases(found)
    assert len(merged) == 1
    one = merged[0]
    assert one.id == "GHSA-2p9x-pypi-0001"
    assert one.aliases == ("PYSEC-2024-1", "CVE-2024-0001")
    assert one.severity is Severity.CRITICAL
    assert one.fixed_versions == ("1.0",)
    assert one.summary == "Path traversal in django-rest-thing"
    assert merge_aliases(list(reversed(found))) == merged


def _adv(
    identifier: str,
    *aliases: str,
    fixed: tuple[str, ...] = (),
    sev: Severity = Severity.LOW,
    summary: str = "",
) -> Advisory:
    return Advisory(identifier, aliases, summary, sev, fixed)


def test_merge_aliases_is_transitive_and_sorted() -> None:
    advisories = [
        _adv("OSV-2024-5", "CVE-2024-1", "CVE-2024-2", fixed=("1.10",), summary="osv"),
        _adv("CVE-2024-2", fixed=("1.9",), sev=Severity.HIGH),
        _adv("PYSEC-2024-7", "CVE-2024-1", fixed=("1.2",)),
        _adv("GHSA-zzzz-zzzz-zzzz", "CVE-2024-9"),
        _adv("DEBIAN-CVE-2024-3", "CVE-2024-3"),
    ]
    merged = merge_aliases(advisories, ecosystem="PyPI")
    assert [a.id for a in merged] == ["DEBIAN-CVE-2024-3", "GHSA-zzzz-zzzz-zzzz", "OSV-2024-5"]
    big = merged[2]
    assert big.aliases == ("PYSEC-2024-7", "CVE-2024-1", "CVE-2024-2")
    assert big.severity is Severity.HIGH
    assert big.fixed_versions == ("1.2", "1.9", "1.10")  # version order, not string order
    assert big.summary == "osv"


def test_merge_keeps_different_packages_apart() -> None:
    record_ = record("GO-2024-0001")
    found = [
        match_record(record_, PackageRef("Go", "golang.org/x/net", "v0.16.0")),
        match_record(record_, PackageRef("Go", "stdlib", "go1.21.2")),
    ]
    assert all(found)
    merged = merge_aliases([a for a in found if a is not None])
    assert len(merged) == 2


def test_lowest_fix_clears_every_advisory() -> None:
    pkg = PackageRef("npm", "lodash", "4.17.10")
    found = match_records([record("GHSA-2p9x-lod1-0001"), record("GHSA-2p9x-lod2-0001")], pkg)
    assert len(found) == 2
    assert lowest_fix("npm", found) == "4.17.21"
    assert lowest_fix(pkg, found) == "4.17.21"
    assert lowest_fix("npm", found[:1]) == "4.17.12"
    unfixed = match_records([record("GHSA-2p9x-lod3-0001")], pkg)
    assert lowest_fix("npm", [*found, *unfixed]) is None
    assert lowest_fix("npm", []) is None


def test_lowest_fix_takes_the_lowest_fix_above_the_installed_version() -> None:
    advisories = [_adv("GHSA-a", fixed=("1.2", "2.5")), _adv("GHSA-b", fixed=("1.10", "2.1"))]
    assert lowest_fix("PyPI", advisories, installed="1.0") == "1.10"
    assert lowest_fix("PyPI", advisories, installed="2.0") == "2.5"
    assert lowest_fix("PyPI", advisories, installed="3.0") is None


# --- severity ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record_id", "expected"),
    [
        ("GHSA-2p9x-sv31-0001", Severity.CRITICAL),  # CVSS 3.1, 9.8
        ("GHSA-2p9x-sv40-0001", Severity.MEDIUM),  # CVSS 4.0, 6.9
        ("GHSA-2p9x-svdb-0001", Severity.MEDIUM),  # database_specific MODERATE
        ("GHSA-2p9x-svmx-0001", Severity.CRITICAL),  # max of 1.8, 9.3 and HIGH
        ("GHSA-2p9x-svno-0001", Severity.MEDIUM),  # nothing: medium
        ("GHSA-2p9x-svbd-0001", Severity.LOW),  # malformed vector ignored, LOW used
        ("GHSA-2p9x-svaf-0001", Severity.HIGH),  # affected[].severity, 7.5
        ("GHSA-2p9x-svz0-0001", Severity.INFO),  # score 0.0
        ("UBUNTU-CVE-2024-0001", Severity.HIGH),  # Ubuntu "medium", CVSS 7.5
        ("GHSA-2p9x-lod3-0001", Severity.LOW),
    ],
)
def test_severity(record_id: str, expected: Severity) -> None:
    assert advisory_severity(record(record_id)) is expected


def test_severity_of_a_malformed_vector_alone_is_medium() -> None:
    data = {"id": "OSV-1", "severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/nonsense"}]}
    assert advisory_severity(data) is Severity.MEDIUM


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (10.0, Severity.CRITICAL),
        (9.0, Severity.CRITICAL),
        (8.9, Severity.HIGH),
        (7.0, Severity.HIGH),
        (6.9, Severity.MEDIUM),
        (4.0, Severity.MEDIUM),
        (3.9, Severity.LOW),
        (0.1, Severity.LOW),
        (0.0, Severity.INFO),
    ],
)
def test_score_to_severity(score: float, expected: Severity) -> None:
    assert score_severity(score) is expected


# --- events at one version, fix advice across windows and aliases, names, notices ---------------


def _record(
    record_id: str,
    ranges: list[dict[str, Any]],
    *,
    ecosystem: str = "crates.io",
    name: str = "wasmtime",
    aliases: tuple[str, ...] = (),
    **entry: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": record_id,
        "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": ecosystem, "name": name}, "ranges": ranges,
                      **entry}],
    }
    if aliases:
        data["aliases"] = list(aliases)
    _validator().validate(data)
    return data


def _semver(*events: tuple[str, str]) -> dict[str, Any]:
    return {"type": "SEMVER", "events": [{kind: value} for kind, value in events]}


CONTIGUOUS = [
    [{"introduced": "0"}, {"fixed": "3.1.1"}, {"introduced": "3.1.1"}, {"fixed": "3.2.0"},
     {"introduced": "3.2.0"}, {"fixed": "3.2.2"}],
    # the same windows, events grouped by kind and the introduced ones first at each version
    [{"introduced": "3.2.0"}, {"introduced": "3.1.1"}, {"introduced": "0"}, {"fixed": "3.1.1"},
     {"fixed": "3.2.0"}, {"fixed": "3.2.2"}],
]


@pytest.mark.parametrize("events", CONTIGUOUS)
@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.0", True), ("3.1.0", True), ("3.1.1", True), ("3.1.5", True), ("3.2.0", True),
     ("3.2.1", True), ("3.2.2", False), ("4.0", False)],
)
def test_contiguous_windows_never_vanish(
    events: list[dict[str, str]], version: str, expected: bool
) -> None:
    # [0, 3.1.1) + [3.1.1, 3.2.0) + [3.2.0, 3.2.2): the fixed and the introduced event at 3.1.1
    # (and at 3.2.0) continue the open window, whatever order the record lists them in.
    data = _events_record(events)
    assert affects(data, PackageRef("PyPI", "p", version)) is expected


def test_contiguous_windows_give_the_fix_after_them() -> None:
    for events in CONTIGUOUS:
        found = match_record(_events_record(events), PackageRef("PyPI", "p", "3.1.5"))
        assert found is not None and found.fixed_versions == ("3.2.2",)
        assert lowest_fix("PyPI", [found]) == "3.2.2"


@pytest.mark.parametrize(
    ("events", "affected", "unaffected"),
    [
        # no window open at 1.0: introduced and fixed at one version are the empty window
        ([{"fixed": "1.0"}, {"introduced": "1.0"}], (), ("0.9", "1.0", "2.0")),
        # introduced and last_affected at one version: that version alone
        ([{"last_affected": "1.0"}, {"introduced": "1.0"}], ("1.0",), ("0.9", "1.0.1", "2.0")),
        # a window closed by last_affected 2.0 and the next opened at 2.0: one window
        ([{"introduced": "0"}, {"last_affected": "2.0"}, {"introduced": "2.0"},
          {"last_affected": "3.0"}], ("1.0", "2.0", "2.5", "3.0"), ("3.0.1",)),
        # limits cap the range; limit "*" is infinity
        ([{"introduced": "1.0"}, {"limit": "2.0"}], ("1.0", "1.9"), ("0.9", "2.0", "3.0")),
        ([{"introduced": "1.0"}, {"limit": "*"}], ("1.0", "99.0"), ("0.9",)),
    ],
)
def test_same_version_events_last_affected_and_limit(
    events: list[dict[str, str]], affected: tuple[str, ...], unaffected: tuple[str, ...]
) -> None:
    data = _events_record(events)
    for version in affected:
        assert affects(data, PackageRef("PyPI", "p", version)), version
    for version in unaffected:
        assert not affects(data, PackageRef("PyPI", "p", version)), version


def test_fix_advice_never_lands_in_a_later_window_of_the_same_record() -> None:
    # wasmtime-style: 0.30.0 is in [0, 36.0.7); 36.0.7 is still inside [25.0.0, 36.0.13) (two
    # ranges, or two entries for the package: one range's events are one timeline, where
    # `fixed 36.0.7` would close [25.0.0, ...) too).
    two_ranges = _record("RUSTSEC-2026-0001", [
        _semver(("introduced", "0"), ("fixed", "36.0.7")),
        _semver(("introduced", "25.0.0"), ("fixed", "36.0.13"))])
    two_entries = _record("RUSTSEC-2026-0001", [_semver(("introduced", "0"), ("fixed", "36.0.7"))])
    two_entries["affected"].append({
        "package": {"ecosystem": "crates.io", "name": "wasmtime"},
        "ranges": [_semver(("introduced", "25.0.0"), ("fixed", "36.0.13"))]})
    _validator().validate(two_entries)
    for data in (two_ranges, two_entries):
        for installed in ("0.30.0", "30.0.0", "36.0.8"):
            pkg = PackageRef("crates.io", "wasmtime", installed)
            found = match_record(data, pkg)
            assert found is not None and found.fixed_versions == ("36.0.13",), installed
            assert lowest_fix(pkg, [found]) == "36.0.13"
            assert lowest_fix(pkg, merge_aliases([found])) == "36.0.13"


def test_no_fixed_version_when_every_fix_is_inside_another_window() -> None:
    data = _record("RUSTSEC-2026-0002", [_semver(("introduced", "0"), ("fixed", "2.0.0")),
                                         _semver(("introduced", "1.5.0"))])
    pkg = PackageRef("crates.io", "wasmtime", "1.0.0")
    found = match_record(data, pkg)
    assert found is not None and found.fixed_versions == ()
    assert lowest_fix(pkg, [found]) is None


def test_merged_aliases_keep_the_stricter_fix() -> None:
    # A says <2.0.0, B (an alias) [1.0.0, 2.1.0): 2.0.0 is still affected by B.
    a = _record("GHSA-aaaa-aaaa-aaaa", [_semver(("introduced", "0"), ("fixed", "2.0.0"))],
                name="demo", aliases=("CVE-2026-0001",))
    b = _record("RUSTSEC-2026-0003", [_semver(("introduced", "1.0.0"), ("fixed", "2.1.0"))],
                name="demo", aliases=("CVE-2026-0001",))
    pkg = PackageRef("crates.io", "demo", "1.5.0")
    found = match_records([a, b], pkg)
    assert [x.fixed_versions for x in found] == [("2.0.0",), ("2.1.0",)]
    merged = merge_aliases(found)
    assert len(merged) == 1 and merged[0].id == "GHSA-aaaa-aaaa-aaaa"
    assert merged[0].fixed_versions == ("2.1.0",)
    assert lowest_fix(pkg, merged) == "2.1.0"
    assert lowest_fix(pkg, found) == "2.1.0"
    # Below B's window only A is matched; 2.0.0 is inside B's window, and B is an alias of A:
    # given the package's other records, the advice is still 2.1.0.
    early = PackageRef("crates.io", "demo", "0.5.0")
    only_a = merge_aliases(match_records([a, b], early))
    assert [x.id for x in only_a] == ["GHSA-aaaa-aaaa-aaaa"]
    assert lowest_fix(early, only_a) == "2.0.0"
    assert lowest_fix(early, only_a, related=[a, b]) == "2.1.0"
    # a record of another vulnerability does not hold the advice back
    other = _record("GHSA-zzzz-zzzz-zzzz", [_semver(("introduced", "1.9.0"))], name="demo")
    assert lowest_fix(early, only_a, related=[a, other]) == "2.0.0"


def test_lowest_fix_over_different_advisories_checks_every_window() -> None:
    # C is fixed in 1.8 but comes back in [1.9, 2.5); A is fixed in 2.0: 2.0 is inside C.
    a = _record("GHSA-aaaa-bbbb-0001", [_semver(("introduced", "0"), ("fixed", "2.0.0"))],
                name="demo")
    c = _record("GHSA-aaaa-bbbb-0002", [_semver(("introduced", "1.0.0"), ("fixed", "1.8.0"),
                                                ("introduced", "1.9.0"), ("fixed", "2.5.0"))],
                name="demo")
    pkg = PackageRef("crates.io", "demo", "1.5.0")
    found = merge_aliases(match_records([a, c], pkg))
    assert len(found) == 2
    assert lowest_fix(pkg, found) == "2.5.0"


@pytest.mark.parametrize(
    ("ecosystem", "written", "queried"),
    [
        ("NuGet", "Newtonsoft.Json", "newtonsoft.json"),
        ("NuGet", "newtonsoft.json", "NEWTONSOFT.JSON"),
        ("Packagist", "Symfony/Http-Kernel", "symfony/http-kernel"),
    ],
)
def test_case_insensitive_names(ecosystem: str, written: str, queried: str) -> None:
    data = _record("GHSA-cccc-cccc-cccc",
                   [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "13.0.1"}]}],
                   ecosystem=ecosystem, name=written)
    assert affects(data, PackageRef(ecosystem, queried, "12.0.2"))
    assert not affects(data, PackageRef("npm", queried, "12.0.2"))


def test_one_name_normaliser() -> None:
    from hullscan.deps import pipaudit
    from hullscan.image.inventory import python
    from hullscan.vuln import local_db, match, names

    assert local_db.normalise_name is names.normalise_name is match.normalise_name
    assert local_db.normalise_ecosystem is names.normalise_ecosystem
    assert names.normalise_name("NuGet", "Newtonsoft.Json") == "newtonsoft.json"
    assert names.normalise_name("Packagist:https://packages.drupal.org/8", "Drupal/Core") == (
        "drupal/core")
    assert names.normalise_name("PyPI", "Zope.Interface") == "zope-interface"
    assert names.normalise_name("npm", "JSONStream") == "JSONStream"
    assert names.normalise_name("Go", "github.com/Azure/go-autorest") == (
        "github.com/Azure/go-autorest")
    assert pipaudit.key("Flask_SQLAlchemy") == python.normalise_name("Flask_SQLAlchemy") == (
        "flask-sqlalchemy")
    assert names.normalise_ecosystem("Ubuntu:22.04:LTS") == "Ubuntu:22.04"
    assert names.normalise_ecosystem("Ubuntu:Pro:18.04:LTS") == "Ubuntu:Pro:18.04"


def _notice(kind: str, where: str = "database_specific", **extra: Any) -> dict[str, Any]:
    data = _record("RUSTSEC-2026-0100", [_semver(("introduced", "0"))], name="failure",
                   **{where: {"informational": kind}})
    data["summary"] = "failure is officially deprecated/unmaintained"
    data.update(extra)
    _validator().validate(data)
    return data


@pytest.mark.parametrize("where", ["database_specific", "ecosystem_specific"])
@pytest.mark.parametrize("kind", ["unmaintained", "unsound", "notice"])
def test_informational_notice_is_low_with_its_own_rule(where: str, kind: str) -> None:
    from hullscan.core.catalog import advisory_rule

    found = match_record(_notice(kind, where), PackageRef("crates.io", "failure", "0.1.8"))
    assert found is not None
    assert found.severity is Severity.LOW
    assert found.properties["informational"] == kind
    tags = ("security", "dependency", "vulnerability")
    rule = advisory_rule(found, name_prefix="vulnerable-dependency", fix="Upgrade.", tags=tags)
    assert rule.id == "RUSTSEC-2026-0100"
    assert rule.name == f"{kind}-dependency-rustsec-2026-0100"
    assert rule.default_severity is Severity.LOW
    assert "informational" in rule.tags and kind in rule.tags
    assert "vulnerability" not in rule.tags
    assert "not a vulnerability" in rule.full_description
    image = advisory_rule(found, name_prefix="vulnerable-image-package", fix="Rebuild.",
                          tags=tags)
    assert image.name == f"{kind}-image-package-rustsec-2026-0100"


def test_vulnerabilities_keep_their_rule_and_medium_default() -> None:
    from hullscan.core.catalog import advisory_rule

    data = _record("RUSTSEC-2026-0101", [_semver(("introduced", "0"), ("fixed", "1.0.0"))],
                   name="failure", database_specific={"categories": ["memory-corruption"]})
    found = match_record(data, PackageRef("crates.io", "failure", "0.1.8"))
    assert found is not None and found.severity is Severity.MEDIUM
    assert "informational" not in found.properties
    rule = advisory_rule(found, name_prefix="vulnerable-dependency", fix="Upgrade.",
                         tags=("security", "dependency", "vulnerability"))
    assert rule.name == "vulnerable-dependency-rustsec-2026-0101"
    assert "vulnerability" in rule.tags


def test_a_notice_that_is_rated_keeps_its_rating_and_one_merged_with_a_vulnerability_is_one() -> (
    None
):
    rated = _notice("unsound", database_specific={"severity": "HIGH"})
    found = match_record(rated, PackageRef("crates.io", "failure", "0.1.8"))
    assert found is not None and found.severity is Severity.HIGH
    notice = _notice("unmaintained", aliases=["GHSA-dddd-dddd-dddd"])
    vuln = _record("GHSA-dddd-dddd-dddd", [_semver(("introduced", "0"))], name="failure")
    merged = merge_aliases(match_records([notice, vuln], PackageRef("crates.io", "failure",
                                                                    "0.1.8")))
    assert len(merged) == 1 and "informational" not in merged[0].properties
    assert merged[0].severity is Severity.MEDIUM


# --- speed ---------------------------------------------------------------------------------------


def test_matching_many_packages_stays_fast() -> None:
    import time

    records = [
        record(r)
        for r in (
            "GHSA-2p9x-npm0-0001",
            "GHSA-2p9x-lod1-0001",
            "GHSA-2p9x-lod2-0001",
            "RUSTSEC-2024-0001",
        )
    ]
    packages = [
        PackageRef("npm", name, f"{major}.{minor}.{patch}")
        for name, major, minor, patch in itertools.product(
            ("lodash", "@scope/pkg", "other"), range(5), range(10), range(10)
        )
    ]
    start = time.perf_counter()
    for pkg in packages:
        match_records(records, pkg)
    assert time.perf_counter() - start < 2.0
