"""The registry's file extractors in images: lockfiles and installed-package records found in
an image's layers, read by the code that reads them in a repository, reported with their
in-image path and on the Dockerfile line of the layer that added them (images built by the
tests, OSV records written by the tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo
from image_builder import DEBIAN_OS_RELEASE, Layer, TestImage, docker_archive_legacy, dpkg_status

from hullscan.packages.interface import ScanInput
from hullscan.packages.lockfiles import LockfileExtractor
from hullscan.vuln.local_db import LocalDatabase

DOCKERFILE = """\
FROM debian:12
WORKDIR /app
COPY requirements.txt package-lock.json ./
RUN pip install -r requirements.txt
COPY app /app
"""
BASE = {
    "etc/os-release": DEBIAN_OS_RELEASE,
    "var/lib/dpkg/status": dpkg_status(("bash", "5.2.15-2+b2", None)),
}
REQUIREMENTS = "# pinned\nflask==0.12.2\nrequests==2.25.0\nsix>=1.0\n"
PACKAGE_LOCK = json.dumps({
    "name": "app", "version": "1.0.0", "lockfileVersion": 3,
    "packages": {"": {"name": "app", "version": "1.0.0"},
                 "node_modules/lodash": {"version": "4.17.20"}},
}, indent=2)
REQUESTS_METADATA = ("usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA",
                     "Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\n")


def record(osv_id: str, ecosystem: str, name: str, fixed: str) -> dict[str, Any]:
    return {"schema_version": "1.6.0", "id": osv_id, "modified": "2026-01-01T00:00:00Z",
            "summary": f"{name} problem",
            "severity": [{"type": "CVSS_V3",
                          "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                          "ranges": [{"type": "ECOSYSTEM",
                                      "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]}


def osv_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                records: list[dict[str, Any]]) -> None:
    """A local OSV database holding `records`, used by the runs of this test."""
    folder = tmp_path / "osv"
    folder.mkdir()
    # the base image's Debian packages need Debian data, or the image is not audited
    for item in [*records, record("DSA-0000-1", "Debian:12", "zlib", "1:1.2.13")]:
        (folder / f"{item['id']}.json").write_text(json.dumps(item))
    database = LocalDatabase(tmp_path / "osv.sqlite3")
    database.import_path(folder)
    database.close()
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(tmp_path / "osv.sqlite3"))


def scan(hullscan: Any, repo: Repo, dockerfile: str, layers: list[Layer]
         ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], Any]:
    """(findings by rule id, SBOM components by purl, the JSON run) of the image built from
    `layers`, scanned with `dockerfile`."""
    repo.write("Dockerfile", dockerfile)
    repo.commit()
    docker_archive_legacy(TestImage(layers=layers, config={"User": "1000"}),
                          repo.root / "app.tar")
    args = ("image", "docker-archive:app.tar", "--dockerfile", "Dockerfile")
    run = hullscan(*args, "--format", "json", cwd=repo.root)
    assert run.code in (0, 1), run.err
    found = {f["rule"]["id"]: f for f in run.json()["findings"]}
    sbom_run = hullscan(*args, "--format", "cyclonedx", "-o", "sbom.json", cwd=repo.root)
    assert sbom_run.code == run.code, sbom_run.err
    sbom = json.loads((repo.root / "sbom.json").read_text())
    return found, {c["purl"]: c for c in sbom["components"] if "purl" in c}, run


def assert_found(finding: dict[str, Any], package: str, version: str, path: str,
                 line: int) -> None:
    assert finding["properties"]["package"] == package
    assert finding["properties"]["installedVersion"] == version
    assert finding["properties"]["imagePath"] == path
    assert finding["location"] == {**finding["location"], "path": "Dockerfile",
                                   "start_line": line}


def component_properties(component: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


def test_lockfile_extractor_in_image_skips_manifests_and_dependencies_own_locks() -> None:
    image = LockfileExtractor(image=True)
    repository = LockfileExtractor()
    for path in ("app/requirements.txt", "srv/package-lock.json", "app/Gemfile.lock",
                 "var/www/composer.lock", "src/go.mod", "app/requirements/prod.txt",
                 "go/src/app/go.mod"):
        assert image.file_required(path, 10), path
    for path in ("app/package.json", "app/pyproject.toml", "app/pom.xml",
                 "app/node_modules/x/yarn.lock",
                 "usr/lib/python3/dist-packages/x/requirements.txt",
                 "root/go/pkg/mod/github.com/a/b@v1.0.0/go.mod",
                 "usr/local/bundle/gems/rack-2.2.3/Gemfile.lock", "app/vendor/a/b/composer.lock",
                 "usr/share/doc/x/requirements.txt", "app/notes.txt", "app/requirements.txt/x",
                 "usr/local/go/src/go.mod", "usr/lib/go-1.19/src/cmd/go.mod",
                 "app/internal/testdata/go.mod"):
        assert not image.file_required(path, 10), path
    assert repository.file_required("app/package.json")
    assert not image.file_required("app/requirements.txt", 0)

    result = image.extract(ScanInput("app/requirements.txt", REQUIREMENTS.encode()))
    assert [(p.name, p.version, p.ecosystem, p.purl, p.path, p.line) for p in result.packages] \
        == [("flask", "0.12.2", "PyPI", "pkg:pypi/flask@0.12.2", "app/requirements.txt", 2),
            ("requests", "2.25.0", "PyPI", "pkg:pypi/requests@2.25.0", "app/requirements.txt",
             3)]
    assert result.problems == ("app/requirements.txt:4: six cannot be audited: "
                               + result.problems[0].split("cannot be audited: ", 1)[1],)
    broken = image.extract(ScanInput("app/package-lock.json", b"{\n  \"packages\": [\n"))
    assert broken.packages == ()
    assert broken.problems[0].startswith("app/package-lock.json:")
    assert "cannot read" in broken.problems[0]


def test_lockfiles_in_an_image_are_audited_on_the_line_of_the_layer_that_added_them(
        hullscan: Any, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    osv_records(tmp_path, monkeypatch, [
        record("GHSA-flsk-0000-0001", "PyPI", "Flask", "1.0"),
        record("GHSA-rqst-0000-0002", "PyPI", "requests", "2.31.0"),
        record("GHSA-ldsh-0000-0003", "npm", "lodash", "4.17.21"),
    ])
    found, components, _run = scan(hullscan, repo, DOCKERFILE, [
        Layer(BASE, "/bin/sh -c #(nop) ADD file:5d6a8e in / "),
        Layer({"app/requirements.txt": REQUIREMENTS, "app/package-lock.json": PACKAGE_LOCK},
              "COPY requirements.txt package-lock.json ./ # buildkit"),
        Layer({REQUESTS_METADATA[0]: REQUESTS_METADATA[1]},
              "RUN /bin/sh -c pip install -r requirements.txt # buildkit"),
        # a dependency's own lockfile is not the application's
        Layer({"app/node_modules/lodash/package.json": json.dumps(
                   {"name": "lodash", "version": "4.17.20"}),
               "app/node_modules/lodash/yarn.lock": "flask==0.1\n"},
              "COPY app /app # buildkit"),
    ])
    assert_found(found["GHSA-flsk-0000-0001"], "flask", "0.12.2", "app/requirements.txt", 3)
    # pinned by the requirements file and installed: reported once, as the installed package
    assert_found(found["GHSA-rqst-0000-0002"], "requests", "2.25.0",
                 REQUESTS_METADATA[0].rpartition("/")[0], 4)
    flask = components["pkg:pypi/flask@0.12.2"]
    assert component_properties(flask)["hullscan:location"] == "app/requirements.txt"
    assert component_properties(flask)["hullscan:line"] == "2"
    # pinned by package-lock.json and installed: one component, the installed package
    sbom = json.loads((repo.root / "sbom.json").read_text())
    lodash = [c for c in sbom["components"] if c.get("purl") == "pkg:npm/lodash@4.17.20"]
    assert [component_properties(c)["hullscan:location"] for c in lodash] == [
        "app/node_modules/lodash/package.json"]


LANGUAGES_DOCKERFILE = """\
FROM debian:12
RUN gem install rack -v 2.2.3
COPY --from=composer /app/vendor /var/www/vendor
COPY publish/ /app/
RUN conda install -y numpy=1.26.4
"""
GEMSPEC = ("usr/local/bundle/specifications/rack-2.2.3.gemspec",
           'Gem::Specification.new do |s|\n  s.name = "rack".freeze\n  s.version = "2.2.3"\nend\n')
INSTALLED_JSON = ("var/www/vendor/composer/installed.json", json.dumps(
    {"packages": [{"name": "monolog/monolog", "version": "2.9.1"},
                  {"name": "symfony/http-kernel", "version": "v5.4.0"}]}, indent=4))
DEPS_JSON = ("app/MyApp.deps.json", json.dumps(
    {"libraries": {"MyApp/1.0.0": {"type": "project"},
                   "Newtonsoft.Json/12.0.1": {"type": "package"}}}))
CONDA = ("opt/conda/conda-meta/numpy-1.26.4-py311h64a7726_0.json",
         json.dumps({"name": "numpy", "version": "1.26.4", "build": "py311h64a7726_0"}))


def test_gems_composer_dotnet_and_conda_packages_of_an_image(
        hullscan: Any, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    osv_records(tmp_path, monkeypatch, [
        record("GHSA-rack-0000-0001", "RubyGems", "rack", "2.2.6.3"),
        record("GHSA-symf-0000-0002", "Packagist", "symfony/http-kernel", "5.4.20"),
        record("GHSA-nwtn-0000-0003", "NuGet", "Newtonsoft.Json", "13.0.1"),
    ])
    found, components, _run = scan(hullscan, repo, LANGUAGES_DOCKERFILE, [
        Layer(BASE, "/bin/sh -c #(nop) ADD file:5d6a8e in / "),
        Layer({GEMSPEC[0]: GEMSPEC[1]}, "RUN /bin/sh -c gem install rack -v 2.2.3 # buildkit"),
        Layer({INSTALLED_JSON[0]: INSTALLED_JSON[1]},
              "COPY /app/vendor /var/www/vendor # buildkit"),
        Layer({DEPS_JSON[0]: DEPS_JSON[1]}, "COPY publish/ /app/ # buildkit"),
        Layer({CONDA[0]: CONDA[1]},
              "RUN /bin/sh -c conda install -y numpy=1.26.4 # buildkit"),
    ])
    assert_found(found["GHSA-rack-0000-0001"], "rack", "2.2.3", GEMSPEC[0], 2)
    assert_found(found["GHSA-symf-0000-0002"], "symfony/http-kernel", "5.4.0",
                 INSTALLED_JSON[0], 3)
    assert_found(found["GHSA-nwtn-0000-0003"], "Newtonsoft.Json", "12.0.1", DEPS_JSON[0], 4)
    assert found["GHSA-rack-0000-0001"]["properties"]["purl"] == "pkg:gem/rack@2.2.3"
    for purl, path, layer in (("pkg:gem/rack@2.2.3", GEMSPEC[0], "2"),
                              ("pkg:composer/monolog/monolog@2.9.1", INSTALLED_JSON[0], "3"),
                              ("pkg:composer/symfony/http-kernel@5.4.0", INSTALLED_JSON[0], "3"),
                              ("pkg:nuget/Newtonsoft.Json@12.0.1", DEPS_JSON[0], "4"),
                              ("pkg:conda/numpy@1.26.4", CONDA[0], "5")):
        properties = component_properties(components[purl])
        assert properties["hullscan:location"] == path, purl
        assert properties["hullscan:layer"] == layer, purl
    assert "pkg:nuget/MyApp@1.0.0" not in components


def test_rust_binary_built_with_cargo_auditable(hullscan: Any, repo: Repo, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from elf_builder import dep_v0, elf

    osv_records(tmp_path, monkeypatch, [record("RUSTSEC-2099-0001", "crates.io", "smallvec",
                                               "1.6.1")])
    section = dep_v0(("smallvec", "1.6.0", "crates.io"), ("server", "0.3.0", "local"))
    # over 64 KiB: the Go inventory streams it too, and both read it in one pass
    binary = elf([(b".text", b"\xc3" * 16), (b".dep-v0", section)], padding=200_000)
    broken = elf([(b".dep-v0", b"not zlib")], padding=2000)
    dockerfile = "FROM debian:12\nCOPY --from=build /out/server /usr/local/bin/server\n" \
        "COPY tools/ /usr/local/bin/\n"
    found, components, run = scan(hullscan, repo, dockerfile, [
        Layer(BASE, "/bin/sh -c #(nop) ADD file:5d6a8e in / "),
        Layer({"usr/local/bin/server": (binary, 0o755)},
              "COPY /out/server /usr/local/bin/server # buildkit"),
        Layer({"usr/local/bin/tool": (broken, 0o755),
               "usr/local/bin/ls": (elf([], padding=2000), 0o755)},
              "COPY tools/ /usr/local/bin/ # buildkit"),
    ])
    assert "RUSTSEC-2099-0001" in found, (run.err, list(components))
    assert_found(found["RUSTSEC-2099-0001"], "smallvec", "1.6.0", "usr/local/bin/server", 2)
    assert component_properties(components["pkg:cargo/smallvec@1.6.0"])["hullscan:location"] \
        == "usr/local/bin/server"
    assert "pkg:cargo/server@0.3.0" in components  # the binary's own crate: listed, not matched
    warnings = [n["message"] for n in run.json()["notifications"]]
    assert any("usr/local/bin/tool: .dep-v0 section is not zlib data" in w for w in warnings)


def test_hostile_package_records_in_an_image_are_warnings_never_crashes(
        hullscan: Any, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from elf_builder import elf

    osv_records(tmp_path, monkeypatch, [record("GHSA-gem0-0000-0001", "RubyGems", "y", "2")])

    hostile = {
        "var/www/vendor/composer/installed.json": "[" * 100_000,
        "app/Big.deps.json": '{"libraries": {"' + "x" * (17 * 1024 * 1024) + '/1": {}}}',
        "usr/local/bundle/specifications/x-1.gemspec": b"\xff\x00" * 1000,
        "opt/conda/conda-meta/a.json": '{"name": ["x"]}',
        "app/requirements.txt": b"flask==1.0\x00\n",
        "usr/local/bin/app": (elf([(b".dep-v0", b"\x78\x9c" + b"\xff" * 5000)], padding=2000),
                              0o755),
    }
    _found, _components, run = scan(hullscan, repo, "FROM debian:12\nCOPY . /\n", [
        Layer(BASE, "/bin/sh -c #(nop) ADD file:5d6a8e in / "),
        Layer(hostile, "COPY . / # buildkit"),
    ])
    assert "Traceback" not in run.err
    warnings = "\n".join(n["message"] for n in run.json()["notifications"])
    for path in hostile:
        if path != "usr/local/bundle/specifications/x-1.gemspec":  # its file name is enough
            assert path in warnings, path
