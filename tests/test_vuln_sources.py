"""The vulnerability sources: the local SQLite database and the OSV API (served on 127.0.0.1)."""

from __future__ import annotations

import http.server
import io
import json
import sqlite3
import threading
import urllib.parse
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from hullscan.vuln.interface import PackageRef, SourceError
from hullscan.vuln.local_db import LocalDatabase
from hullscan.vuln.osv_api import OsvApi


def record(record_id: str, ecosystem: str, name: str, fixed: str, **extra: Any) -> dict[str, Any]:
    return {
        "schema_version": "1.6.0",
        "id": record_id,
        "modified": "2026-01-01T00:00:00Z",
        "summary": f"{name} is vulnerable",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
        **extra,
    }


RECORDS = [
    record("GHSA-aaaa-bbbb-cccc", "PyPI", "Jinja2", "3.1.4", aliases=["CVE-2024-0001"]),
    record("PYSEC-2024-1", "PyPI", "jinja2", "3.1.4", aliases=["CVE-2024-0001"]),
    record("GHSA-dddd-eeee-ffff", "npm", "lodash", "4.17.21"),
    record("RUSTSEC-2024-0001", "crates.io", "time", "0.2.23"),
]


DUMP_ONLY = [record("DSA-0001-1", "Debian:12", "openssl", "3.0.13-1~deb12u1")]


def zip_of(records: list[dict[str, Any]], extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in records:
            archive.writestr(f"{item['id']}.json", json.dumps(item))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _default_database_location(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HULLSCAN_OSV_DB", raising=False)  # these tests use XDG_CACHE_HOME


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalDatabase]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    db = LocalDatabase()
    yield db
    db.close()


def test_import_zip_and_folder_then_lookup(database: LocalDatabase, tmp_path: Path) -> None:
    dump = tmp_path / "all.zip"
    dump.write_bytes(zip_of(RECORDS[:2]))
    folder = tmp_path / "osv"
    folder.mkdir()
    for item in RECORDS[2:]:
        (folder / f"{item['id']}.json").write_text(json.dumps(item))
    assert database.import_path(dump).imported == 2
    assert database.import_path(folder).imported == 2
    assert database.path == tmp_path / "cache" / "hullscan" / "osv.sqlite3"
    jinja = PackageRef("PyPI", "jinja2", "3.1.3")
    lodash = PackageRef("npm", "lodash", "4.17.20")
    result = database.lookup([jinja, lodash, PackageRef("npm", "left-pad", "1.0.0")])
    assert sorted(r["id"] for r in result.records[jinja]) == ["GHSA-aaaa-bbbb-cccc", "PYSEC-2024-1"]
    assert [r["id"] for r in result.records[lodash]] == ["GHSA-dddd-eeee-ffff"]
    status = database.status()
    assert status.records == 4 and status.by_ecosystem == {"PyPI": 2, "crates.io": 1, "npm": 1}


def test_invalid_records_are_skipped_with_a_reason(database: LocalDatabase, tmp_path: Path) -> None:
    bad = record("GHSA-zzzz-zzzz-zzzz", "PyPI", "x", "1.0")
    bad["affected"][0]["ranges"][0]["type"] = "NONSENSE"
    dump = tmp_path / "all.zip"
    dump.write_bytes(zip_of([RECORDS[0], bad], {"broken.json": b"{not json"}))
    report = database.import_path(dump)
    assert report.imported == 1
    reasons = sorted(report.skipped)
    assert reasons[0].startswith(
        "GHSA-zzzz-zzzz-zzzz.json: GHSA-zzzz-zzzz-zzzz: fails the OSV schema"
    )
    assert reasons[1] == "broken.json: not JSON (JSONDecodeError)"


def test_a_zip_that_is_not_an_osv_dump(database: LocalDatabase, tmp_path: Path) -> None:
    dump = tmp_path / "other.zip"
    dump.write_bytes(zip_of([], {"package.json": b'{"name": "x"}', "README": b"hi"}))
    with pytest.raises(SourceError, match="not an OSV dump"):
        database.import_path(dump)
    empty = tmp_path / "empty.zip"
    empty.write_bytes(zip_of([], {"README": b"hi"}))
    with pytest.raises(SourceError, match="no JSON records"):
        database.import_path(empty)


def test_lookup_without_a_database_says_how_to_make_one(database: LocalDatabase) -> None:
    package = PackageRef("Rocky Linux:9", "openssl", "1")
    result = database.lookup([PackageRef("PyPI", "x", "1"), package])
    assert result.failed[PackageRef("PyPI", "x", "1")] == (
        f"no local OSV database at {database.path}: run `hullscan db update --ecosystem PyPI` "
        "(or `hullscan db import PATH` with PyPI records)")
    assert "`hullscan db update --ecosystem 'Rocky Linux:9'`" in result.failed[package]
    assert not database.path.exists()  # a lookup never creates the database


def test_newer_copy_of_a_record_wins(database: LocalDatabase, tmp_path: Path) -> None:
    old = record("GHSA-aaaa-bbbb-cccc", "PyPI", "jinja2", "3.1.4")
    new = dict(old, modified="2026-06-01T00:00:00Z", summary="updated")
    (tmp_path / "new.json").write_text(json.dumps(new))
    (tmp_path / "old.json").write_text(json.dumps(old))
    database.import_path(tmp_path / "new.json")
    database.import_path(tmp_path / "old.json")
    (found,) = database.lookup([PackageRef("PyPI", "Jinja2", "3.0")]).records.values()
    assert found[0]["summary"] == "updated"


# --- the OSV API, served on 127.0.0.1 ---------------------------------------------------------


class FakeOsv(http.server.BaseHTTPRequestHandler):
    """OSV's API shape: querybatch returns ids (paged), vulns/{id} returns records."""

    records: ClassVar[dict[str, Any]] = {r["id"]: r for r in RECORDS}
    fail_batches: ClassVar[int] = 0
    calls: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        type(self).calls.append(self.path)
        if type(self).fail_batches:
            type(self).fail_batches -= 1
            self.send_error(503)
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/v1/query":  # one package, full records (pip-audit's OSV service)
            name = body["package"]["name"].lower()
            vulns = [r for r in RECORDS if r["affected"][0]["package"]["name"].lower() == name]
            self._send({"vulns": vulns} if vulns else {})
            return
        results = []
        for query in body["queries"]:
            name = query["package"]["name"].lower()
            ids = [r["id"] for r in RECORDS if r["affected"][0]["package"]["name"].lower() == name]
            if query.get("page_token") == "p2":
                results.append({"vulns": [{"id": i} for i in ids[1:]]})
            elif len(ids) > 1:
                results.append({"vulns": [{"id": ids[0]}], "next_page_token": "p2"})
            else:
                results.append({"vulns": [{"id": i} for i in ids]})
        self._send({"results": results})

    def do_GET(self) -> None:
        type(self).calls.append(self.path)
        if self.path.startswith("/dumps/") and self.path.endswith("/all.zip"):
            ecosystem = urllib.parse.unquote(self.path.split("/")[2])
            held = [r for r in RECORDS + DUMP_ONLY
                    if r["affected"][0]["package"]["ecosystem"] in (ecosystem, "")
                    or r["affected"][0]["package"]["ecosystem"].startswith(f"{ecosystem}:")]
            if not held:
                self.send_error(404)
                return
            payload = zip_of(held)
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        record_id = self.path.rsplit("/", 1)[-1]
        if record_id not in self.records:
            self.send_error(404)
            return
        self._send(self.records[record_id])

    def _send(self, data: Any) -> None:
        payload = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def osv_server() -> Iterator[str]:
    FakeOsv.calls = []
    FakeOsv.fail_batches = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeOsv)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_api_batches_pages_and_fetches_records(osv_server: str) -> None:
    jinja = PackageRef("PyPI", "jinja2", "3.1.3")
    lodash = PackageRef("npm", "lodash", "4.17.20")
    result = OsvApi(osv_server).lookup([jinja, lodash, PackageRef("npm", "left-pad", "1.0.0")])
    assert [r["id"] for r in result.records[jinja]] == ["GHSA-aaaa-bbbb-cccc", "PYSEC-2024-1"]
    assert [r["id"] for r in result.records[lodash]] == ["GHSA-dddd-eeee-ffff"]
    assert FakeOsv.calls.count("/v1/querybatch") == 2  # the second page of jinja2


def test_api_retries_then_succeeds(osv_server: str) -> None:
    FakeOsv.fail_batches = 2
    api = OsvApi(osv_server, tries=3, backoff=0.01)
    result = api.lookup([PackageRef("npm", "lodash", "4.17.20")])
    assert len(next(iter(result.records.values()))) == 1
    assert FakeOsv.calls.count("/v1/querybatch") == 3


def test_api_down_is_a_clear_error(osv_server: str) -> None:
    FakeOsv.fail_batches = 99
    with pytest.raises(
        SourceError, match=r"cannot reach the OSV API at http://127\.0\.0\.1:\d+ \(HTTP 503\)"
    ):
        OsvApi(osv_server, tries=2, backoff=0.01).lookup([PackageRef("npm", "x", "1")])


def test_api_unreachable_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match=r"cannot reach the OSV API at http://127\.0\.0\.1:9"):
        OsvApi("http://127.0.0.1:9", tries=1, timeout=2).lookup([PackageRef("npm", "x", "1")])


# --- hullscan db ------------------------------------------------------------------------------


def test_db_commands(hullscan, tmp_path: Path, osv_server: str) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    dump = tmp_path / "all.zip"
    dump.write_bytes(zip_of(RECORDS))
    run = hullscan("db", "import", str(dump), env=env, cwd=tmp_path)
    assert run.code == 0 and f"{dump}: imported 4 records" in run.out
    status = hullscan("db", "status", env=env, cwd=tmp_path)
    assert "records: 4" in status.out and "  PyPI: 2" in status.out
    bad = hullscan("db", "import", str(tmp_path / "missing.zip"), env=env, cwd=tmp_path)
    assert bad.code == 2 and "no such file or folder" in bad.err
    down = hullscan(
        "db",
        "update",
        "--ecosystem",
        "PyPI",
        cwd=tmp_path,
        env={**env, "HULLSCAN_OSV_DUMPS_URL": "http://127.0.0.1:9"},
    )
    assert down.code == 3 and down.err.startswith("hullscan: error: cannot download")


def test_db_update_downloads_dumps(hullscan, tmp_path: Path, osv_server: str) -> None:
    env = {
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "HULLSCAN_OSV_DUMPS_URL": f"{osv_server}/dumps",
    }
    run = hullscan("db", "update", "--ecosystem", "npm", env=env, cwd=tmp_path)
    assert run.code == 0, run.err
    assert run.out.strip() == "npm: imported 1 records; covers npm"
    assert FakeOsv.calls == ["/dumps/npm/all.zip"]
    assert list(tmp_path.iterdir()) == [tmp_path / "cache"]  # the download left nothing behind


# --- coverage: which ecosystems and releases the database holds --------------------------------


def test_coverage_of_a_folder_is_the_ecosystems_of_its_records(database: LocalDatabase,
                                                               tmp_path: Path) -> None:
    folder = tmp_path / "osv"
    folder.mkdir()
    for item in RECORDS[:2]:  # PyPI only
        (folder / f"{item['id']}.json").write_text(json.dumps(item))
    report = database.import_path(folder)
    assert report.covered == ("PyPI",)
    clean = PackageRef("PyPI", "flask", "3.0.0")  # no record, but PyPI is covered
    lodash = PackageRef("npm", "lodash", "4.17.20")
    result = database.lookup([clean, lodash, PackageRef("Go", "golang.org/x/text", "v0.3.7")])
    assert result.records == {clean: []}
    assert result.failed[lodash] == (
        f"the local OSV database at {database.path} holds no npm data: "
        "run `hullscan db update --ecosystem npm`")
    assert "holds no Go data" in result.failed[PackageRef("Go", "golang.org/x/text", "v0.3.7")]
    assert result.notes == ()


def test_coverage_of_a_dump_is_its_ecosystem_and_every_release(database: LocalDatabase,
                                                                tmp_path: Path) -> None:
    # a PyPI dump whose record also names an npm package covers PyPI, not npm
    both = record("GHSA-both-both-both", "PyPI", "shared", "2.0")
    both["affected"].append(dict(both["affected"][0], package={"ecosystem": "npm",
                                                                "name": "shared"}))
    dump = tmp_path / "PyPI" / "all.zip"
    dump.parent.mkdir()
    dump.write_bytes(zip_of([RECORDS[0], both]))
    assert database.import_path(dump).covered == ("PyPI",)
    assert PackageRef("npm", "shared", "1.0") in database.lookup(
        [PackageRef("npm", "shared", "1.0")]).failed
    # a distribution's whole dump covers each release; a release's dump only that release
    debian = tmp_path / "debian.zip"
    debian.write_bytes(zip_of([record("DSA-1-1", "Debian:11", "openssl", "1.1.1w-0+deb11u2")]))
    assert database.import_path(debian, dump="Debian").covered == ("Debian",)
    ubuntu = tmp_path / "ubuntu.zip"
    ubuntu.write_bytes(zip_of([record("USN-1-1", "Ubuntu:22.04:LTS", "openssl",
                                      "3.0.2-0ubuntu1.15")]))
    assert database.import_path(ubuntu, dump="Ubuntu:22.04:LTS").covered == ("Ubuntu:22.04",)
    looked = [PackageRef("Debian:12", "openssl", "3.0.11-1~deb12u2"),
              PackageRef("Ubuntu:22.04:LTS", "openssl", "3.0.2-0ubuntu1.10"),
              PackageRef("Ubuntu:24.04:LTS", "openssl", "3.0.13-0ubuntu3")]
    result = database.lookup(looked)
    assert list(result.failed) == [looked[2]]
    assert result.failed[looked[2]].endswith(
        "holds no Ubuntu:24.04:LTS data (it holds Ubuntu:22.04): "
        "run `hullscan db update --ecosystem Ubuntu:24.04:LTS`")
    # a "dump" that holds none of its ecosystem's records covers only what it holds
    wrong = tmp_path / "wrong.zip"
    wrong.write_bytes(zip_of([RECORDS[2]]))
    report = database.import_path(wrong, dump="Maven")
    assert report.covered == ("npm",) and "holds no Maven records" in report.warnings[0]
    status = database.status()
    assert [(c.ecosystem, c.kind) for c in status.coverage] == [
        ("Debian", "dump"), ("PyPI", "dump"), ("Ubuntu:22.04", "dump"), ("npm", "records")]


def _old_database(path: Path, records: list[dict[str, Any]]) -> None:
    """A database as hullscan wrote it before coverage was recorded (schema 1)."""
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE records (id TEXT PRIMARY KEY, modified TEXT, data TEXT NOT NULL);
        CREATE TABLE affected (ecosystem TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL);
        CREATE INDEX affected_package ON affected (ecosystem, name);
        CREATE INDEX affected_id ON affected (id);
        CREATE TABLE imports (source TEXT, imported_at TEXT, records INTEGER);
        INSERT INTO meta VALUES ('schema', '1');
    """)
    for item in records:
        conn.execute("INSERT INTO records VALUES (?, ?, ?)",
                     (item["id"], item["modified"], json.dumps(item)))
        package = item["affected"][0]["package"]
        conn.execute("INSERT INTO affected VALUES (?, ?, ?)",
                     (package["ecosystem"], package["name"].lower(), item["id"]))
    conn.execute("INSERT INTO imports VALUES ('old.zip', '2025-01-01T00:00:00+00:00', ?)",
                 (len(records),))
    conn.commit()
    conn.close()


@pytest.mark.parametrize("writable", [True, False])
def test_an_old_database_counts_ecosystems_with_records_as_covered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writable: bool
) -> None:
    path = tmp_path / "old.sqlite3"
    _old_database(path, RECORDS[:2])
    database = LocalDatabase(path)
    if not writable:  # a read-only copy cannot be migrated: coverage is inferred each time
        def read_only(conn: sqlite3.Connection) -> None:
            raise sqlite3.OperationalError("attempt to write a readonly database")

        monkeypatch.setattr(LocalDatabase, "_migrate", staticmethod(read_only))
    jinja, lodash = PackageRef("PyPI", "jinja2", "3.1.3"), PackageRef("npm", "lodash", "4.0.0")
    result = database.lookup([jinja, lodash])
    assert len(result.records[jinja]) == 2
    assert "holds no npm data" in result.failed[lodash]
    (note,) = result.notes  # said once, whatever the number of packages
    assert "made by an older hullscan" in note and "PyPI counted as covered" in note
    (covered,) = database.status().coverage
    assert (covered.ecosystem, covered.kind, covered.records) == ("PyPI", "inferred", 2)
    database.close()
    if writable:
        again = LocalDatabase(path)
        assert again.lookup([jinja]).notes == result.notes  # until PyPI is imported again
        folder = tmp_path / "osv"
        folder.mkdir()
        (folder / "r.json").write_text(json.dumps(RECORDS[0]))
        again.import_path(folder)
        assert again.lookup([jinja]).notes == ()
        again.close()


def test_db_status_lists_coverage_and_update_covers_a_release(hullscan, tmp_path: Path,
                                                              osv_server: str) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"),
           "HULLSCAN_OSV_DUMPS_URL": f"{osv_server}/dumps"}
    empty = hullscan("db", "status", env=env, cwd=tmp_path)
    assert "empty: run" in empty.out
    run = hullscan("db", "update", "--ecosystem", "Debian:12", "--ecosystem", "npm", env=env,
                   cwd=tmp_path)
    assert run.code == 0, run.err
    assert "Debian:12: imported 1 records; covers Debian:12" in run.out
    folder = tmp_path / "osv"
    folder.mkdir()
    (folder / "r.json").write_text(json.dumps(RECORDS[0]))
    assert hullscan("db", "import", str(folder), env=env, cwd=tmp_path).code == 0
    status = hullscan("db", "status", env=env, cwd=tmp_path)
    lines = status.out.splitlines()
    start = lines.index("covers (offline checks of any other ecosystem or release fail closed):")
    covered = lines[start + 1:]
    assert covered[0].startswith(f"  Debian:12: the whole OSV dump, 1 records, from "
                                 f"{osv_server}/dumps/Debian%3A12/all.zip at ")
    assert covered[1].startswith(f"  PyPI: 1 records from {folder} at ")
    assert covered[2].startswith("  npm: the whole OSV dump, 1 records, from ")
    assert len(covered) == 3
