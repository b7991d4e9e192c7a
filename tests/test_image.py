"""The image checker end to end: images built by the tests (docker-archive legacy and OCI, OCI
layout folders, unpacked folders), OSV records written by the tests, the CLI as users run it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo
from image_builder import (
    ALPINE_OS_RELEASE,
    DEBIAN_OS_RELEASE,
    Layer,
    TestImage,
    apk_installed,
    docker_archive_legacy,
    docker_archive_oci,
    dpkg_status,
    oci_layout,
)

from hullscan.vuln.local_db import LocalDatabase

DOCKERFILE = """\
FROM python:3.12-slim AS builder
RUN pip wheel --wheel-dir /wheels requests

FROM debian:12
RUN apt-get update && apt-get install -y curl
COPY --from=builder /wheels /wheels
RUN pip install /wheels/*.whl
USER 10001
"""
BASE = {
    "usr/lib/os-release": DEBIAN_OS_RELEASE,
    "etc/os-release": ("symlink", "../usr/lib/os-release"),
    "etc/debian_version": "12.5\n",
    "var/lib/dpkg/status": dpkg_status(
        ("libssl3", "3.0.11-1~deb12u2", "openssl"),
        ("bash", "5.2.15-2+b2", None),
        ("linux-libc-dev", "6.1.76-1", "linux"),
    ),
}
CURL_STATUS = dpkg_status(
    ("libssl3", "3.0.11-1~deb12u2", "openssl"),
    ("bash", "5.2.15-2+b2", None),
    ("linux-libc-dev", "6.1.76-1", "linux"),
    ("curl", "7.88.1-10+deb12u5", None),
    ("libcurl4", "7.88.1-10+deb12u5", "curl"),
)
REQUESTS = ("usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\n")


def debian_image(**config: Any) -> TestImage:
    return TestImage(
        layers=[
            Layer(BASE, "/bin/sh -c #(nop) ADD file:5d6a8e in / "),
            Layer({"var/lib/dpkg/status": CURL_STATUS},
                  "RUN /bin/sh -c apt-get update && apt-get install -y curl # buildkit"),
            Layer({"wheels/requests-2.25.0-py3-none-any.whl": b"PK\x05\x06" + b"\0" * 18},
                  "COPY /wheels /wheels # buildkit"),
            Layer({REQUESTS[0]: REQUESTS[1]},
                  "RUN /bin/sh -c pip install /wheels/*.whl # buildkit"),
        ],
        config={"User": "10001", **config},
        empty_history=[(1, '/bin/sh -c #(nop)  CMD ["bash"]'), (5, "USER 10001")],
    )


def record(osv_id: str, ecosystem: str, name: str, introduced: str, fixed: str | None,
           severity: str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
           urgency: str | None = None, aliases: tuple[str, ...] = ()) -> dict[str, Any]:
    events: list[dict[str, str]] = [{"introduced": introduced}]
    if fixed:
        events.append({"fixed": fixed})
    affected: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name},
                                "ranges": [{"type": "ECOSYSTEM", "events": events}]}
    if urgency:
        affected["ecosystem_specific"] = {"urgency": urgency}
    return {"schema_version": "1.6.0", "id": osv_id, "modified": "2026-01-01T00:00:00Z",
            "aliases": list(aliases), "summary": f"{name} problem {osv_id}",
            "severity": [{"type": "CVSS_V3", "score": severity}], "affected": [affected]}


RECORDS = [
    record("DSA-9001-1", "Debian:12", "openssl", "0", "3.0.13-1~deb12u1",
           aliases=("CVE-2099-0001",)),
    record("DLA-9002-1", "Debian:12", "curl", "0", "7.88.1-10+deb12u6",
           severity="CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"),
    record("DEBIAN-CVE-2099-0003", "Debian:12", "bash", "0", None, urgency="unimportant"),
    record("DEBIAN-CVE-2099-0004", "Debian:12", "linux", "0", "6.1.90-1"),
    record("GHSA-9999-aaaa-bbbb", "PyPI", "requests", "0", "2.31.0",
           aliases=("CVE-2099-0005",)),
    record("ALPINE-CVE-2099-0006", "Alpine:v3.19", "openssl", "0", "3.1.4-r5"),
    record("DEBIAN-CVE-2099-0007", "Debian:12", "curl", "0", None),
]


@pytest.fixture
def osv_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "osv"
    folder.mkdir()
    for item in RECORDS:
        (folder / f"{item['id']}.json").write_text(json.dumps(item))
    path = tmp_path / "osv.sqlite3"
    database = LocalDatabase(path)
    database.import_path(folder)
    database.close()
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(path))
    return path


def findings(run: Any) -> list[dict[str, Any]]:
    return [f for f in run.json()["findings"] if not f["suppression"]]


def by_rule(run: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["rule"]["id"], f["properties"].get("package", "")): f for f in findings(run)}


@pytest.mark.parametrize("layout", ["legacy", "oci-in-tar", "oci-folder"])
def test_packages_are_matched_by_source_and_point_at_dockerfile_lines(
    hullscan, repo: Repo, osv_db: Path, layout: str
) -> None:
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    image = debian_image()
    if layout == "legacy":
        docker_archive_legacy(image, repo.root / "app.tar")
        ref = "docker-archive:app.tar"
    elif layout == "oci-in-tar":
        docker_archive_oci(image, repo.root / "app.tar")
        ref = "docker-archive:app.tar"
    else:
        oci_layout({"1.0": image}, repo.root / "layout")
        ref = "oci:layout:1.0"
    run = hullscan("image", ref, "--dockerfile", "Dockerfile", "--format", "json",
                   "--sarif", "image.sarif", cwd=repo.root)
    assert run.code == 1, run.err
    found = by_rule(run)
    # libssl3 is built from openssl: matched by its source package, found in the base image
    ssl = found[("DSA-9001-1", "libssl3")]
    assert ssl["location"]["path"] == "Dockerfile" and ssl["location"]["start_line"] == 4
    assert ssl["severity"] == "critical"
    assert ssl["properties"]["sourcePackage"] == "openssl"
    assert ssl["properties"]["fixedVersion"] == "3.0.13-1~deb12u1"
    assert ssl["properties"]["layer"] == 1
    assert "(source openssl 3.0.11-1~deb12u2)" in ssl["message"]
    assert "FROM debian:12 (base image" in ssl["message"]
    assert "DSA-9001-1, CVE-2099-0001" in ssl["message"]
    # curl and libcurl4 came with the RUN apt-get line: binary packages of the source curl,
    # one finding for the source's advisory naming both
    curl = found[("DLA-9002-1", "curl")]
    assert curl["location"]["start_line"] == 5
    assert "layer 2 (RUN apt-get update && apt-get install -y curl)" in curl["message"]
    assert "curl, libcurl4 7.88.1-10+deb12u5 (source curl 7.88.1-10+deb12u5) from layer 2" \
        in curl["message"]
    assert " are affected by DLA-9002-1" in curl["message"]
    assert curl["properties"]["packages"] == ["curl", "libcurl4"]
    assert curl["properties"]["sourcePackage"] == "curl"
    assert ("DLA-9002-1", "libcurl4") not in found
    assert sum(1 for f in findings(run) if f["rule"]["id"] == "DLA-9002-1") == 1
    # the Python package: installed by the last RUN
    assert found[("GHSA-9999-aaaa-bbbb", "requests")]["location"]["start_line"] == 7
    # hidden: Debian "unimportant"; kernel advisories on linux-libc-dev (headers)
    assert not any(rule == "DEBIAN-CVE-2099-0003" for rule, _ in found)
    assert not any(rule == "DEBIAN-CVE-2099-0004" for rule, _ in found)
    # one result per package and advisory group, never per alias
    assert not any(rule == "CVE-2099-0001" for rule, _ in found)
    sarif = json.loads((repo.root / "image.sarif").read_text())
    image_run = next(r for r in sarif["runs"] if r["automationDetails"]["id"] == "hullscan/image/")
    assert image_run["invocations"][0]["executionSuccessful"] is True


def test_unimportant_shown_when_configured_and_ignore_unfixed(hullscan, repo: Repo,
                                                              osv_db: Path) -> None:
    repo.write("Dockerfile", DOCKERFILE)
    repo.write(".hullscan.yaml", "checkers:\n  image:\n    show_unimportant: true\n")
    repo.commit()
    docker_archive_legacy(debian_image(), repo.root / "app.tar")
    run = hullscan("image", "docker-archive:app.tar", "--format", "json", cwd=repo.root)
    assert ("DEBIAN-CVE-2099-0003", "bash") in by_rule(run)
    assert ("DEBIAN-CVE-2099-0007", "curl") in by_rule(run)
    unfixed = hullscan("image", "docker-archive:app.tar", "--format", "json",
                       "--ignore-unfixed", cwd=repo.root)
    rules = {rule for rule, _ in by_rule(unfixed)}
    assert "DEBIAN-CVE-2099-0003" not in rules and "DEBIAN-CVE-2099-0007" not in rules
    assert "DSA-9001-1" in rules


def test_dockerfile_found_next_to_the_context_by_default(hullscan, repo: Repo,
                                                         osv_db: Path) -> None:
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    docker_archive_legacy(debian_image(), repo.root / "app.tar")
    run = hullscan("image", "docker-archive:app.tar", cwd=repo.root)
    assert "Dockerfile:5:1 low DLA-9002-1" in run.out


def test_without_dockerfile_findings_point_at_the_anchor(hullscan, repo: Repo,
                                                         osv_db: Path) -> None:
    repo.write("deploy/image.txt", "app image\n")
    repo.commit()
    docker_archive_legacy(debian_image(), repo.root / "app.tar")
    run = hullscan("image", "docker-archive:app.tar", "--anchor", "deploy/image.txt",
                   "--sarif", "out.sarif", "--format", "json", cwd=repo.root)
    assert run.code == 1
    assert {f["location"]["path"] for f in findings(run)} == {"deploy/image.txt"}
    assert {f["location"]["start_line"] for f in findings(run)} == {1}
    # without a file to point at, SARIF cannot be written: a usage error, not a broken upload
    missing = hullscan("image", "docker-archive:app.tar", "--sarif", "x.sarif", cwd=repo.root)
    assert missing.code == 2
    assert "give --dockerfile PATH" in missing.err
    assert not (repo.root / "x.sarif").exists()


def test_whiteouts_and_opaque_folders_remove_packages(hullscan, repo: Repo,
                                                      osv_db: Path) -> None:
    repo.write("Dockerfile", "FROM debian:12\nRUN pip install requests\n"
               "RUN pip uninstall -y requests\n")
    repo.commit()
    image = TestImage([
        Layer(BASE, "ADD rootfs"),
        Layer({REQUESTS[0]: REQUESTS[1],
               "opt/app/node_modules/left-pad/package.json":
                   '{"name": "left-pad", "version": "1.0.0"}'},
              "RUN /bin/sh -c pip install requests # buildkit"),
        Layer({"usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info": ("whiteout",),
               "opt/app/node_modules": ("opaque",)},
              "RUN /bin/sh -c pip uninstall -y requests # buildkit"),
    ], config={"User": "1000"})
    docker_archive_legacy(image, repo.root / "app.tar")
    run = hullscan("image", "docker-archive:app.tar", "--format", "json", cwd=repo.root)
    packages = {f["properties"].get("package") for f in findings(run)}
    assert "requests" not in packages and "libssl3" in packages


def test_image_audit(hullscan, repo: Repo, osv_db: Path) -> None:
    repo.write("Dockerfile", "FROM debian:12\nCOPY id_rsa /root/.ssh/id_rsa\n"
               "RUN rm /root/.ssh/id_rsa\nEXPOSE 22\n")
    repo.commit()
    key = ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n"
           "-----END OPENSSH PRIVATE KEY-----\n")
    image = TestImage([
        Layer(BASE, "ADD rootfs"),
        Layer({"root/.ssh/id_rsa": key, "app/.env.example": "TOKEN=changeme\n",
               "etc/ssl/certs/ca.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n"},
              "COPY id_rsa /root/.ssh/id_rsa # buildkit"),
        Layer({"root/.ssh/id_rsa": ("whiteout",)},
              "RUN /bin/sh -c rm /root/.ssh/id_rsa # buildkit"),
    ], config={"Env": ["PATH=/usr/bin", "GITHUB_TOKEN=ghp_" + "A1b2C3d4E5" * 3 + "abcdef"],
               "ExposedPorts": {"22/tcp": {}, "8080/tcp": {}}},
        empty_history=[(3, "EXPOSE map[22/tcp:{}]")])
    docker_archive_legacy(image, repo.root / "app.tar")
    run = hullscan("image", "docker-archive:app.tar", "--format", "json", "--sarif", "a.sarif",
                   cwd=repo.root)
    found = {f["rule"]["id"]: f for f in findings(run)}
    assert found["HS303"]["location"]["start_line"] == 2
    assert "deleted by a later layer but still shipped" in found["HS303"]["message"]
    assert found["HS303"]["severity"] == "critical"
    assert sum(1 for f in findings(run) if f["rule"]["id"] == "HS303") == 1  # not the cert
    assert "HS300" in found  # no USER
    assert "GITHUB_TOKEN" in found["HS301"]["message"]
    assert "A1b2C3d4E5" not in run.out + run.err + (repo.root / "a.sarif").read_text()
    assert "22/tcp" in found["HS302"]["message"]


def test_alpine_packages_match_by_origin(hullscan, repo: Repo, osv_db: Path) -> None:
    repo.write("Dockerfile", "FROM alpine:3.19\n")
    repo.commit()
    image = TestImage([Layer({
        "etc/os-release": ALPINE_OS_RELEASE,
        "lib/apk/db/installed": apk_installed(
            ("libssl3", "3.1.4-r1", "openssl", ["usr/lib/libssl.so.3"]),
            ("busybox", "1.36.1-r15", "busybox", ["bin/busybox"])),
    }, "ADD alpine-minirootfs.tar.gz /")], config={"User": "nobody"})
    docker_archive_legacy(image, repo.root / "app.tar")
    run = hullscan("image", "docker-archive:app.tar", "--format", "json", cwd=repo.root)
    found = by_rule(run)
    assert found[("ALPINE-CVE-2099-0006", "libssl3")]["properties"]["ecosystem"] == "Alpine:v3.19"
    assert found[("ALPINE-CVE-2099-0006", "libssl3")]["location"]["start_line"] == 1


def test_dir_source_and_platform_selection(hullscan, repo: Repo, osv_db: Path) -> None:
    repo.write("Dockerfile", "FROM debian:12\n")
    repo.commit()
    rootfs = repo.root.parent / "rootfs"
    for rel, content in {"usr/lib/os-release": DEBIAN_OS_RELEASE,
                         "var/lib/dpkg/status": CURL_STATUS}.items():
        (rootfs / rel).parent.mkdir(parents=True, exist_ok=True)
        (rootfs / rel).write_text(content)
    (rootfs / "etc").mkdir()
    (rootfs / "etc" / "os-release").symlink_to("../usr/lib/os-release")
    run = hullscan("image", f"dir:{rootfs}", "--format", "json", cwd=repo.root)
    assert ("DLA-9002-1", "curl") in by_rule(run)

    amd = debian_image()
    arm = TestImage([Layer({"usr/lib/os-release": DEBIAN_OS_RELEASE,
                            "var/lib/dpkg/status": dpkg_status(("curl", "7.88.1-10+deb12u6",
                                                                None))})],
                    config={"User": "1"}, architecture="arm64")
    oci_layout({"linux/amd64": amd, "linux/arm64/v8": arm}, repo.root.parent / "multi",
               platforms=True, attestation=True)
    ref = f"oci:{repo.root.parent / 'multi'}"
    on_arm = hullscan("image", ref, "--platform", "linux/arm64", "--format", "json",
                      cwd=repo.root)
    assert ("DLA-9002-1", "curl") not in by_rule(on_arm)  # the arm64 image has the fix
    assert ("DLA-9002-1", "curl") in by_rule(hullscan("image", ref, "--format", "json",
                                                       cwd=repo.root))
    none = hullscan("image", ref, "--platform", "linux/s390x", cwd=repo.root)
    assert none.code == 3
    assert "no image for platform linux/s390x (available: linux/amd64, linux/arm64/v8)" \
        in none.err


def test_scan_with_image_runs_every_checker_and_new_only_keeps_image_findings(
    hullscan, repo: Repo, osv_db: Path
) -> None:
    from conftest import git

    repo.write("Dockerfile", DOCKERFILE)
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("README.md", "docs\n")
    repo.commit("docs only")
    docker_archive_legacy(debian_image(), repo.root.parent / "app.tar")
    run = hullscan("scan", ".", "--image", f"docker-archive:{repo.root.parent / 'app.tar'}",
                   "--new-only", "--base", "main", "--format", "json", cwd=repo.root)
    checkers = {c["name"] for c in run.json()["checkers"]}
    assert {"dockerfile", "image"} <= checkers
    image_findings = [f for f in findings(run) if f["checker"] == "image"]
    assert image_findings and all(f["baseline_state"] == "new" for f in image_findings)
    assert run.code == 1


def test_a_database_without_the_release_fails_closed_per_ecosystem(
    hullscan, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a real database imported from a folder holding PyPI and Alpine:v3.19 records only
    folder = tmp_path / "osv-partial"
    folder.mkdir()
    for item in RECORDS:
        if item["affected"][0]["package"]["ecosystem"] in ("PyPI", "Alpine:v3.19"):
            (folder / f"{item['id']}.json").write_text(json.dumps(item))
    path = tmp_path / "partial.sqlite3"
    assert hullscan("db", "import", str(folder), env={"HULLSCAN_OSV_DB": str(path)},
                    cwd=tmp_path).code == 0
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(path))
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    docker_archive_legacy(debian_image(), repo.root / "app.tar")
    run = hullscan("image", "docker-archive:app.tar", "--offline", "--format", "json",
                   "--sarif", "image.sarif", cwd=repo.root)
    assert run.code == 3  # the Debian packages were not audited: never a pass
    assert {rule for rule, _ in by_rule(run) if rule.startswith("GHSA")} == {
        "GHSA-9999-aaaa-bbbb"}  # the PyPI package is still audited
    assert not any(f["properties"].get("ecosystem") == "Debian:12" for f in findings(run))
    errors = [n for n in run.json()["notifications"] if n["level"] == "error"]
    (error,) = errors  # one per ecosystem, not one per package
    assert error["message"].startswith(  # by source package, as OSV's Debian data is
        "docker-archive:app.tar: 3 Debian:12 package(s) (openssl 3.0.11-1~deb12u2, bash "
        "5.2.15-2")
    assert (f"could not be audited: the local OSV database at {path} holds no Debian:12 data: "
            "run `hullscan db update --ecosystem Debian:12`") in error["message"]
    sarif = json.loads((repo.root / "image.sarif").read_text())
    image_run = next(r for r in sarif["runs"] if r["automationDetails"]["id"] == "hullscan/image/")
    assert image_run["invocations"][0]["executionSuccessful"] is False
    # another release of a distribution the database holds is missing data too
    image = TestImage([Layer({
        "etc/os-release": ALPINE_OS_RELEASE.replace("3.19.1", "3.20.3").replace("v3.19",
                                                                                "v3.20"),
        "lib/apk/db/installed": apk_installed(
            ("libssl3", "3.1.4-r1", "openssl", ["usr/lib/libssl.so.3"])),
    }, "ADD alpine-minirootfs.tar.gz /")], config={"User": "nobody"})
    docker_archive_legacy(image, repo.root / "alpine.tar")
    alpine = hullscan("image", "docker-archive:alpine.tar", "--offline", "--format", "json",
                      cwd=repo.root)
    assert alpine.code == 3
    (error,) = [n for n in alpine.json()["notifications"] if n["level"] == "error"]
    assert "holds no Alpine:v3.20 data (it holds Alpine:v3.19): run `hullscan db update " \
        "--ecosystem Alpine:v3.20`" in error["message"]


def test_sbom_components_in_json_and_missing_osv_data_fails_closed(
    hullscan, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(tmp_path / "missing.sqlite3"))
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    docker_archive_legacy(debian_image(), repo.root / "app.tar")
    run = hullscan("image", "docker-archive:app.tar", "--format", "json", cwd=repo.root)
    assert run.code == 3
    assert "could not be audited" in run.err


def test_bad_references_are_one_line_errors(hullscan, repo: Repo, osv_db: Path) -> None:
    repo.write("Dockerfile", "FROM scratch\n")
    repo.commit()
    (repo.root / "notes.txt").write_text("not an image")
    (repo.root / "empty").mkdir()
    cases = {  # exit 2: nothing there (usage); exit 3: something there, not an image
        "docker-archive:missing.tar": (2, "missing.tar: no such file"),
        "docker-archive:notes.txt": (3, "not a readable image archive"),
        "oci:nowhere": (2, "nowhere: no such file or folder"),
        "oci:empty": (3, "is not an OCI image layout"),
        "dir:nowhere": (2, "nowhere: no such folder"),
    }
    for ref, (code, message) in cases.items():
        run = hullscan("image", ref, cwd=repo.root)
        assert run.code == code, ref
        errors = [line for line in run.err.splitlines() if line.startswith("hullscan: error")]
        assert len(errors) == 1 and message in errors[0], (ref, run.err)
        assert "Traceback" not in run.err


def test_cyclonedx_sbom_of_an_image(hullscan, repo: Repo, osv_db: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    from hullscan.formats.cyclonedx import SCHEMA_VERSION

    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    docker_archive_legacy(debian_image(), repo.root / "app.tar")
    run = hullscan("image", "docker-archive:app.tar", "--format", "cyclonedx", "-o", "sbom.json",
                   cwd=repo.root)
    assert run.code == 1
    text = (repo.root / "sbom.json").read_text()
    version = SchemaVersion.from_version(SCHEMA_VERSION) if isinstance(SCHEMA_VERSION, str) \
        else SCHEMA_VERSION
    assert JsonStrictValidator(version).validate_str(text) is None
    sbom = json.loads(text)
    assert sbom["metadata"]["component"]["name"] == "docker-archive:app.tar"
    properties = {p["name"]: p["value"] for p in sbom["metadata"]["component"]["properties"]}
    assert properties["hullscan:os"] == "Debian GNU/Linux 12 (bookworm) (point release 12.5)"
    purls = {c.get("purl", "") for c in sbom["components"]}
    assert any(p.startswith("pkg:deb/debian/libssl3@3.0.11-1~deb12u2") for p in purls)
    assert "pkg:pypi/requests@2.25.0" in purls
    ids = {v["id"] for v in sbom["vulnerabilities"]}
    assert {"DSA-9001-1", "GHSA-9999-aaaa-bbbb"} <= ids


def test_demo_image_of_the_examples(hullscan, tmp_path: Path) -> None:
    """The README's main job: the insecure app's demo image, matched against the demo data."""
    import runpy

    from conftest import EXAMPLES, PROJECT

    build = runpy.run_path(str(EXAMPLES / "demo-image" / "build.py"))["build"]
    archive = build(tmp_path / "demo.tar")
    run = hullscan("scan", "examples/insecure-app", "--image", f"docker-archive:{archive}",
                   "--dockerfile", "examples/insecure-app/Dockerfile", "--format", "json",
                   "--sarif", str(tmp_path / "demo.sarif"), cwd=PROJECT)
    assert run.code == 1
    image = {(f["rule"]["id"], f["location"]["start_line"]) for f in findings(run)
             if f["checker"] == "image"}
    assert ("x_HULLSCAN-DEMO-0005", 7) in image  # libssl3 from the ubuntu base: FROM line
    assert ("x_HULLSCAN-DEMO-0006", 11) in image  # openssh from the apt-get RUN line
    # the copied SSH key, EXPOSE 22 and the ENV secret are each reported once, by the
    # Dockerfile rule at the same line, with the image's finding in its properties
    assert not any(rule in ("HS301", "HS302", "HS303") for rule, _ in image)
    merged = {(f["rule"]["id"], f["location"]["start_line"]):
              [a["ruleId"] for a in f["properties"].get("alsoReportedAs", [])]
              for f in findings(run) if f["checker"] == "dockerfile"}
    assert merged[("HS111", 12)] == ["HS303"]
    assert merged[("HS133", 15)] == ["HS302"]
    assert {"HS301", "HS210"} <= set(merged[("HS110", 8)])
    assert any(f["rule"]["id"] == "HS110" and f["location"]["start_line"] == 8
               for f in findings(run))


def test_distroless_status_d_and_language_packages_owned_by_os_packages(
    hullscan, repo: Repo, osv_db: Path
) -> None:
    repo.write("Dockerfile", "FROM gcr.io/distroless/python3-debian12\nUSER 65532\n")
    repo.commit()
    dist = "usr/lib/python3/dist-packages/requests-2.25.0.dist-info"
    image = TestImage([Layer({
        "etc/os-release": DEBIAN_OS_RELEASE,
        # distroless: one status file per package, no var/lib/dpkg/status
        "var/lib/dpkg/status.d/libssl3": dpkg_status(("libssl3", "3.0.11-1~deb12u2",
                                                      "openssl")),
        "var/lib/dpkg/status.d/libssl3.md5sums": "d41d8cd98f00b204e9800998ecf8427e  x\n",
        "var/lib/dpkg/status.d/python3-requests": dpkg_status(
            ("python3-requests", "2.25.0+dfsg-2", "requests")),
        # Debian's python3-requests owns the dist-info: reported once, as the OS package
        "var/lib/dpkg/info/python3-requests.list": f"/{dist}\n/{dist}/METADATA\n",
        f"{dist}/METADATA": "Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\n",
    }, "ADD rootfs /")], config={"User": "65532"})
    docker_archive_legacy(image, repo.root / "app.tar")
    run = hullscan("image", "docker-archive:app.tar", "--format", "json", cwd=repo.root)
    found = by_rule(run)
    assert ("DSA-9001-1", "libssl3") in found
    assert not any(package == "requests" for _, package in found)  # not as PyPI


def test_docker_daemon_source_streams_docker_save(hullscan, repo: Repo, osv_db: Path,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """docker:NAME runs `docker save NAME` and reads its stdout in one pass (this machine has
    no daemon: a stand-in `docker` prints a saved archive, or fails as the real one does)."""
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    archive = docker_archive_oci(debian_image(), tmp_path / "saved.tar")
    docker = tmp_path / "docker"
    docker.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = save ] && [ "$2" = app:1 ]; then exec cat "' + str(archive) + '"; fi\n'
        'echo "Error response from daemon: reference does not exist" >&2\nexit 1\n'
    )
    docker.chmod(0o755)
    monkeypatch.setenv("HULLSCAN_DOCKER", str(docker))
    run = hullscan("image", "docker:app:1", "--format", "json", cwd=repo.root)
    assert ("DSA-9001-1", "libssl3") in by_rule(run)
    missing = hullscan("image", "docker:nope:2", cwd=repo.root)
    assert missing.code == 3
    assert "docker save failed" in missing.err and "reference does not exist" in missing.err


def test_registry_pull_end_to_end_and_bare_name_falls_back_from_the_daemon(
    hullscan, repo: Repo, osv_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bare NAME:TAG tries the daemon (none here: `docker version` fails), then pulls from
    the registry (one served on 127.0.0.1, with bearer tokens), and the layer walk, matching
    and Dockerfile lines work on the pulled image as on an archive."""
    from registry_server import running

    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    docker = tmp_path / "docker"
    docker.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    docker.chmod(0o755)
    monkeypatch.setenv("HULLSCAN_DOCKER", str(docker))
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    image = debian_image()
    blobs = image.blobs()
    with running() as registry:
        registry.auth = "bearer"
        registry.push_image("team/app", "1", blobs, json.loads(image.config_json(blobs)))
        for ref in (f"registry:{registry.host}/team/app:1", f"{registry.host}/team/app:1"):
            run = hullscan("image", ref, "--format", "json", "--sarif", "r.sarif",
                           cwd=repo.root)
            assert run.code == 1, run.err
            found = by_rule(run)
            assert found[("DLA-9002-1", "curl")]["location"]["start_line"] == 5
            assert found[("DSA-9001-1", "libssl3")]["location"]["start_line"] == 4


def test_dockerfile_or_anchor_that_cannot_be_used_is_a_usage_error(hullscan, repo: Repo,
                                                                   osv_db: Path) -> None:
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    docker_archive_legacy(debian_image(), repo.root / "app.tar")
    for option, value, message in (("--dockerfile", "nope/Dockerfile", "no such file"),
                                   ("--anchor", "/etc/hostname", "not inside the repository")):
        run = hullscan("image", "docker-archive:app.tar", option, value, cwd=repo.root)
        assert run.code == 2, run.err
        assert run.err.strip().splitlines() == [f"hullscan: error: {value}: {message}"
                                                + run.err.strip().split(message, 1)[1]]
        assert "internal error" not in run.err


PAIR_DOCKERFILE = """\
FROM debian:12
COPY id_rsa /root/.ssh/id_rsa
COPY app.py /app/app.py
EXPOSE 22 8080
CMD ["python3", "/app/app.py"]
"""


def test_dockerfile_and_its_image_report_each_problem_once(hullscan, repo: Repo,
                                                            osv_db: Path) -> None:
    """HS100+HS300 (root), HS133+HS302 (SSH port), HS111+HS303 (copied key) on one line each
    are one finding: the Dockerfile's, with the image's in `alsoReportedAs`."""
    repo.write("Dockerfile", PAIR_DOCKERFILE)
    repo.write("app.py", "print('hi')\n")
    repo.write(".dockerignore", ".git\n")
    repo.commit()
    key = ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n"
           "-----END OPENSSH PRIVATE KEY-----\n")
    image = TestImage([
        Layer(BASE, "ADD rootfs"),
        Layer({"root/.ssh/id_rsa": key}, "COPY id_rsa /root/.ssh/id_rsa # buildkit"),
        Layer({"app/app.py": "print('hi')\n", "app/.aws/credentials":
                   "[default]\naws_secret_access_key = abc123\n"},
              "COPY app.py /app/app.py # buildkit"),
    ], config={"ExposedPorts": {"22/tcp": {}, "8080/tcp": {}}},
        empty_history=[(3, "EXPOSE map[22/tcp:{} 8080/tcp:{}]")])
    docker_archive_legacy(image, repo.root.parent / "app.tar")
    run = hullscan("scan", ".", "--image", f"docker-archive:{repo.root.parent / 'app.tar'}",
                   "--dockerfile", "Dockerfile", "--checkers", "dockerfile",
                   "--format", "json", "--sarif", "out.sarif", cwd=repo.root)
    assert run.code == 1, run.err
    pairs = {"HS100", "HS300", "HS111", "HS303", "HS133", "HS302"}
    ours = [f for f in findings(run) if f["rule"]["id"] in pairs]
    placed = sorted((f["rule"]["id"], f["location"]["start_line"]) for f in ours)
    # one finding per problem; the key the image holds from another COPY stays its own
    assert placed == [("HS100", 1), ("HS111", 2), ("HS133", 4), ("HS303", 3)], placed
    found = {f["rule"]["id"]: f for f in ours}
    root = found["HS100"]
    assert root["checker"] == "dockerfile" and root["severity"] == "high"
    (also,) = root["properties"]["alsoReportedAs"]
    assert also["ruleId"] == "HS300" and also["checker"] == "image"
    assert "containers run as root" in also["message"]
    assert "(also reported as HS300 by the image checker)" in root["message"]
    # the copied key: the image proves it shipped, so the finding takes HS303's severity
    copied = found["HS111"]
    assert copied["severity"] == "critical"
    (also,) = copied["properties"]["alsoReportedAs"]
    assert also["ruleId"] == "HS303" and also["properties"]["imagePath"] == "root/.ssh/id_rsa"
    assert also["severity"] == "critical"
    ssh = found["HS133"]
    assert ssh["severity"] == "medium"
    assert [a["ruleId"] for a in ssh["properties"]["alsoReportedAs"]] == ["HS302"]
    assert found["HS303"]["properties"]["imagePath"] == "app/.aws/credentials"
    assert "alsoReportedAs" not in found["HS303"]["properties"]
    # the SARIF result carries the same property bag (the run is validated by the fixture)
    sarif = json.loads((repo.root / "out.sarif").read_text())
    results = [r for run_ in sarif["runs"] for r in run_["results"]]
    assert {r["ruleId"] for r in results} >= {"HS100", "HS111", "HS133", "HS303"}
    assert not {r["ruleId"] for r in results} & {"HS300", "HS302"}
    key_result = next(r for r in results if r["ruleId"] == "HS111")
    assert key_result["level"] == "error"
    assert key_result["properties"]["severity"] == "critical"
    assert key_result["properties"]["alsoReportedAs"][0]["ruleId"] == "HS303"
    # the image checked alone still reports all of them
    alone = hullscan("image", f"docker-archive:{repo.root.parent / 'app.tar'}",
                     "--dockerfile", "Dockerfile", "--format", "json", cwd=repo.root)
    assert {f["rule"]["id"] for f in findings(alone)} >= {"HS300", "HS302", "HS303"}


def test_binary_packages_of_one_source_are_one_finding_per_advisory(
    hullscan, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """openssh-client and openssh-server, both built from the source package openssh, and one
    Debian advisory for openssh: one finding on the line that installed them, naming both."""
    folder = tmp_path / "osv-openssh"
    folder.mkdir()
    for item in (record("DSA-9100-1", "Debian:12", "openssh", "0", "1:9.2p1-2+deb12u3",
                        aliases=("CVE-2099-0100",)),
                 record("DSA-9001-1", "Debian:12", "openssl", "0", "3.0.13-1~deb12u1")):
        (folder / f"{item['id']}.json").write_text(json.dumps(item))
    database = LocalDatabase(tmp_path / "openssh.sqlite3")
    database.import_path(folder)
    database.close()
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(tmp_path / "openssh.sqlite3"))
    repo.write("Dockerfile", "FROM debian:12\n"
               "RUN apt-get update && apt-get install -y openssh-client\n"
               "RUN apt-get install -y openssh-server\n"
               "USER 10001\n")
    repo.commit()
    base = dpkg_status(("libssl3", "3.0.11-1~deb12u2", "openssl"),
                       ("bash", "5.2.15-2+b2", None))
    client = ("openssh-client", "1:9.2p1-2+deb12u2", "openssh")
    server = ("openssh-server", "1:9.2p1-2+deb12u2", "openssh")
    sftp = ("openssh-sftp-server", "1:9.2p1-2+deb12u2", "openssh")

    def build(*layers: tuple[tuple[str, str, str | None], ...]) -> Path:
        installed: list[tuple[str, str, str | None]] = [
            ("libssl3", "3.0.11-1~deb12u2", "openssl"), ("bash", "5.2.15-2+b2", None)]
        built = [Layer({**BASE, "var/lib/dpkg/status": base}, "ADD rootfs")]
        commands = ["RUN /bin/sh -c apt-get update && apt-get install -y openssh-client "
                    "# buildkit", "RUN /bin/sh -c apt-get install -y openssh-server # buildkit"]
        for command, packages in zip(commands, layers, strict=True):
            installed += packages
            built.append(Layer({"var/lib/dpkg/status": dpkg_status(*installed)}, command))
        archive = repo.root.parent / f"app{len(list(repo.root.parent.glob('app*.tar')))}.tar"
        docker_archive_legacy(TestImage(built, config={"User": "10001"},
                                        empty_history=[(3, "USER 10001")]), archive)
        return archive

    # the server and its sftp helper come with the second RUN: one finding there
    archive = build((client,), (server, sftp))
    run = hullscan("image", f"docker-archive:{archive}", "--dockerfile", "Dockerfile",
                   "--format", "json", "--sarif", "../openssh.sarif", cwd=repo.root)
    assert run.code == 1, run.err
    ssh = [f for f in findings(run) if f["rule"]["id"] == "DSA-9100-1"]
    assert sorted(f["location"]["start_line"] for f in ssh) == [2, 3]
    on_3 = next(f for f in ssh if f["location"]["start_line"] == 3)
    assert on_3["properties"]["packages"] == ["openssh-server", "openssh-sftp-server"]
    assert on_3["properties"]["sourcePackage"] == "openssh"
    assert on_3["properties"]["installedVersions"] == {
        "openssh-server": "1:9.2p1-2+deb12u2", "openssh-sftp-server": "1:9.2p1-2+deb12u2"}
    assert on_3["message"] == (
        f"docker-archive:{archive}: openssh-server, openssh-sftp-server 1:9.2p1-2+deb12u2 "
        "(source openssh 1:9.2p1-2+deb12u2) from layer 3 (RUN apt-get install -y "
        "openssh-server) are affected by DSA-9100-1, CVE-2099-0100: openssh problem "
        "DSA-9100-1; fixed in 1:9.2p1-2+deb12u3")
    assert on_3["severity"] == "critical"
    on_2 = next(f for f in ssh if f["location"]["start_line"] == 2)
    assert on_2["properties"]["package"] == "openssh-client"
    assert "packages" not in on_2["properties"]
    # the other lines: the base image's openssl on FROM, nothing on USER
    others = {(f["rule"]["id"], f["location"]["start_line"]) for f in findings(run)
              if f["rule"]["id"] != "DSA-9100-1"}
    assert others == {("DSA-9001-1", 1)}
    sarif = json.loads((repo.root.parent / "openssh.sarif").read_text())
    results = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "DSA-9100-1"]
    assert len(results) == 2
    assert any(r["properties"].get("packages") == ["openssh-server", "openssh-sftp-server"]
               for r in results)
    # both binaries from the same RUN: one finding for the pair
    archive = build((client, server), ())
    run = hullscan("image", f"docker-archive:{archive}", "--dockerfile", "Dockerfile",
                   "--format", "json", cwd=repo.root)
    (one,) = [f for f in findings(run) if f["rule"]["id"] == "DSA-9100-1"]
    assert one["location"]["start_line"] == 2
    assert one["properties"]["packages"] == ["openssh-client", "openssh-server"]
    assert "openssh-client, openssh-server 1:9.2p1-2+deb12u2 (source openssh" in one["message"]
    # the SBOM's vulnerability affects both components
    sbom = hullscan("image", f"docker-archive:{archive}", "--dockerfile", "Dockerfile",
                    "--format", "cyclonedx", cwd=repo.root).json()
    refs = {c["bom-ref"]: c["name"] for c in sbom["components"]}
    (vuln,) = [v for v in sbom["vulnerabilities"] if v["id"] == "DSA-9100-1"]
    assert sorted(refs[a["ref"]] for a in vuln["affects"]) == ["openssh-client",
                                                               "openssh-server"]


def test_root_from_a_base_stage_is_one_finding(hullscan, repo: Repo, osv_db: Path) -> None:
    """HS100 is on the base stage's USER root, HS300 on the final stage's FROM: once per
    Dockerfile and image, so one finding wherever each puts it."""
    repo.write("Dockerfile", 'FROM debian:12 AS base\nUSER root\n\nFROM base\nCMD ["bash"]\n')
    repo.commit()
    image = TestImage([Layer(BASE, "ADD rootfs")], config={"User": "root"},
                      empty_history=[(1, "USER root"), (2, 'CMD ["bash"]')])
    docker_archive_legacy(image, repo.root.parent / "root.tar")
    run = hullscan("scan", ".", "--image", f"docker-archive:{repo.root.parent / 'root.tar'}",
                   "--dockerfile", "Dockerfile", "--checkers", "dockerfile", "--format", "json",
                   cwd=repo.root)
    root = [f for f in findings(run) if f["rule"]["id"] in ("HS100", "HS300")]
    assert [(f["rule"]["id"], f["location"]["start_line"]) for f in root] == [("HS100", 2)]
    assert [a["ruleId"] for a in root[0]["properties"]["alsoReportedAs"]] == ["HS300"]
    assert "user 'root'" in root[0]["properties"]["alsoReportedAs"][0]["message"]
