"""Wrong answers on real records (issue 12): short-hash GIT ranges at import, fix advice across
windows and aliases through the engine, NuGet/Packagist names in the local database (also one
imported by an older hullscan), RustSec informational notices end to end."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import Repo

from hullscan.vuln.engine import audit
from hullscan.vuln.interface import KnownRecords, PackageRef
from hullscan.vuln.local_db import LocalDatabase
from hullscan.vuln.records import RecordProblem, check_record, usable_record

SCHEMA = json.loads((Path(__file__).parent / "data" / "osv-schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def osv(record_id: str, ecosystem: str, name: str, *ranges: dict[str, Any],
        **extra: Any) -> dict[str, Any]:
    entry = {"package": {"ecosystem": ecosystem, "name": name}, "ranges": list(ranges)}
    entry.update(extra.pop("entry", {}))
    return {"schema_version": "1.6.0", "id": record_id, "modified": "2026-01-01T00:00:00Z",
            "summary": f"{name} advisory", "affected": [entry], **extra}


def window(kind: str = "ECOSYSTEM", *events: tuple[str, str]) -> dict[str, Any]:
    return {"type": kind, "events": [{k: v} for k, v in events]}


def folder_of(tmp_path: Path, *records: dict[str, Any]) -> Path:
    folder = tmp_path / "osv"
    folder.mkdir(exist_ok=True)
    for item in records:
        (folder / f"{item['id']}.json").write_text(json.dumps(item))
    return folder


# --- GIT ranges with short commit hashes ---------------------------------------------------------

GIT_REPO = "https://github.com/python-pillow/Pillow"


def pysec_with_short_hashes() -> dict[str, Any]:
    """The shape of real PYSEC records: a GIT range with abbreviated commits beside valid
    ECOSYSTEM ranges and a versions list."""
    return osv(
        "PYSEC-2021-9001", "PyPI", "Pillow",
        {"type": "GIT", "repo": GIT_REPO,
         "events": [{"introduced": "0"}, {"fixed": "8a2b7c1"}]},
        window("ECOSYSTEM", ("introduced", "0"), ("fixed", "8.1.1")),
        entry={"versions": ["8.0.0", "8.1.0"]},
        aliases=["CVE-2021-25289"],
    )


def test_the_test_record_fails_the_schema_only_in_its_git_range() -> None:
    data = pysec_with_short_hashes()
    errors = list(VALIDATOR.iter_errors(data))
    assert errors and all(list(e.absolute_path)[:4] == ["affected", 0, "ranges", 0]
                          for e in errors)
    without_git = copy.deepcopy(data)
    del without_git["affected"][0]["ranges"][0]
    VALIDATOR.validate(without_git)


def test_short_hash_git_range_is_dropped_and_the_rest_imported(tmp_path: Path) -> None:
    database = LocalDatabase(tmp_path / "db.sqlite3")
    good = osv("PYSEC-2021-9002", "PyPI", "pillow",
               window("ECOSYSTEM", ("introduced", "0"), ("fixed", "9.0.0")))
    VALIDATOR.validate(good)
    report = database.import_path(folder_of(tmp_path, pysec_with_short_hashes(), good))
    assert report.imported == 2
    assert report.skipped == ()
    dropped = [w for w in report.warnings if "PYSEC-2021-9001" in w]
    assert len(dropped) == 1
    line = dropped[0]
    assert line.startswith("PYSEC-2021-9001.json: PYSEC-2021-9001: dropped its GIT range")
    assert "affected[0].ranges[0]" in line and GIT_REPO in line and "'8a2b7c1'" in line
    assert "ECOSYSTEM" in line
    pkg = PackageRef("PyPI", "pillow", "8.0.0")
    stored = {r["id"]: r for r in database.lookup([pkg]).records[pkg]}
    assert set(stored) == {"PYSEC-2021-9001", "PYSEC-2021-9002"}
    kept = stored["PYSEC-2021-9001"]
    assert [r["type"] for r in kept["affected"][0]["ranges"]] == ["ECOSYSTEM"]
    assert kept["affected"][0]["versions"] == ["8.0.0", "8.1.0"]
    VALIDATOR.validate(kept)  # what is stored passes the schema
    result = audit([pkg], database)
    assert {a.id for a in result.advisories[pkg]} == {"PYSEC-2021-9001", "PYSEC-2021-9002"}
    assert result.fixes[pkg] == "9.0.0"
    assert result.problems == ()
    database.close()


def test_usable_record_changes_nothing_it_need_not() -> None:
    good = osv("PYSEC-2021-9003", "PyPI", "x", window("ECOSYSTEM", ("introduced", "0")),
               {"type": "GIT", "repo": GIT_REPO, "events": [{"introduced": "a" * 40}]})
    same, warnings = usable_record(good)
    assert same is good and warnings == ()
    original = pysec_with_short_hashes()
    before = copy.deepcopy(original)
    cleaned, warnings = usable_record(original)
    assert original == before  # the caller's record is not changed
    assert len(warnings) == 1 and check_record(original) == warnings
    assert [r["type"] for r in cleaned["affected"][0]["ranges"]] == ["ECOSYSTEM"]


def test_a_record_also_broken_outside_git_ranges_is_still_skipped() -> None:
    broken = pysec_with_short_hashes()
    broken["affected"][0]["ranges"][1]["type"] = "NONSENSE"
    with pytest.raises(RecordProblem, match="PYSEC-2021-9001: fails the OSV schema"):
        usable_record(broken)
    only_git = osv("PYSEC-2021-9004", "PyPI", "x",
                   {"type": "GIT", "repo": GIT_REPO, "events": [{"introduced": "abc"}]})
    cleaned, warnings = usable_record(only_git)  # nothing left to evaluate, but valid
    assert "ranges" not in cleaned["affected"][0] and len(warnings) == 1


def test_records_from_the_api_with_short_hashes_are_matched() -> None:
    pkg = PackageRef("PyPI", "Pillow", "8.0.0")
    result = audit([pkg], KnownRecords({pkg: [pysec_with_short_hashes()]}))
    assert [a.id for a in result.advisories[pkg]] == ["PYSEC-2021-9001"]
    assert result.fixes[pkg] == "8.1.1" and result.problems == ()


# --- fix advice through the engine ---------------------------------------------------------------


def test_engine_advice_with_merged_aliases_and_later_windows() -> None:
    a = osv("GHSA-aaaa-aaaa-aaaa", "crates.io", "demo",
            window("SEMVER", ("introduced", "0"), ("fixed", "2.0.0")), aliases=["CVE-2026-0001"])
    b = osv("RUSTSEC-2026-0003", "crates.io", "demo",
            window("SEMVER", ("introduced", "1.0.0"), ("fixed", "2.1.0")),
            aliases=["CVE-2026-0001"])
    wasm = osv("RUSTSEC-2026-0004", "crates.io", "wasmtime",
               window("SEMVER", ("introduced", "0"), ("fixed", "36.0.7")),
               window("SEMVER", ("introduced", "25.0.0"), ("fixed", "36.0.13")))
    for item in (a, b, wasm):
        VALIDATOR.validate(item)
    demo = PackageRef("crates.io", "demo", "1.5.0")
    wasmtime = PackageRef("crates.io", "wasmtime", "0.30.0")
    result = audit([demo, wasmtime], KnownRecords({demo: [a, b], wasmtime: [wasm]}))
    assert [x.id for x in result.advisories[demo]] == ["GHSA-aaaa-aaaa-aaaa"]
    assert result.advisories[demo][0].fixed_versions == ("2.1.0",)
    assert result.fixes[demo] == "2.1.0"
    assert result.fixes[wasmtime] == "36.0.13"
    assert result.advisories[wasmtime][0].fixed_versions == ("36.0.13",)


# --- NuGet and Packagist names in the local database ---------------------------------------------

NUGET = osv("GHSA-5crp-9r3c-p9vr", "NuGet", "Newtonsoft.Json",
            window("ECOSYSTEM", ("introduced", "0"), ("fixed", "13.0.1")))
PACKAGIST = osv("GHSA-pppp-pppp-pppp", "Packagist", "Symfony/Http-Kernel",
                window("ECOSYSTEM", ("introduced", "5.0.0"), ("fixed", "5.4.20")))

QUERIES = [
    PackageRef("NuGet", "newtonsoft.json", "12.0.2"),
    PackageRef("NuGet", "Newtonsoft.Json", "12.0.2"),
    PackageRef("NuGet", "NEWTONSOFT.JSON", "12.0.2"),
    PackageRef("Packagist", "symfony/http-kernel", "5.4.1"),
]


def _found(database: LocalDatabase) -> dict[PackageRef, list[str]]:
    result = database.lookup(QUERIES)
    return {p: [r["id"] for r in result.records.get(p, ())] for p in QUERIES}


def test_nuget_and_packagist_names_ignore_case_in_the_local_database(tmp_path: Path) -> None:
    VALIDATOR.validate(NUGET)
    VALIDATOR.validate(PACKAGIST)
    database = LocalDatabase(tmp_path / "db.sqlite3")
    database.import_path(folder_of(tmp_path, NUGET, PACKAGIST))
    found = _found(database)
    assert all(found[p] == [("GHSA-5crp-9r3c-p9vr" if p.ecosystem == "NuGet"
                             else "GHSA-pppp-pppp-pppp")] for p in QUERIES), found
    result = audit(QUERIES, database)
    assert result.fixes[QUERIES[0]] == "13.0.1" and result.fixes[QUERIES[3]] == "5.4.20"
    database.close()


def test_a_database_imported_before_the_names_were_normalised(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    database = LocalDatabase(path)
    database.import_path(folder_of(tmp_path, NUGET, PACKAGIST))
    database.close()
    # what an older hullscan indexed: NuGet and Packagist names as written
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE affected SET name='Newtonsoft.Json' WHERE ecosystem='NuGet'")
        conn.execute("UPDATE affected SET name='Symfony/Http-Kernel' WHERE ecosystem='Packagist'")
    conn.close()
    database = LocalDatabase(path)
    found = _found(database)
    assert all(len(ids) == 1 for ids in found.values()), found
    database.close()


# --- end to end: the dependency checker ----------------------------------------------------------

CARGO_LOCK = (
    'version = 3\n\n'
    '[[package]]\nname = "failure"\nversion = "0.1.8"\n'
    'source = "registry+https://github.com/rust-lang/crates.io-index"\n\n'
    '[[package]]\nname = "time"\nversion = "0.2.22"\n'
    'source = "registry+https://github.com/rust-lang/crates.io-index"\n'
)
PACKAGES_LOCK = {
    "version": 1,
    "dependencies": {"net8.0": {"newtonsoft.json": {"type": "Direct", "requested": "[12.0.2, )",
                                                    "resolved": "12.0.2"}}},
}


def test_deps_checker_on_notices_and_mixed_case_names(
    hullscan: Any, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notice = osv("RUSTSEC-2020-0036", "crates.io", "failure",
                 window("SEMVER", ("introduced", "0")),
                 entry={"database_specific": {"informational": "unmaintained",
                                              "categories": []}})
    notice["summary"] = "failure is officially deprecated/unmaintained"
    vuln = osv("RUSTSEC-2020-0071", "crates.io", "time",
               window("SEMVER", ("introduced", "0"), ("fixed", "0.2.23")))
    for item in (notice, vuln):
        VALIDATOR.validate(item)
    database = LocalDatabase(tmp_path / "deps.sqlite3")
    database.import_path(folder_of(tmp_path, notice, vuln, NUGET))
    database.close()
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(tmp_path / "deps.sqlite3"))
    repo.write("Cargo.lock", CARGO_LOCK)
    repo.write("app/packages.lock.json", json.dumps(PACKAGES_LOCK, indent=2))
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    findings = {f["properties"]["package"]: f for f in run.json()["findings"]}
    assert set(findings) == {"failure", "time", "newtonsoft.json"}, run.err
    failure = findings["failure"]
    assert failure["rule"]["id"] == "RUSTSEC-2020-0036"
    assert failure["rule"]["name"] == "unmaintained-dependency-rustsec-2020-0036"
    assert failure["severity"] == "low"
    time = findings["time"]
    assert time["rule"]["name"] == "vulnerable-dependency-rustsec-2020-0071"
    assert time["severity"] == "medium"
    newtonsoft = findings["newtonsoft.json"]
    assert newtonsoft["rule"]["id"] == "GHSA-5crp-9r3c-p9vr"
    assert newtonsoft["properties"]["fixedVersion"] == "13.0.1"
