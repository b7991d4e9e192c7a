"""The dependency checker end to end: lockfiles -> OSV engine -> findings on the dependency's
line; fail-closed when a dependency cannot be audited."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT, Repo, wheelhouse
from test_vuln_sources import RECORDS, FakeOsv, osv_server  # noqa: F401 - the fixture

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


def test_source_down_fails_closed_per_dependency(hullscan, repo: Repo,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HULLSCAN_OFFLINE", "0")  # online, and the API is down (127.0.0.1:9)
    repo.write("requirements.txt", "jinja2==3.1.3\nflask==3.0.0\n")
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert run.code == 3
    pip_audit, *notes = run.json()["notifications"]
    # pip-audit could not reach its OSV service either; the pins then went to OSV directly
    assert pip_audit["level"] == "warning" and pip_audit["message"].startswith("pip-audit failed")
    assert [(n["line"], n["level"]) for n in notes] == [(1, "error"), (2, "error")]
    assert all("could not be audited: cannot reach the OSV API" in n["message"] for n in notes)
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
    assert "run `hullscan db import PATH` or `hullscan db update` first" in run.err


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
    errors = [n for n in run.json()["notifications"] if n["level"] == "error"]
    assert sorted(n["message"].split()[0] for n in errors) == ["flask", "jinja2"]
    lines = (repo.root / "Pipfile.lock").read_text().splitlines()
    for note in errors:
        assert note["message"].split()[0] in lines[note["line"] - 1]
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
