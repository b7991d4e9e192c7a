"""The model as a CycloneDX SBOM (JSON, spec 1.6; 1.5 with a library that lacks 1.6).

What is written:
- `metadata.tools`: hullscan and its version; `metadata.component`: the first inventoried
  subject (an image) as a `container` component. Further subjects are top-level `container`
  components. No subject: no `metadata.component`.
- `components`: every package of every result, as `library` components, sorted by purl, name,
  version. The bom-ref is the purl (`|2`, `|3`, ... when several components share it); a purl
  that does not parse is left out, the component is kept. `Component.properties` become
  properties named `hullscan:<key>`.
- `dependencies`: each subject depends on the packages inventoried in it.
- `vulnerabilities`: one per primary advisory id, from the findings whose properties carry
  `advisories` (the advisory id then its aliases, which become references) and `purl` (the
  affected package); `affects` names the components with that purl, if any. Other findings
  (the deps checker's, whose `advisories` lists distinct advisories of a lockfile entry) are
  not about the SBOM's packages and are left out. A vulnerability whose findings are all
  suppressed has `analysis.state` `not_affected`, with the justification as its detail.

The output is byte-identical for the same report: the serial number is a UUID 5 of the subjects
and component bom-refs, and the timestamp is only written when SOURCE_DATE_EPOCH is set.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from cyclonedx.model import Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentType
from cyclonedx.model.dependency import Dependency
from cyclonedx.model.impact_analysis import ImpactAnalysisState
from cyclonedx.model.vulnerability import (
    BomTarget,
    Vulnerability,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilityReference,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
    VulnerabilitySource,
)
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from packageurl import PackageURL

from hullscan import INFORMATION_URI, TOOL_NAME, __version__
from hullscan.core.errors import UsageError
from hullscan.core.imageref import parse_image_ref
from hullscan.core.model import Component, Finding, Report, Severity, Subject
from hullscan.formats.interface import RenderContext

__all__ = ["SCHEMA_VERSION", "render"]

# cyclonedx-python-lib writes 1.6 from 7.0 on; an older library falls back to 1.5.
SCHEMA_VERSION: SchemaVersion = getattr(SchemaVersion, "V1_6", SchemaVersion.V1_5)

OSV_URL = "https://osv.dev/vulnerability/"
PROPERTY_PREFIX = "hullscan:"
# The serial number is a UUID 5 in this namespace (itself uuid5(NAMESPACE_URL, the project URL)).
SERIAL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, INFORMATION_URI + "#cyclonedx")

# Every package kind hullscan inventories (deb, apk, rpm, python, npm, go, maven) is a library.
# In these ecosystems the purl namespace is what CycloneDX calls the group (npm scope, Maven
# groupId); elsewhere (the deb/rpm vendor, a Go module path) it is not.
_GROUP_PURL_TYPES = frozenset({"npm", "maven"})
_TOP_LEVEL_ORDER = (
    "$schema", "bomFormat", "specVersion", "serialNumber", "version", "metadata", "components",
    "dependencies", "vulnerabilities",
)
_METADATA_ORDER = ("timestamp", "tools", "component")


def render(report: Report, context: RenderContext | None = None) -> str:
    """The report as a CycloneDX JSON document (`context` is not used)."""
    del context
    timestamp = _source_date_epoch()
    refs = _RefAllocator()

    subjects = _subjects(report)
    subject_refs = [refs.allocate(_subject_ref(subject)) for subject in subjects]
    packages = _packages(report, subjects)
    for package in packages:
        package.bom_ref = refs.allocate(package.base_ref)

    subject_components = [
        _subject_component(subject, ref)
        for subject, ref in zip(subjects, subject_refs, strict=True)
    ]
    package_components = [_package_component(package) for package in packages]
    vulnerabilities = _vulnerabilities(report.findings, packages, refs)

    serial = _serial_number(subjects, [package.bom_ref for package in packages])
    metadata = BomMetaData(
        component=subject_components[0] if subject_components else None,
        timestamp=timestamp,
    )
    # The graph is built here rather than with Bom.register_dependency, which scans every
    # registered dependency on each call (quadratic in the number of packages).
    dependencies = [
        Dependency(
            ref=subject_component.bom_ref,
            dependencies=[Dependency(ref=package_components[i].bom_ref)
                          for i, package in enumerate(packages) if index in package.subjects],
        )
        for index, subject_component in enumerate(subject_components)
    ]
    bom = Bom(
        serial_number=serial,
        metadata=metadata,
        components=[*subject_components[1:], *package_components],
        dependencies=dependencies,
        vulnerabilities=vulnerabilities,
    )

    with warnings.catch_warnings():
        # The library warns (UserWarning) when the described component depends on nothing (an
        # image in which no package was found): a fact of the scan, not a problem.
        warnings.simplefilter("ignore", UserWarning)
        text = make_outputter(bom, OutputFormat.JSON, SCHEMA_VERSION).output_as_string()

    document = _normalise(
        json.loads(text),
        keep_timestamp=timestamp is not None,
        component_order=[*subject_refs[1:], *(package.bom_ref for package in packages)],
    )
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- subjects and packages ------------------------------------------------------------------


@dataclass
class _Package:
    """One SBOM component: the model components that render identically, merged."""

    component: Component
    purl: PackageURL | None
    group: str | None
    name: str
    properties: tuple[tuple[str, str], ...]
    subjects: set[int] = field(default_factory=set)  # indexes of the subjects it was found in
    bom_ref: str = ""
    purl_text: str = field(init=False)  # canonical; "" without a purl

    def __post_init__(self) -> None:
        self.purl_text = self.purl.to_string() if self.purl else ""

    @property
    def base_ref(self) -> str:
        if self.purl_text:
            return self.purl_text
        c = self.component
        return f"{c.kind}:{c.name}@{c.version}" if c.version else f"{c.kind}:{c.name}"

    @property
    def identity(self) -> tuple[str, str, str, str, tuple[tuple[str, str], ...]]:
        """What the component renders as; equal identities would be one CycloneDX component."""
        return (self.purl_text, self.group or "", self.name, self.component.version,
                self.properties)

    def sort_key(self) -> tuple[str, str, str, str, tuple[tuple[str, str], ...], str]:
        purl, group, name, version, properties = self.identity
        return (purl, name, version, group, properties, self.component.kind)


def _subjects(report: Report) -> list[Subject]:
    subjects: list[Subject] = []
    for result in report.results:
        if result.subject is not None and result.subject not in subjects:
            subjects.append(result.subject)
    return subjects


def _packages(report: Report, subjects: Sequence[Subject]) -> list[_Package]:
    by_identity: dict[object, _Package] = {}
    for result in report.results:
        subject = subjects.index(result.subject) if result.subject is not None else None
        for component in result.components:
            package = _package(component)
            package = by_identity.setdefault(package.identity, package)
            if subject is not None:
                package.subjects.add(subject)
    return sorted(by_identity.values(), key=_Package.sort_key)


def _package(component: Component) -> _Package:
    purl = _parse_purl(component.purl)
    group: str | None = None
    name = component.name
    if purl is not None and purl.type in _GROUP_PURL_TYPES and purl.namespace:
        group, name = purl.namespace, purl.name
    return _Package(
        component=component,
        purl=purl,
        group=group,
        name=name,
        properties=tuple(sorted((str(k), str(v)) for k, v in component.properties.items())),
    )


def _parse_purl(text: str) -> PackageURL | None:
    if not text:
        return None
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def _purl_key(text: str) -> str:
    """The canonical form of a purl (qualifiers sorted, encoding normalised), to compare."""
    purl = _parse_purl(text)
    return purl.to_string() if purl else text


def _subject_purl(subject: Subject) -> PackageURL | None:
    """`pkg:oci/<name>@<digest>?repository_url=...&tag=...`, when the digest is known."""
    ref = parse_image_ref(subject.name)
    digest = subject.digest or (ref.digest if ref else None)
    if ref is None or not digest or not digest.startswith("sha256:"):
        return None
    qualifiers = {"repository_url": f"{ref.registry}/{ref.repository}"}
    if ref.tag:
        qualifiers["tag"] = ref.tag
    architecture = subject.properties.get("architecture")
    if architecture:
        qualifiers["arch"] = architecture
    name = ref.repository.rsplit("/", 1)[-1].lower()
    return PackageURL(type="oci", name=name, version=digest, qualifiers=qualifiers)


def _subject_ref(subject: Subject) -> str:
    purl = _subject_purl(subject)
    return purl.to_string() if purl else f"image:{subject.name}"


def _subject_component(subject: Subject, bom_ref: str) -> CdxComponent:
    properties = dict(subject.properties)
    if subject.digest:
        properties.setdefault("digest", subject.digest)
    return CdxComponent(
        type=ComponentType.CONTAINER,
        name=subject.name,
        bom_ref=bom_ref,
        purl=_subject_purl(subject),
        properties=_properties(properties.items()),
    )


def _package_component(package: _Package) -> CdxComponent:
    return CdxComponent(
        type=ComponentType.LIBRARY,
        name=package.name,
        group=package.group,
        version=package.component.version or None,
        bom_ref=package.bom_ref,
        purl=package.purl,
        properties=_properties(package.properties),
    )


def _properties(items: Iterable[tuple[str, str]]) -> list[Property]:
    return [Property(name=PROPERTY_PREFIX + str(k), value=str(v)) for k, v in sorted(items)]


class _RefAllocator:
    """Unique bom-refs: the first user of a base gets it as is, the next `base|2`, ..."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def allocate(self, base: str) -> str:
        ref, n = base, 1
        while ref in self._used:
            n += 1
            ref = f"{base}|{n}"
        self._used.add(ref)
        return ref


# --- vulnerabilities ------------------------------------------------------------------------


def _advisories(finding: Finding) -> list[str]:
    value = finding.properties.get("advisories")
    if not isinstance(value, list | tuple):
        return []
    return [item for item in value if isinstance(item, str) and item]


def _purls(finding: Finding) -> list[str]:
    """The packages a finding is about: `purls` (the binary packages of one source package),
    else its `purl`."""
    value = finding.properties.get("purls")
    if isinstance(value, list | tuple):
        found = [item for item in value if isinstance(item, str) and item]
        if found:
            return found
    purl = _string_property(finding, "purl")
    return [purl] if purl else []


def _string_property(finding: Finding, key: str) -> str | None:
    value = finding.properties.get(key)
    return value if isinstance(value, str) and value else None


def _vulnerabilities(
    findings: Iterable[Finding], packages: Sequence[_Package], refs: _RefAllocator
) -> list[Vulnerability]:
    by_purl: dict[str, set[str]] = {}
    for package in packages:
        key = package.purl_text or package.component.purl  # the raw text if it does not parse
        if key:
            by_purl.setdefault(key, set()).add(package.bom_ref)

    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        advisories = _advisories(finding)
        if advisories and _string_property(finding, "purl"):
            groups.setdefault(advisories[0], []).append(finding)
    return [
        _vulnerability(vuln_id, groups[vuln_id], by_purl, refs) for vuln_id in sorted(groups)
    ]


def _vulnerability(
    vuln_id: str, findings: list[Finding], by_purl: Mapping[str, set[str]], refs: _RefAllocator
) -> Vulnerability:
    findings = sorted(
        findings, key=lambda f: (-f.severity.rank, _string_property(f, "purl") or "", f.message)
    )
    aliases: set[str] = set()
    affected: set[str] = set()
    for finding in findings:
        aliases.update(_advisories(finding)[1:])
        for purl in _purls(finding):
            affected.update(by_purl.get(_purl_key(purl), ()))
    aliases.discard(vuln_id)
    severity = max((f.severity for f in findings), key=lambda s: s.rank)
    return Vulnerability(
        bom_ref=refs.allocate(vuln_id),
        id=vuln_id,
        source=_osv_source(vuln_id),
        references=[
            VulnerabilityReference(id=alias, source=_osv_source(alias))
            for alias in sorted(aliases)
        ],
        ratings=[
            VulnerabilityRating(
                severity=_SEVERITY[severity], method=VulnerabilityScoreSource.OTHER
            )
        ],
        description="\n".join(dict.fromkeys(f.message for f in findings)),
        recommendation=_recommendation(findings),
        affects=[BomTarget(ref=ref) for ref in sorted(affected)],
        analysis=_analysis(findings),
        properties=_suppressed_properties(findings),
    )


_SEVERITY = {
    Severity.CRITICAL: VulnerabilitySeverity.CRITICAL,
    Severity.HIGH: VulnerabilitySeverity.HIGH,
    Severity.MEDIUM: VulnerabilitySeverity.MEDIUM,
    Severity.LOW: VulnerabilitySeverity.LOW,
    Severity.INFO: VulnerabilitySeverity.INFO,
}


def _osv_source(vuln_id: str) -> VulnerabilitySource:
    return VulnerabilitySource(name="OSV", url=XsUri(OSV_URL + quote(vuln_id, safe="")))


def _recommendation(findings: Sequence[Finding]) -> str | None:
    """`upgrade to V`; when the affected packages are fixed in different versions, one
    `upgrade PACKAGE to V` per package."""
    fixes: dict[tuple[str, str], None] = {}
    for finding in findings:
        fixed = _string_property(finding, "fixedVersion")
        if fixed:
            fixes[(_package_name(finding), fixed)] = None
    versions = {fixed for _, fixed in fixes}
    if not versions:
        return None
    if len(versions) == 1:
        return f"upgrade to {versions.pop()}"
    return "; ".join(f"upgrade {name} to {fixed}" for name, fixed in sorted(fixes))


def _package_name(finding: Finding) -> str:
    purl = _parse_purl(_string_property(finding, "purl") or "")
    if purl is None:
        return _string_property(finding, "package") or "the package"
    if purl.type in _GROUP_PURL_TYPES and purl.namespace:
        return f"{purl.namespace}/{purl.name}"
    return purl.name


def _analysis(findings: Sequence[Finding]) -> VulnerabilityAnalysis | None:
    """`not_affected` when every finding of the vulnerability is suppressed."""
    if not findings or not all(f.suppression for f in findings):
        return None
    justifications = dict.fromkeys(f.suppression.justification for f in findings if f.suppression)
    detail = "; ".join(j for j in justifications if j) or None
    return VulnerabilityAnalysis(state=ImpactAnalysisState.NOT_AFFECTED, detail=detail)


def _suppressed_properties(findings: Sequence[Finding]) -> list[Property]:
    """When only some findings are suppressed, which (by purl) and why."""
    if all(f.suppression for f in findings):
        return []
    return [
        Property(
            name=PROPERTY_PREFIX + "suppressed",
            value=f"{_string_property(f, 'purl') or '-'}: {f.suppression.justification}",
        )
        for f in findings
        if f.suppression
    ]


# --- determinism ----------------------------------------------------------------------------


def _source_date_epoch() -> dt.datetime | None:
    """The timestamp of reproducible builds, when SOURCE_DATE_EPOCH is set."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    try:
        seconds = int(value)
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise UsageError(
            f"SOURCE_DATE_EPOCH must be a number of seconds since 1970, not {value!r}"
        ) from None


def _serial_number(subjects: Sequence[Subject], component_refs: Sequence[str]) -> uuid.UUID:
    parts = [f"subject\t{s.name}\t{s.digest or ''}" for s in subjects]
    parts += [f"component\t{ref}" for ref in component_refs]
    return uuid.uuid5(SERIAL_NAMESPACE, "\n".join(parts))


def _normalise(
    document: dict[str, Any], *, keep_timestamp: bool, component_order: Sequence[str]
) -> dict[str, Any]:
    """What the library does not let us control, made the same for every library version: it
    always writes a timestamp (the current time when none is given); 7.x lists itself as the
    tool, in the `tools` array that 1.5 deprecates (hullscan alone is written here, in the
    `tools.components` form); it sorts components by type and name (here: `component_order`,
    by purl) and object keys alphabetically (here the top-level keys come in reading order)."""
    metadata: dict[str, Any] = document.get("metadata", {})
    if not keep_timestamp:
        metadata.pop("timestamp", None)
    metadata["tools"] = {"components": [_tool()]}
    document["metadata"] = _ordered(metadata, _METADATA_ORDER)

    rank = {ref: i for i, ref in enumerate(component_order)}
    components = document.get("components")
    if components:
        components.sort(key=lambda c: (rank.get(c.get("bom-ref", ""), len(rank)), str(c)))
    vulnerabilities = document.get("vulnerabilities")
    if vulnerabilities:
        vulnerabilities.sort(key=lambda v: str(v.get("id", "")))
    return _ordered(document, _TOP_LEVEL_ORDER)


def _tool() -> dict[str, Any]:
    return {
        "type": "application",
        "name": TOOL_NAME,
        "version": __version__,
        "externalReferences": [{"type": "website", "url": INFORMATION_URI}],
    }


def _ordered(mapping: dict[str, Any], order: Sequence[str]) -> dict[str, Any]:
    result = {key: mapping[key] for key in order if key in mapping}
    result.update((key, value) for key, value in mapping.items() if key not in result)
    return result
