"""The OSV engine end to end on the local database: matching, alias merging, fixes, fail-closed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_vuln_sources import record

from hullscan.core.model import Severity
from hullscan.vuln.engine import audit
from hullscan.vuln.interface import PackageRef
from hullscan.vuln.local_db import LocalDatabase
from hullscan.vuln.osv_api import OsvApi


@pytest.fixture
def database(tmp_path: Path) -> LocalDatabase:
    records = [
        record("GHSA-aaaa-bbbb-cccc", "PyPI", "jinja2", "3.1.4", aliases=["CVE-2024-0001"],
               database_specific={"severity": "HIGH"}),
        record("PYSEC-2024-1", "PyPI", "Jinja2", "3.1.5", aliases=["CVE-2024-0001"]),
        record("GHSA-gggg-hhhh-iiii", "PyPI", "jinja2", "3.1.6",
               severity=[{"type": "CVSS_V3",
                          "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]),
        {**record("GHSA-wwww-xxxx-yyyy", "PyPI", "jinja2", "9.9"),
         "withdrawn": "2025-01-01T00:00:00Z"},
        {"schema_version": "1.6.0", "id": "GHSA-nofx-nofx-nofx", "modified": "2026-01-01T00:00:00Z",
         "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"},
                       "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]},
    ]
    folder = tmp_path / "osv"
    folder.mkdir()
    for item in records:
        (folder / f"{item['id']}.json").write_text(json.dumps(item))
    db = LocalDatabase(tmp_path / "osv.sqlite3")
    db.import_path(folder)
    return db


def test_aliases_merged_and_lowest_fix_clears_all(database: LocalDatabase) -> None:
    jinja = PackageRef("PyPI", "Jinja2", "3.1.3")
    result = audit([jinja], database)
    advisories = result.advisories[jinja]
    assert [a.id for a in advisories] == ["GHSA-aaaa-bbbb-cccc", "GHSA-gggg-hhhh-iiii"]
    merged = advisories[0]
    assert set(merged.aliases) == {"CVE-2024-0001", "PYSEC-2024-1"}
    assert advisories[1].severity is Severity.CRITICAL  # CVSS 9.8
    assert merged.severity is Severity.HIGH
    assert result.fixes[jinja] == "3.1.6"


def test_fixed_version_is_not_affected_and_withdrawn_never_matches(database: LocalDatabase) -> None:
    fixed = PackageRef("PyPI", "jinja2", "3.1.6")
    assert audit([fixed], database).advisories == {}


def test_ignore_unfixed(database: LocalDatabase) -> None:
    pad = PackageRef("npm", "left-pad", "1.3.0")
    assert [a.id for a in audit([pad], database).advisories[pad]] == ["GHSA-nofx-nofx-nofx"]
    assert audit([pad], database).fixes[pad] is None
    assert audit([pad], database, ignore_unfixed=True).advisories == {}


def test_source_down_fails_closed() -> None:
    pad = PackageRef("npm", "left-pad", "1.3.0")
    result = audit([pad], OsvApi("http://127.0.0.1:9", tries=1, timeout=2))
    assert result.advisories == {}
    assert "cannot reach the OSV API" in result.failed[pad]


def test_fix_advice_never_lands_in_an_alias_window_that_misses_the_installed_version(
    tmp_path: Path,
) -> None:
    """A `<2.0.0` and its alias B `[1.0.0, 2.1.0)`: at 0.5.0 only A affects the package, but the
    advice must clear B too (2.0.0 is inside B's window)."""
    a = record("GHSA-aaaa-0000-0000", "PyPI", "demo", "2.0.0", aliases=["CVE-2026-0001"])
    b = {**record("PYSEC-2026-1", "PyPI", "demo", "2.1.0", aliases=["CVE-2026-0001"]),
         "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"}, "ranges": [
             {"type": "ECOSYSTEM", "events": [{"introduced": "1.0.0"}, {"fixed": "2.1.0"}]}]}]}
    folder = tmp_path / "osv"
    folder.mkdir()
    for item in (a, b):
        (folder / f"{item['id']}.json").write_text(json.dumps(item))
    db = LocalDatabase(tmp_path / "osv.sqlite3")
    db.import_path(folder)
    package = PackageRef("PyPI", "demo", "0.5.0")
    result = audit([package], db)
    assert [x.id for x in result.advisories[package]] == ["GHSA-aaaa-0000-0000"]
    assert result.fixes[package] == "2.1.0"
