"""The vulnerability sources: the local SQLite database and the OSV API (served on 127.0.0.1)."""

from __future__ import annotations

import http.server
import io
import json
import threading
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
    with pytest.raises(SourceError, match="hullscan db import"):
        database.lookup([PackageRef("PyPI", "x", "1")])


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
        if self.path == "/dumps/npm/all.zip":
            payload = zip_of(
                [r for r in RECORDS if r["affected"][0]["package"]["ecosystem"] == "npm"]
            )
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
    assert run.out.strip() == "npm: imported 1 records"
    assert FakeOsv.calls == ["/dumps/npm/all.zip"]
    assert list(tmp_path.iterdir()) == [tmp_path / "cache"]  # the download left nothing behind
