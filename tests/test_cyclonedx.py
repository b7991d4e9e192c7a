"""The CycloneDX SBOM: schema-valid, the image and its packages, vulnerabilities, deterministic."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from cyclonedx.validation.json import JsonStrictValidator

from hullscan import __version__
from hullscan.core.errors import UsageError
from hullscan.core.model import (
    CheckerResult,
    Component,
    Finding,
    Location,
    Report,
    Rule,
    Severity,
    Subject,
    Suppression,
    SuppressionKind,
)
from hullscan.formats.cyclonedx import SCHEMA_VERSION, render

DIGEST = "sha256:" + "ab" * 32
IMAGE = "ghcr.io/acme/shop:1.4"

OPENSSL = "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
LIBSSL = "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
MUSL = "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64"
JINJA = "pkg:pypi/jinja2@3.1.2"
BABEL = "pkg:npm/%40babel/traverse@7.22.0"
LOG4J = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
GOLANG = "pkg:golang/golang.org/x/net@v0.17.0"


def _rule(rule_id: str) -> Rule:
    return Rule(rule_id, rule_id.lower(), "short", "full", "help", Severity.HIGH)


def _vuln(
    ids: list[str],
    purl: str | None,
    severity: Severity = Severity.HIGH,
    fixed: str | None = None,
    suppressed: str | None = None,
    message: str | None = None,
) -> Finding:
    properties: dict[str, object] = {"advisories": ids}
    if purl is not None:
        properties["purl"] = purl
    if fixed is not None:
        properties["fixedVersion"] = fixed
    return Finding(
        rule=_rule(ids[0]),
        checker="image",
        severity=severity,
        message=message or f"{purl} is affected by {ids[0]}",
        location=Location(IMAGE),
        properties=properties,
        suppression=(
            Suppression(SuppressionKind.EXTERNAL, suppressed) if suppressed is not None else None
        ),
    )


COMPONENTS = (
    # deliberately not in purl order
    Component("log4j-core", "2.14.1", LOG4J, "maven",
              {"location": "app/lib/log4j-core-2.14.1.jar", "layer": "3"}),
    Component("openssl", "3.0.11-1~deb12u2", OPENSSL, "deb",
              {"layer": "0", "location": "var/lib/dpkg/status", "source": "openssl"}),
    Component("@babel/traverse", "7.22.0", BABEL, "npm", {"layer": "2"}),
    Component("musl", "1.2.4-r2", MUSL, "apk", {"layer": "0"}),
    Component("jinja2", "3.1.2", JINJA, "python",
              {"layer": "1", "location": "usr/lib/python3/dist-packages/Jinja2-3.1.2.dist-info"}),
    # the same package found at a second place: same purl, another bom-ref
    Component("jinja2", "3.1.2", JINJA, "python",
              {"layer": "4", "location": "opt/venv/lib/python3.11/site-packages"}),
    Component("libssl3", "3.0.11-1~deb12u2", LIBSSL, "deb", {"layer": "0"}),
    Component("golang.org/x/net", "v0.17.0", GOLANG, "go", {"location": "app/server"}),
    # a purl that does not parse: the component stays, without a purl
    Component("mystery", "1.0", "not a purl", "rpm", {}),
)

FINDINGS = (
    _vuln(["CVE-2023-5678", "DEBIAN-CVE-2023-5678"], OPENSSL, Severity.MEDIUM,
          fixed="3.0.13-1~deb12u1"),
    # the same advisory on a second package: one vulnerability, two affects
    _vuln(["CVE-2023-5678", "DSA-5585-1"], LIBSSL, Severity.HIGH, fixed="3.0.13-1~deb12u1"),
    _vuln(["GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"], LOG4J, Severity.CRITICAL, fixed="2.15.0"),
    _vuln(["GHSA-67hx-6x53-jw92", "CVE-2023-45133"], BABEL, Severity.CRITICAL, fixed="7.23.2"),
    # purl written with its qualifiers in another order: still the same package
    _vuln(["GHSA-h5c8-rqwp-cp95"], "pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12"
          "&arch=amd64", Severity.LOW),
    # suppressed
    _vuln(["CVE-2024-22195", "GHSA-h5c8-rqwp-cp96"], JINJA, Severity.MEDIUM, fixed="3.1.3",
          suppressed="the template engine never renders user input"),
    # a package that is not in the inventory: the vulnerability stays, without affects
    _vuln(["CVE-2099-0001"], "pkg:pypi/ghost@0.1", Severity.INFO),
    # the deps checker's kind: advisories of a lockfile entry, no purl: not about the SBOM
    _vuln(["PYSEC-2024-1", "GHSA-aaaa-bbbb-cccc"], None, Severity.HIGH),
    # not a vulnerability: no advisories
    Finding(rule=_rule("HS101"), checker="image", severity=Severity.HIGH,
            message="the image runs as root", location=Location(IMAGE),
            properties={"purl": OPENSSL}),
)


def _report(
    results: tuple[CheckerResult, ...] | None = None,
) -> Report:
    if results is None:
        subject = Subject(IMAGE, DIGEST, {"os": "linux", "architecture": "amd64"})
        results = (
            CheckerResult("dockerfile", files_scanned=1),
            CheckerResult("image", FINDINGS, subject=subject, components=COMPONENTS),
        )
    return Report(results=results, fail_on=Severity.HIGH, root=".")


def _valid(text: str) -> dict[str, Any]:
    error = JsonStrictValidator(SCHEMA_VERSION).validate_str(text)
    assert error is None, str(error)
    document: dict[str, Any] = json.loads(text)
    return document


def _properties(item: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in item.get("properties", [])}


@pytest.fixture(autouse=True)
def _no_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


@pytest.fixture
def bom() -> dict[str, Any]:
    return _valid(render(_report()))


def test_document_header(bom: dict[str, Any]) -> None:
    assert bom["bomFormat"] == "CycloneDX"
    assert bom["specVersion"] == SCHEMA_VERSION.to_version()
    assert list(bom)[:3] == ["$schema", "bomFormat", "specVersion"]
    assert uuid.UUID(bom["serialNumber"].removeprefix("urn:uuid:")).version == 5
    assert bom["version"] == 1
    assert bom["metadata"]["tools"] == {"components": [{
        "type": "application", "name": "hullscan", "version": __version__,
        "externalReferences": [
            {"type": "website", "url": "https://github.com/hullscan/hullscan"}
        ],
    }]}
    assert "timestamp" not in bom["metadata"]


def test_metadata_component_is_the_image(bom: dict[str, Any]) -> None:
    image = bom["metadata"]["component"]
    assert image["type"] == "container"
    assert image["name"] == IMAGE
    assert image["purl"] == (
        f"pkg:oci/shop@{DIGEST}?arch=amd64&repository_url=ghcr.io/acme/shop&tag=1.4"
    )
    assert image["bom-ref"] == image["purl"]
    assert _properties(image) == {
        "hullscan:architecture": "amd64", "hullscan:digest": DIGEST, "hullscan:os": "linux",
    }
    # the image depends on every package found in it
    deps = {d["ref"]: set(d.get("dependsOn", [])) for d in bom["dependencies"]}
    assert deps[image["bom-ref"]] == {c["bom-ref"] for c in bom["components"]}


def test_components(bom: dict[str, Any]) -> None:
    components = bom["components"]
    assert len(components) == len(COMPONENTS)
    assert all(c["type"] == "library" for c in components)
    refs = [c["bom-ref"] for c in components]
    assert len(set(refs)) == len(refs)

    by_ref = {c["bom-ref"]: c for c in components}
    canonical_openssl = "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
    assert by_ref[canonical_openssl]["purl"] == canonical_openssl
    assert _properties(by_ref[canonical_openssl]) == {
        "hullscan:layer": "0", "hullscan:location": "var/lib/dpkg/status",
        "hullscan:source": "openssl",
    }
    # scoped npm package: the scope is the group, the purl keeps its encoded @
    babel = by_ref[BABEL]
    assert (babel["group"], babel["name"], babel["version"]) == ("@babel", "traverse", "7.22.0")
    assert babel["purl"] == BABEL
    # maven: groupId is the group
    log4j = by_ref[LOG4J]
    assert (log4j["group"], log4j["name"]) == ("org.apache.logging.log4j", "log4j-core")
    assert _properties(log4j) == {
        "hullscan:layer": "3", "hullscan:location": "app/lib/log4j-core-2.14.1.jar",
    }
    # go: the module path is the name, no group
    go = by_ref[GOLANG]
    assert "group" not in go
    assert go["name"] == "golang.org/x/net"
    # two components share a purl: the first keeps it as bom-ref, the second gets a suffix
    jinja = [c for c in components if c.get("purl") == JINJA]
    assert [c["bom-ref"] for c in jinja] == [JINJA, JINJA + "|2"]
    assert [_properties(c)["hullscan:layer"] for c in jinja] == ["1", "4"]
    # an unparsable purl is dropped, the component kept
    mystery = next(c for c in components if c["name"] == "mystery")
    assert "purl" not in mystery
    assert mystery["bom-ref"] == "rpm:mystery@1.0"
    assert mystery["version"] == "1.0"


def test_component_order_is_by_purl(bom: dict[str, Any]) -> None:
    purls = [c.get("purl", "") for c in bom["components"]]
    assert purls == sorted(purls)
    assert purls[0] == ""  # the component without a purl


def test_vulnerabilities(bom: dict[str, Any]) -> None:
    vulns = {v["id"]: v for v in bom["vulnerabilities"]}
    assert list(vulns) == sorted(vulns)
    assert set(vulns) == {
        "CVE-2023-5678", "GHSA-jfh8-c2jp-5v3q", "GHSA-67hx-6x53-jw92", "GHSA-h5c8-rqwp-cp95",
        "CVE-2024-22195", "CVE-2099-0001",
    }
    openssl = "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
    libssl = "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"

    merged = vulns["CVE-2023-5678"]
    assert merged["source"] == {
        "name": "OSV", "url": "https://osv.dev/vulnerability/CVE-2023-5678",
    }
    assert [r["id"] for r in merged["references"]] == ["DEBIAN-CVE-2023-5678", "DSA-5585-1"]
    assert merged["references"][1]["source"] == {
        "name": "OSV", "url": "https://osv.dev/vulnerability/DSA-5585-1",
    }
    # the most severe of its findings
    assert merged["ratings"] == [{"severity": "high", "method": "other"}]
    assert sorted(a["ref"] for a in merged["affects"]) == sorted([openssl, libssl])
    assert merged["recommendation"] == "upgrade to 3.0.13-1~deb12u1"
    assert "analysis" not in merged

    log4j = vulns["GHSA-jfh8-c2jp-5v3q"]
    assert [r["id"] for r in log4j["references"]] == ["CVE-2021-44228"]
    assert log4j["ratings"] == [{"severity": "critical", "method": "other"}]
    assert log4j["affects"] == [{"ref": LOG4J}]
    assert log4j["description"] == f"{LOG4J} is affected by GHSA-jfh8-c2jp-5v3q"
    assert log4j["recommendation"] == "upgrade to 2.15.0"

    assert vulns["GHSA-67hx-6x53-jw92"]["affects"] == [{"ref": BABEL}]

    # the finding's purl has its qualifiers in another order: it still matches
    reordered = vulns["GHSA-h5c8-rqwp-cp95"]
    assert reordered["affects"] == [{"ref": openssl}]
    assert reordered["ratings"] == [{"severity": "low", "method": "other"}]
    assert "references" not in reordered
    assert "recommendation" not in reordered

    # both components with the purl are affected
    jinja = vulns["CVE-2024-22195"]
    assert sorted(a["ref"] for a in jinja["affects"]) == [JINJA, JINJA + "|2"]

    ghost = vulns["CVE-2099-0001"]
    assert "affects" not in ghost
    assert ghost["ratings"] == [{"severity": "info", "method": "other"}]

    # every affects ref names a component
    refs = {c["bom-ref"] for c in bom["components"]}
    assert all(a["ref"] in refs for v in vulns.values() for a in v.get("affects", []))


def test_suppressed_finding_is_not_affected(bom: dict[str, Any]) -> None:
    jinja = next(v for v in bom["vulnerabilities"] if v["id"] == "CVE-2024-22195")
    assert jinja["analysis"] == {
        "state": "not_affected", "detail": "the template engine never renders user input",
    }
    assert "justification" not in jinja["analysis"]


def test_partly_suppressed_vulnerability_keeps_no_analysis() -> None:
    findings = (
        _vuln(["CVE-2023-5678"], OPENSSL, fixed="3.0.13"),
        _vuln(["CVE-2023-5678"], LIBSSL, fixed="3.0.14", suppressed="not loaded"),
    )
    report = _report((CheckerResult("image", findings, components=COMPONENTS),))
    (vuln,) = _valid(render(report))["vulnerabilities"]
    assert "analysis" not in vuln
    assert _properties(vuln) == {"hullscan:suppressed": f"{LIBSSL}: not loaded"}
    assert vuln["recommendation"] == "upgrade libssl3 to 3.0.14; upgrade openssl to 3.0.13"


def test_findings_without_advisories_or_purl_are_not_vulnerabilities() -> None:
    report = _report((CheckerResult("image", FINDINGS[-2:], components=COMPONENTS),))
    assert "vulnerabilities" not in _valid(render(report))


def test_the_validator_rejects_a_broken_document(bom: dict[str, Any]) -> None:
    # the strict schema check the other tests rely on does bite
    bom["components"][0]["layer"] = "0"
    assert JsonStrictValidator(SCHEMA_VERSION).validate_str(json.dumps(bom)) is not None
    del bom["components"][0]["layer"]
    bom["vulnerabilities"][0]["ratings"][0]["severity"] = "severe"
    assert JsonStrictValidator(SCHEMA_VERSION).validate_str(json.dumps(bom)) is not None


def test_render_is_deterministic() -> None:
    first = render(_report())
    # the same report built anew, its components and findings in another order
    subject = Subject(IMAGE, DIGEST, {"architecture": "amd64", "os": "linux"})
    shuffled = _report((
        CheckerResult("image", tuple(reversed(FINDINGS)), subject=subject,
                      components=tuple(reversed(COMPONENTS))),
        CheckerResult("dockerfile", files_scanned=1),
    ))
    assert render(_report()) == first
    assert render(shuffled) == first
    # another image: another serial number
    other = _report((CheckerResult("image", subject=Subject("debian:12", "sha256:" + "cd" * 32),
                                   components=COMPONENTS),))
    assert json.loads(render(other))["serialNumber"] != json.loads(first)["serialNumber"]


def test_source_date_epoch_sets_the_timestamp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    text = render(_report())
    assert _valid(text)["metadata"]["timestamp"] == "2023-11-14T22:13:20+00:00"
    assert render(_report()) == text
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
        render(_report())


def test_empty_report_is_valid() -> None:
    bom = _valid(render(Report(results=(), fail_on=None, root=".")))
    assert "component" not in bom["metadata"]
    assert bom["metadata"]["tools"]["components"][0]["name"] == "hullscan"
    assert not bom.get("components")
    assert not bom.get("vulnerabilities")
    # a checker result without a subject or components changes nothing
    assert render(_report((CheckerResult("dockerfile"),))) == render(
        Report(results=(), fail_on=None, root=".")
    )


def test_image_without_digest_or_packages() -> None:
    report = _report((CheckerResult("image", subject=Subject("localimage")),))
    image = _valid(render(report))["metadata"]["component"]
    assert image == {"bom-ref": "image:localimage", "name": "localimage", "type": "container"}


def test_several_images() -> None:
    second = Subject("docker.io/library/debian:12", "sha256:" + "cd" * 32)
    shared = COMPONENTS[1]  # openssl, found in both images
    report = _report((
        CheckerResult("image", subject=Subject(IMAGE, DIGEST), components=COMPONENTS[:3]),
        CheckerResult("image", subject=second, components=(shared, COMPONENTS[6])),
    ))
    bom = _valid(render(report))
    root = bom["metadata"]["component"]
    assert root["name"] == IMAGE
    containers = [c for c in bom["components"] if c["type"] == "container"]
    assert [c["name"] for c in containers] == ["docker.io/library/debian:12"]
    assert containers[0]["purl"] == (
        "pkg:oci/debian@sha256:" + "cd" * 32
        + "?repository_url=docker.io/library/debian&tag=12"
    )
    libraries = [c for c in bom["components"] if c["type"] == "library"]
    assert len(libraries) == 4  # openssl once
    deps = {d["ref"]: set(d.get("dependsOn", [])) for d in bom["dependencies"]}
    canonical_openssl = "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
    assert canonical_openssl in deps[root["bom-ref"]]
    assert canonical_openssl in deps[containers[0]["bom-ref"]]
    assert len(deps[containers[0]["bom-ref"]]) == 2
