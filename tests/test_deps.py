"""The dependency checker end to end: lockfiles -> OSV engine -> findings on the dependency's
line; fail-closed when a dependency cannot be audited."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT, Repo, wheelhouse
from test_vuln_sources import RECORDS, FakeOsv, osv_server, zip_of  # noqa: F401 - the fixture

from hullscan.vuln.interface import PackageRef
from hullscan.vuln.local_db import LocalDatabase


def by_path(run, path: str) -> dict[str, dict]:
    return {f["properties"]["package"]: f for f in run.json()["findings"]
            if f["location"]["path"] == path and f["checker"] == "deps"}


def test_example_requirements_against_the_demo_data(hullscan) -> None:
    sarif = PROJECT / ".cache" / "deps-test.sarif"
    run = hullscan("scan", "examples/insecure-app", "--format", "json", "--sarif", str(sarif),
                   cwd=PROJECT)
    found = by_path(run, "examples/insecure-app/requirements.txt")
    assert set(found) == {"jinja2", "requests", "pyyaml"}  # flask 3.0.0 has no demo advisory
    requests = found["requests"]
    assert requests["location"]["start_line"] == 4
    assert requests["severity"] == "critical"  # CVSS 3.1 base 9.1
    assert requests["rule"]["id"] == "x_HULLSCAN-DEMO-0002"
    assert requests["message"] == (
        "requests 2.31.0 is affected by x_HULLSCAN-DEMO-0002 (CVE-0000-0002); upgrade to 2.32.0")
    assert requests["properties"] == {
        "package": "requests", "ecosystem": "PyPI", "installedVersion": "2.31.0",
        "advisories": ["x_HULLSCAN-DEMO-0002"], "aliases": ["CVE-0000-0002"],
        "cve": ["CVE-0000-0002"], "fixedVersion": "2.32.0"}
    assert found["jinja2"]["severity"] == "medium"
    sarif.unlink()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalDatabase:
    folder = tmp_path / "osv"
    folder.mkdir()
    for item in RECORDS:
        (folder / f"{item['id']}.json").write_text(json.dumps(item))
    database = LocalDatabase(tmp_path / "db.sqlite3")
    database.import_path(folder)
    database.close()
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(tmp_path / "db.sqlite3"))
    return database


LOCK = {
    "name": "app", "version": "1.0.0", "lockfileVersion": 3,
    "packages": {
        "": {"name": "app", "version": "1.0.0", "dependencies": {"lodash": "^4.17.0"}},
        "node_modules/lodash": {"version": "4.17.20"},
        "node_modules/left-pad": {"version": "1.3.0"},
    },
}


def test_npm_and_cargo_lockfiles_with_lines(hullscan, repo: Repo, db) -> None:
    repo.write("web/package-lock.json", json.dumps(LOCK, indent=2))
    repo.write("Cargo.lock", 'version = 3\n\n[[package]]\nname = "time"\nversion = "0.2.22"\n'
               'source = "registry+https://github.com/rust-lang/crates.io-index"\n')
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    lodash = by_path(run, "web/package-lock.json")["lodash"]
    lines = (repo.root / "web/package-lock.json").read_text().splitlines()
    assert '"node_modules/lodash"' in lines[lodash["location"]["start_line"] - 1]
    assert lodash["properties"]["fixedVersion"] == "4.17.21"
    time = by_path(run, "Cargo.lock")["time"]
    assert time["location"]["start_line"] == 4 and time["rule"]["id"] == "RUSTSEC-2024-0001"
    # these records carry no severity: medium, which does not block at the default threshold
    assert {f["severity"] for f in run.json()["findings"]} == {"medium"}
    assert run.code == 0


def test_aliases_reported_once(hullscan, repo: Repo, db) -> None:
    repo.write("requirements.txt", "Jinja2==3.1.3\n")
    run = hullscan("deps", ".", "--format", "json", "--fail-on", "never", cwd=repo.root)
    (finding,) = run.json()["findings"]
    assert finding["properties"]["advisories"] == ["GHSA-aaaa-bbbb-cccc"]
    assert set(finding["properties"]["aliases"]) == {"CVE-2024-0001", "PYSEC-2024-1"}
    assert run.code == 0


def test_unpinned_requirement_fails_closed_on_its_line(hullscan, repo: Repo, db) -> None:
    repo.write("requirements.txt", "jinja2==3.1.3\nrequests>=2\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.code == 3
    (note,) = run.json()["notifications"]
    assert note["line"] == 2 and note["path"] == "requirements.txt"
    assert note["message"].startswith("requests cannot be audited")
    assert "jinja2" in by_path(run, "requirements.txt")  # the pinned one is still checked
    text = hullscan("deps", ".", cwd=repo.root)
    assert "requirements.txt:2: requests cannot be audited" in text.err


def test_source_down_fails_closed_once_per_file(hullscan, repo: Repo,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HULLSCAN_OFFLINE", "0")  # online, and the API is down (127.0.0.1:9)
    repo.write("requirements.txt", "jinja2==3.1.3\nflask==3.0.0\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.code == 3
    pip_audit, note = run.json()["notifications"]
    # pip-audit could not reach its OSV service either; the pins then went to OSV directly
    assert pip_audit["level"] == "warning" and pip_audit["message"].startswith("pip-audit failed")
    # the same reason for every dependency of the file: one line, naming them
    assert note["level"] == "error" and note["path"] == "requirements.txt"
    assert note["message"].startswith(
        "2 PyPI dependencies (jinja2 3.1.3, flask 3.0.0) could not be audited: cannot reach the "
        "OSV API")
    assert "No known vulnerabilities" not in run.out + run.err


def test_online_through_the_osv_api(hullscan, repo: Repo, osv_server: str,  # noqa: F811
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HULLSCAN_OFFLINE", "0")
    monkeypatch.setenv("HULLSCAN_OSV_URL", osv_server)
    repo.write("requirements.txt", "jinja2==3.1.3\n")
    repo.write("web/package-lock.json", json.dumps(LOCK, indent=2))
    online = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert "/v1/query" in FakeOsv.calls  # pip-audit's OSV service, for requirements.txt
    assert "/v1/querybatch" in FakeOsv.calls  # hullscan's OSV source, for the npm lockfile
    tools = {t["name"] for t in online.json()["checkers"][0]["tools"]}
    assert tools == {"pip-audit", "OSV API"}
    # the same records offline give the same findings: results do not depend on the path
    folder = repo.root.parent / "osv"
    folder.mkdir()
    for item in RECORDS:
        (folder / f"{item['id']}.json").write_text(json.dumps(item))
    database = LocalDatabase(repo.root.parent / "db.sqlite3")
    database.import_path(folder)
    database.close()
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(repo.root.parent / "db.sqlite3"))
    offline = hullscan("deps", ".", "--format", "json", "--offline", cwd=repo.root)

    def essentials(run) -> list[tuple]:
        return sorted((f["location"]["path"], f["location"]["start_line"], f["rule"]["id"],
                       f["severity"], f["message"], json.dumps(f["properties"], sort_keys=True))
                      for f in run.json()["findings"])

    assert essentials(online) == essentials(offline)
    assert len(essentials(online)) == 2


def test_offline_without_a_database_says_how(hullscan, repo: Repo, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(tmp_path / "none.sqlite3"))
    repo.write("requirements.txt", "jinja2==3.1.3\n")
    run = hullscan("deps", ".", "--offline", cwd=repo.root)
    assert run.code == 3
    assert ("requirements.txt:1: jinja2 3.1.3 could not be audited: no local OSV database at "
            f"{tmp_path / 'none.sqlite3'}: run `hullscan db update --ecosystem PyPI` (or "
            "`hullscan db import PATH` with PyPI records)") in run.err


def osv_folder_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  records: list[dict]) -> Path:
    """A real local database made by `hullscan db import FOLDER` from records written here."""
    folder = tmp_path / "osv-records"
    folder.mkdir()
    for item in records:
        (folder / f"{item['id']}.json").write_text(json.dumps(item))
    path = tmp_path / "coverage.sqlite3"
    database = LocalDatabase(path)
    database.import_path(folder)
    database.close()
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(path))
    return path


GO_MOD = """module example.com/app

go 1.22

require (
\tgolang.org/x/text v0.3.7
\tgithub.com/gin-gonic/gin v1.9.0
)
"""


def test_a_database_without_the_ecosystem_fails_closed_per_file(
    hullscan, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pypi = [r for r in RECORDS if r["affected"][0]["package"]["ecosystem"] == "PyPI"]
    path = osv_folder_db(tmp_path, monkeypatch, pypi)
    repo.write("requirements.txt", "jinja2==3.1.3\n")
    repo.write("web/package-lock.json", json.dumps(LOCK, indent=2))
    repo.write("svc/go.mod", GO_MOD)
    run = hullscan("deps", ".", "--offline", "--format", "json", "--sarif", "deps.sarif",
                   cwd=repo.root)
    assert run.code == 3  # not "0 findings": npm and Go were never imported
    assert set(by_path(run, "requirements.txt")) == {"jinja2"}  # PyPI still audited
    errors = {n["path"]: n for n in run.json()["notifications"] if n["level"] == "error"}
    assert set(errors) == {"web/package-lock.json", "svc/go.mod"}
    npm = errors["web/package-lock.json"]["message"]
    assert npm.startswith("2 npm dependencies (lodash 4.17.20, left-pad 1.3.0) could not be "
                          f"audited: the local OSV database at {path} holds no npm data: ")
    assert npm.endswith("run `hullscan db update --ecosystem npm`")
    go = errors["svc/go.mod"]["message"]
    assert "Go dependencies (" in go and "holds no Go data" in go
    assert go.endswith("run `hullscan db update --ecosystem Go`")
    sarif = json.loads((repo.root / "deps.sarif").read_text())
    (deps_run,) = [r for r in sarif["runs"] if r["automationDetails"]["id"] == "hullscan/deps/"]
    invocation = deps_run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    texts = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert sum("hullscan db update --ecosystem npm" in t for t in texts) == 1
    # the fix the message names: import npm's dump, and the lockfile is audited
    dump = tmp_path / "npm" / "all.zip"
    dump.parent.mkdir()
    dump.write_bytes(zip_of([r for r in RECORDS
                             if r["affected"][0]["package"]["ecosystem"] == "npm"]))
    assert hullscan("db", "import", str(dump), cwd=repo.root).code == 0
    again = hullscan("deps", "web/package-lock.json", "--offline", "--format", "json",
                     cwd=repo.root)
    assert again.code == 0 and set(by_path(again, "web/package-lock.json")) == {"lodash"}


def test_an_empty_database_is_one_line_per_file_and_ecosystem(
    hullscan, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write("requirements.txt", "".join(f"pkg{i}=={i}.0\n" for i in range(300)))
    repo.write("web/package-lock.json", json.dumps(LOCK, indent=2))
    for database in (tmp_path / "none.sqlite3", tmp_path / "empty.sqlite3"):
        if database.name == "empty.sqlite3":  # exists, nothing imported
            made = LocalDatabase(database)
            made._connect(create=True)
            made.close()
        monkeypatch.setenv("HULLSCAN_OSV_DB", str(database))
        run = hullscan("deps", ".", "--offline", "--format", "json", cwd=repo.root)
        assert run.code == 3
        notes = run.json()["notifications"]
        assert [(n["path"], n["level"], n.get("line")) for n in notes] == [
            ("requirements.txt", "error", None), ("web/package-lock.json", "error", None)]
        assert notes[0]["message"].startswith(
            "300 PyPI dependencies (pkg0 0.0, pkg1 1.0, pkg2 2.0 and 297 more) could not be "
            "audited: ")
        assert "`hullscan db update --ecosystem PyPI`" in notes[0]["message"]
        assert "`hullscan db update --ecosystem npm`" in notes[1]["message"]
        text = hullscan("deps", ".", "--offline", cwd=repo.root)
        assert len([line for line in text.err.splitlines() if "could not be audited" in line]) == 2


def test_corrupt_lockfile_is_one_line_and_others_still_checked(hullscan, repo: Repo, db) -> None:
    repo.write("a/package-lock.json", '{"lockfileVersion": 3, "packages": {')
    repo.write("b/requirements.txt", "jinja2==3.1.3\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    (note,) = [n for n in run.json()["notifications"] if n["path"] == "a/package-lock.json"]
    assert note["message"].startswith("cannot read:") and "\n" not in note["message"]
    assert "jinja2" in by_path(run, "b/requirements.txt")
    assert "Traceback" not in run.err


def test_ignore_unfixed(hullscan, repo: Repo, tmp_path: Path, monkeypatch) -> None:
    record = {"schema_version": "1.6.0", "id": "GHSA-nofx-nofx-nofx",
              "modified": "2026-01-01T00:00:00Z",
              "affected": [{"package": {"ecosystem": "PyPI", "name": "leftpad"},
                            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}
    (tmp_path / "r.json").write_text(json.dumps(record))
    database = LocalDatabase(tmp_path / "db.sqlite3")
    database.import_path(tmp_path / "r.json")
    database.close()
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(tmp_path / "db.sqlite3"))
    repo.write("requirements.txt", "leftpad==1.0\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.json()["findings"][0]["message"].endswith("no fixed version is known")
    run = hullscan("deps", ".", "--format", "json", "--ignore-unfixed", cwd=repo.root)
    assert run.json()["findings"] == []


def test_network_failing_mid_batch_fails_closed(hullscan, repo: Repo, osv_server: str,  # noqa: F811
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HULLSCAN_OFFLINE", "0")
    monkeypatch.setenv("HULLSCAN_OSV_URL", osv_server)
    # jinja2 has two records: the second page of its querybatch fails for good.
    original = FakeOsv.do_POST

    def second_page_fails(self: FakeOsv) -> None:
        if len([c for c in FakeOsv.calls if c == "/v1/querybatch"]) >= 1:
            FakeOsv.calls.append(self.path)
            self.send_error(500)
            return
        original(self)

    monkeypatch.setattr(FakeOsv, "do_POST", second_page_fails)
    # a Pipfile.lock goes through hullscan's OSV source (pip-audit reads requirements files)
    repo.write("Pipfile.lock", json.dumps({"_meta": {}, "default": {
        "jinja2": {"version": "==3.1.3"}, "flask": {"version": "==3.0.0"}}, "develop": {}},
        indent=4))
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.code == 3
    assert run.json()["findings"] == []  # a half answer is not a pass either
    (error,) = [n for n in run.json()["notifications"] if n["level"] == "error"]
    assert error["path"] == "Pipfile.lock"
    assert error["message"].startswith("2 PyPI dependencies (")
    assert "jinja2 3.1.3" in error["message"] and "flask 3.0.0" in error["message"]
    assert "could not be audited: cannot reach the OSV API" in error["message"]
    assert "Traceback" not in run.err


def test_malformed_record_is_a_note_and_others_still_match(hullscan, repo: Repo, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    good = RECORDS[0]
    bad = json.loads(json.dumps(RECORDS[2]))
    bad["id"] = "GHSA-bad0-bad0-bad0"
    bad["affected"][0]["package"]["name"] = "jinja2"
    bad["affected"][0]["package"]["ecosystem"] = "PyPI"
    bad["affected"][0]["ranges"][0]["events"] = [{"introduced": "not a version!"}]
    for item in (good, bad):
        (tmp_path / f"{item['id']}.json").write_text(json.dumps(item))
    database = LocalDatabase(tmp_path / "db.sqlite3")
    database.import_path(tmp_path)
    database.close()
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(tmp_path / "db.sqlite3"))
    repo.write("requirements.txt", "jinja2==3.1.3\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert [f["rule"]["id"] for f in run.json()["findings"]] == ["GHSA-aaaa-bbbb-cccc"]
    (note,) = run.json()["notifications"]
    assert note["level"] == "note" and "GHSA-bad0-bad0-bad0" in note["message"]


def test_a_100000_entry_lockfile(hullscan, repo: Repo, db) -> None:
    packages = {"": {"name": "big", "version": "1.0.0"}}
    for index in range(100_000):
        packages[f"node_modules/pkg-{index}"] = {"version": "1.0.0"}
    packages["node_modules/lodash"] = {"version": "4.17.20"}
    repo.write("package-lock.json", json.dumps(
        {"name": "big", "lockfileVersion": 3, "packages": packages}, indent=1))
    repo.write(".hullscan.yaml", "max_file_size: 20MB\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    (finding,) = run.json()["findings"]
    assert finding["properties"]["package"] == "lodash"
    assert run.json()["checkers"][0]["files_scanned"] == 1


RESOLVE = "checkers:\n  deps:\n    resolve: true\n"  # the opt-in: pip-audit resolves


def test_unpinned_online_resolution_failure_fails_closed(
    hullscan, repo: Repo, osv_server: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setenv("HULLSCAN_OFFLINE", "0")
    monkeypatch.setenv("HULLSCAN_OSV_URL", osv_server)
    # pip-audit resolves through pip: its package index is a closed port here
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    repo.write(".hullscan.yaml", RESOLVE)
    repo.write("requirements.txt", "jinja2==3.1.3\nrequests>=2\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.code == 3
    notes = run.json()["notifications"]
    assert any(n["level"] == "error" and n["message"].startswith("pip-audit failed")
               for n in notes)
    (unpinned,) = [n for n in notes if n["line"] == 2]
    assert unpinned["message"].startswith("requests cannot be audited")
    # the pinned requirement is still audited (through OSV directly)
    assert [f["properties"]["package"] for f in run.json()["findings"]] == ["jinja2"]
    assert "Traceback" not in run.err


def build_wheel(folder: Path, name: str, version: str) -> None:
    """A minimal pure-Python wheel, for a package index served from a local folder."""
    import base64
    import hashlib
    import zipfile

    dist = f"{name.replace('-', '_')}-{version}"
    files = {
        f"{name.replace('-', '_')}/__init__.py": b"",
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: "
                                      f"{version}\n".encode(),
        f"{dist}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: hullscan-tests\n"
                                   b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(folder / f"{dist}-py3-none-any.whl", "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)


@pytest.fixture
def local_index(tmp_path: Path, osv_server: str,  # noqa: F811
                monkeypatch: pytest.MonkeyPatch) -> Path:
    """Online, with the package index a local folder: pip-audit's own pip, setuptools and
    wheel (for its virtualenv) from the test wheelhouse, and packages built by the test."""
    links = tmp_path / "links"
    links.mkdir()
    house = wheelhouse("pip", "setuptools", "wheel", "packaging")
    for name in ("pip", "setuptools", "wheel", "packaging"):
        for wheel in house.glob(f"{name}-*.whl"):
            shutil.copy(wheel, links)
    monkeypatch.setenv("HULLSCAN_OFFLINE", "0")
    monkeypatch.setenv("HULLSCAN_OSV_URL", osv_server)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    return links


def test_unpinned_requirement_resolved_by_pip_audit_online(
    hullscan, repo: Repo, local_index: Path
) -> None:
    build_wheel(local_index, "jinja2", "3.1.3")
    repo.write(".hullscan.yaml", RESOLVE)
    repo.write("requirements.txt", "# unpinned: pip-audit resolves it\njinja2>=3\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.json()["notifications"] == []
    (finding,) = run.json()["findings"]
    assert finding["location"]["start_line"] == 2
    assert finding["properties"]["installedVersion"] == "3.1.3"  # what resolution picked
    assert finding["rule"]["id"] == "GHSA-aaaa-bbbb-cccc"
    assert run.code == 0  # the record has no severity: medium


def test_pyproject_pep621_resolved_by_pip_audit_online(
    hullscan, repo: Repo, local_index: Path
) -> None:
    build_wheel(local_index, "jinja2", "3.1.3")
    build_wheel(local_index, "flask", "3.0.0")
    repo.write(".hullscan.yaml", RESOLVE)
    repo.write("pyproject.toml", '[project]\nname = "app"\nversion = "1"\n'
               'dependencies = [\n    "flask==3.0.0",\n    "jinja2>=3",\n]\n')
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.json()["notifications"] == []
    (finding,) = run.json()["findings"]
    assert (finding["location"]["path"], finding["location"]["start_line"]) == (
        "pyproject.toml", 6)
    assert finding["properties"]["installedVersion"] == "3.1.3"


def test_pyproject_offline_checks_pins_and_names_the_rest(hullscan, repo: Repo, db) -> None:
    repo.write("pyproject.toml", '[project]\nname = "app"\nversion = "1"\n'
               'dependencies = ["jinja2==3.1.3", "requests>=2"]\n')
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.code == 3
    assert [f["properties"]["package"] for f in run.json()["findings"]] == ["jinja2"]
    (note,) = run.json()["notifications"]
    assert note["line"] == 4 and "resolving it needs pip-audit online" in note["message"]


def test_api_record_failing_the_schema_is_skipped_with_a_note(
    hullscan, repo: Repo, osv_server: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setenv("HULLSCAN_OFFLINE", "0")
    monkeypatch.setenv("HULLSCAN_OSV_URL", osv_server)
    broken = json.loads(json.dumps(RECORDS[2]))
    broken["affected"][0]["ranges"][0]["type"] = "NONSENSE"
    monkeypatch.setitem(FakeOsv.records, broken["id"], broken)
    repo.write("web/package-lock.json", json.dumps(LOCK, indent=2))
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.json()["findings"] == []
    (note,) = run.json()["notifications"]
    assert note["level"] == "note" and "fails the OSV schema" in note["message"]
    assert "GHSA-dddd-eeee-ffff" in note["message"]


def test_pip_audit_skip_reason_is_not_a_pass() -> None:
    from hullscan.deps import pipaudit

    # pip-audit's JSON when its service cannot look a package up: it would print "No known
    # vulnerabilities found" and exit 0; hullscan reads the skip_reason instead.
    resolved = pipaudit.parse({"dependencies": [
        {"name": "internal-lib", "skip_reason": "Dependency not found on PyPI and could not be "
                                                "audited: internal-lib (1.0)"},
        {"name": "jinja2", "version": "3.1.3", "vulns": [
            {"id": "PYSEC-2024-1", "aliases": ["CVE-2024-0001"], "fix_versions": ["3.1.4"]}]},
    ], "fixes": []})
    assert resolved.skipped == {"internal-lib": "Dependency not found on PyPI and could not be "
                                                "audited: internal-lib (1.0)"}
    jinja = PackageRef("PyPI", "jinja2", "3.1.3")
    assert resolved.packages == (jinja,)
    assert resolved.vulnerable == {jinja: ("PYSEC-2024-1", "CVE-2024-0001")}


# --- every way an audit could silently not happen fails closed (issue 12) ------------------


def records_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, records: list[dict]) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    for item in records:
        (folder / f"{item['id']}.json").write_text(json.dumps(item))
    database = LocalDatabase(tmp_path / "records.sqlite3")
    database.import_path(folder)
    database.close()
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(tmp_path / "records.sqlite3"))


def test_a_lockfile_over_max_file_size_is_audited(hullscan, repo: Repo, db) -> None:
    packages = {"": {"name": "big", "version": "1.0.0"}}
    packages.update({f"node_modules/pkg-{i}": {"version": "1.0.0"} for i in range(20_000)})
    packages["node_modules/lodash"] = {"version": "4.17.20"}
    repo.write("package-lock.json", json.dumps(
        {"name": "big", "lockfileVersion": 3, "packages": packages}, indent=2))
    repo.write(".hullscan.yaml", "max_file_size: 100KB\n")  # for source files, not lockfiles
    assert (repo.root / "package-lock.json").stat().st_size > 1024 * 1024
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert [f["properties"]["package"] for f in run.json()["findings"]] == ["lodash"]
    assert run.json()["notifications"] == []
    assert run.code == 0  # the record has no severity: medium


def test_a_latin_1_comment_in_requirements_is_audited(hullscan, repo: Repo, db) -> None:
    repo.write("requirements.txt", b"# pinned by J\xfcrgen\njinja2==3.1.3  # caf\xe9\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    (finding,) = run.json()["findings"]
    assert (finding["properties"]["package"], finding["location"]["start_line"]) == ("jinja2", 2)
    assert run.json()["notifications"] == [] and run.code == 0


@pytest.mark.parametrize(("name", "content", "line", "reason"), [
    ("package-lock.json", b"\x7fELF\x02\x01\x01\n\x00\x00" + bytes(range(256)), 2,
     "binary content"),
    ("requirements.txt", b"flask==3.0.0\nj\xefnja2==3.1.3\n", 2,
     "not UTF-8 text outside a comment"),
])
def test_a_manifest_that_cannot_be_read_fails_closed_naming_the_file(
    hullscan, repo: Repo, db, name: str, content: bytes, line: int, reason: str
) -> None:
    repo.write(name, content)
    repo.write("web/package-lock.json", json.dumps(LOCK, indent=2))  # still checked
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.code == 3
    (note,) = run.json()["notifications"]
    assert (note["path"], note["line"]) == (name, line)
    assert reason in note["message"] and "not audited" in note["message"]
    assert "lodash" in by_path(run, "web/package-lock.json")
    text = hullscan("deps", ".", cwd=repo.root)
    assert f"{name}:{line}: cannot read: {reason}" in text.err


def test_unorderable_versions_fail_closed_on_their_line(hullscan, repo: Repo, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from test_vuln_sources import record

    # many records for the package: before, each was a "skipped OSV record" note of its own
    records_db(tmp_path, monkeypatch, [
        *(record(f"PYSEC-2020-{i}", "PyPI", "django", f"2.2.{i + 1}") for i in range(40)),
        record("PYSEC-2019-1", "PyPI", "flask", "1.0"),
        record("GO-2021-0113", "Go", "golang.org/x/text", "0.3.7"),
    ])
    repo.write("requirements.txt", "django==2.2.x\nflask==0.12.2.final\n")
    repo.write("go.mod", "module x\n\nrequire golang.org/x/text v0.3\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.code == 3
    assert run.json()["findings"] == []
    assert sorted((n["path"], n["line"], n["message"]) for n in run.json()["notifications"]) == [
        ("go.mod", 3, "golang.org/x/text cannot be audited: version v0.3 is not valid in Go"),
        ("requirements.txt", 1, "django cannot be audited: version 2.2.x is not valid in PyPI"),
        ("requirements.txt", 2,
         "flask cannot be audited: version 0.12.2.final is not valid in PyPI"),
    ]


def test_package_json_without_a_lockfile(hullscan, repo: Repo, db) -> None:
    repo.write("web/package.json", json.dumps({
        "name": "web", "dependencies": {"lodash": "4.17.20", "express": "^4.18.0"}}, indent=2))
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.code == 3
    assert by_path(run, "web/package.json")["lodash"]["location"]["start_line"] == 4
    notes = {(n["level"], n["line"]): n["message"] for n in run.json()["notifications"]}
    assert notes[("warning", 5)].startswith(
        "express cannot be audited: not pinned to one version (no lockfile hullscan reads")
    assert "the packages they depend on are not" in notes[("note", None)]
    # only exact versions: audited, and the run can pass
    repo.write("web/package.json", json.dumps({
        "name": "web", "dependencies": {"lodash": "4.17.20"}}, indent=2))
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.code == 0 and "lodash" in by_path(run, "web/package.json")
    # with a lockfile beside it, the lockfile is what is audited
    repo.write("web/package-lock.json", json.dumps(LOCK, indent=2))
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.json()["notifications"] == []
    assert {f["location"]["path"] for f in run.json()["findings"]} == {"web/package-lock.json"}


def test_go_standard_library_is_audited(hullscan, repo: Repo, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    stdlib = {
        "schema_version": "1.6.0", "id": "GO-2024-2687", "modified": "2026-01-01T00:00:00Z",
        "summary": "HTTP/2 CONTINUATION flood in net/http",
        "affected": [{
            "package": {"ecosystem": "Go", "name": "stdlib"},
            "ranges": [{"type": "SEMVER", "events": [
                {"introduced": "0"}, {"fixed": "1.21.9"},
                {"introduced": "1.22.0-0"}, {"fixed": "1.22.2"}]}],
        }],
    }
    records_db(tmp_path, monkeypatch, [stdlib])
    repo.write("go.mod", "module x\n\ngo 1.21\n\ntoolchain go1.21.5\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    (finding,) = run.json()["findings"]
    assert (finding["location"]["start_line"], finding["properties"]["package"],
            finding["properties"]["installedVersion"]) == (5, "stdlib", "1.21.5")
    assert finding["properties"]["fixedVersion"] == "1.21.9"
    repo.write("go.mod", "module x\n\ngo 1.22.1\n")  # no toolchain: the go directive's
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    (finding,) = run.json()["findings"]
    assert finding["location"]["start_line"] == 3
    assert finding["message"].startswith("stdlib 1.22.1 is affected by GO-2024-2687")
    repo.write("go.mod", "module x\n\ngo 1.22.2\n")
    assert hullscan("deps", ".", "--format", "json", cwd=repo.root).json()["findings"] == []


def fake_pip_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    fake = tmp_path / "fake-pip-audit"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    monkeypatch.setenv("HULLSCAN_PIP_AUDIT", str(fake))


def test_pip_audit_timeout_is_hullscan_tool_timeout(
    hullscan, repo: Repo, osv_server: str, tmp_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HULLSCAN_OFFLINE", "0")
    monkeypatch.setenv("HULLSCAN_OSV_URL", osv_server)
    fake_pip_audit(tmp_path, monkeypatch, "exec sleep 30\n")
    repo.write("requirements.txt", "jinja2==3.1.3\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root,
                   env={"HULLSCAN_TOOL_TIMEOUT": "1"})
    (note,) = run.json()["notifications"]
    assert note["message"] == (
        "pip-audit failed: timed out after 1 s; its pins were audited against OSV directly")
    # the pins still went through OSV: the finding is there
    assert [f["properties"]["package"] for f in run.json()["findings"]] == ["jinja2"]


def test_pip_audit_exit_1_without_a_report_is_a_failure(
    hullscan, repo: Repo, osv_server: str, tmp_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HULLSCAN_OFFLINE", "0")
    monkeypatch.setenv("HULLSCAN_OSV_URL", osv_server)
    # what pip-audit 2.10 prints when its service is down: a traceback, no JSON, exit 1
    fake_pip_audit(tmp_path, monkeypatch, (
        "echo 'Traceback (most recent call last):' >&2\n"
        "echo \"requests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', "
        "port=9): Max retries exceeded with url: /v1/query (Caused by NewConnectionError("
        "'<urllib3.connection.HTTPConnection object>: Failed to establish a new connection: "
        "[Errno 111] Connection refused'))\" >&2\nexit 1\n"))
    repo.write("requirements.txt", "jinja2==3.1.3\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    (note,) = run.json()["notifications"]
    assert note["message"] == (
        f"pip-audit failed: cannot reach its OSV service at {osv_server}/v1/query: Connection "
        "refused; its pins were audited against OSV directly")
    assert "unreadable JSON" not in run.out + run.err
    # exit 1 with a report that lists no vulnerability is not "vulnerabilities found" either
    fake_pip_audit(tmp_path, monkeypatch,
                   "echo '{\"dependencies\": [], \"fixes\": []}'\necho 'boom' >&2\nexit 1\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    (note,) = run.json()["notifications"]
    assert note["message"].startswith("pip-audit failed: exited with code 1 without a report: "
                                      "boom")


def test_pip_audit_connection_failure_when_resolving_fails_closed(
    hullscan, repo: Repo, local_index: Path, monkeypatch: pytest.MonkeyPatch, osv_server: str,  # noqa: F811
) -> None:
    original = FakeOsv.do_POST

    def drop_pip_audit(self: FakeOsv) -> None:
        if self.path == "/v1/query":  # pip-audit's endpoint: the connection is closed
            self.close_connection = True
            self.connection.close()
            return
        original(self)

    monkeypatch.setattr(FakeOsv, "do_POST", drop_pip_audit)
    build_wheel(local_index, "jinja2", "3.1.3")
    repo.write(".hullscan.yaml", RESOLVE)
    repo.write("requirements.txt", "jinja2>=3\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.code == 3
    errors = [n for n in run.json()["notifications"] if n["level"] == "error"]
    assert errors and errors[0]["message"].startswith(
        f"pip-audit failed: cannot reach its OSV service at {osv_server}/v1/query")
    assert "unreadable JSON" not in run.out + run.err and "Traceback" not in run.err


def test_pip_audit_failure_messages() -> None:
    from hullscan.deps import pipaudit

    refused = ("Traceback (most recent call last):\n  ...\nrequests.exceptions.ConnectionError: "
               "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: "
               "/v1/query (Caused by NewConnectionError(\"HTTPConnection(host='127.0.0.1', "
               "port=9): Failed to establish a new connection: [Errno 111] Connection "
               "refused\"))\n")
    assert pipaudit.failure(1, refused).endswith("/v1/query: Connection refused")
    assert pipaudit.failure(1, "...\npip_audit._service.interface.ServiceError\n").endswith(
        "/v1/query: it answered with an error")
    assert pipaudit.failure(1, "") == (
        "exited with code 1 without a report and without an error message")
    assert pipaudit.failure(1, "ERROR: bad requirement\n") == (
        "exited with code 1 without a report: ERROR: bad requirement")
