"""The image checker: an image's OS and language packages matched against OSV data with the
dependency checker's engine, plus an audit of what the image itself carries (root user, secrets
in Env, SSH exposed, key and credential files in any layer).

Each finding points where reviewers look: with the Dockerfile the image was built from, at the
line of the instruction whose layer brought the package in (base-image packages at the final
stage's FROM); without one, at the repository file the user names as the anchor. The message
names the image, the package and version, the layer and its instruction, the advisories and the
fixed version.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hullscan.checkers.interface import CheckContext
from hullscan.core.catalog import advisory_rule
from hullscan.core.errors import UsageError
from hullscan.core.model import (
    CheckerResult,
    Component,
    Finding,
    Location,
    Notification,
    NotificationLevel,
    Rule,
    Subject,
)
from hullscan.discover import Target, real_path, relative
from hullscan.image import rules
from hullscan.image.attribution import Attribution, align, instruction_line, mismatch_warning
from hullscan.image.inventory.apk import ApkInventory
from hullscan.image.inventory.dpkg import DpkgInventory
from hullscan.image.inventory.os_release import OSReleaseInventory, read_os
from hullscan.image.inventory.sensitive import SensitiveFilesInventory, found
from hullscan.image.layers import Limits, Scanner, compose
from hullscan.image.model import (
    Ecosystem,
    FileView,
    ImageError,
    ImageRequest,
    Inventory,
    Package,
)
from hullscan.image.resolve import open_reference
from hullscan.image.sources.base import ScannedImage
from hullscan.vuln.interface import Advisory, PackageRef

log = logging.getLogger("hullscan.image")

NAME = "image"
# Binary packages built from the kernel's source that carry headers or build tools, not a
# kernel: kernel advisories do not apply to them.
_KERNEL_SOURCES = re.compile(r"^(linux|linux-signed-\S+|linux-\d[\d.]*|kernel|kernel-\S+)$")
_KERNEL_HEADERS = re.compile(r"^(linux-libc-dev|linux-headers-\S*|linux-kbuild-\S*|"
                             r"linux-compiler-\S*|kernel-headers|kernel-devel|linux-headers)$")


@dataclass(frozen=True)
class _Anchor:
    path: str
    dockerfile: bool


def _inventories() -> list[Inventory]:
    """Fresh inventories for one image (they collect problems as they go)."""
    from hullscan.image.inventory.extracted import ExtractorInventory
    from hullscan.image.inventory.go import GoInventory
    from hullscan.image.inventory.java import JavaInventory
    from hullscan.image.inventory.python import PythonInventory
    from hullscan.image.inventory.rpm import RpmInventory
    from hullscan.packages.registry import for_image

    # the registry's file extractors (lockfiles, gemspecs, ...) read in-image files with the
    # code that reads them in a repository
    return [OSReleaseInventory(), DpkgInventory(), ApkInventory(), RpmInventory(),
            PythonInventory(), GoInventory(), JavaInventory(),
            ExtractorInventory(for_image()), SensitiveFilesInventory()]


class ImageChecker:
    name = NAME
    description = "OS and language packages of a container image, matched against OSV data"

    def applies(self, target: Target) -> bool:
        return False  # an image is named, not discovered

    def check(self, targets: Sequence[Target], context: CheckContext) -> CheckerResult:
        request = context.image
        if request is None:
            return CheckerResult(checker=NAME)
        try:
            return _check(request, context)
        except ImageError as exc:
            return CheckerResult(
                checker=NAME, successful=False,
                notifications=(Notification(NAME, NotificationLevel.ERROR, str(exc)),),
            )


def _check(request: ImageRequest, context: CheckContext) -> CheckerResult:
    options = context.config.checker(NAME).options
    limits = Limits(max_layer_size=_size(options.get("max_layer_size"), Limits.max_layer_size))
    inventories = _inventories()
    scanner = Scanner(inventories, limits)
    anchor = _anchor(request, context.root)
    scanned = open_reference(request.reference, scanner, request.platform,
                             request.insecure_registries)
    composed = compose(scanned.scans)
    view = composed.view
    os_info = read_os(view)
    notes: list[Notification] = []
    for problem in (*scanned.problems, *composed.problems):
        notes.append(Notification(NAME, NotificationLevel.ERROR, problem))
    packages: list[Package] = []
    for inventory in inventories:
        try:
            packages.extend(inventory.packages(view, os_info))
        except Exception as exc:  # one inventory's bug must not lose the others
            log.debug("inventory %s failed", inventory.name, exc_info=True)
            notes.append(Notification(NAME, NotificationLevel.WARNING,
                                      f"{inventory.name}: {type(exc).__name__}: {exc}"))
        for problem in getattr(inventory, "problems", [])[:20]:
            notes.append(Notification(NAME, NotificationLevel.WARNING, str(problem)))
    packages = _dedupe(packages)
    dockerfile_text = None
    if anchor is not None and anchor.dockerfile:
        dockerfile_text = (context.root / anchor.path).read_text("utf-8", "replace")
    alignment = align(scanned.config, scanned.layers, dockerfile_text)
    where = alignment.where
    image_name = request.reference
    mismatch = mismatch_warning(alignment, anchor.path, image_name) if anchor else None
    if anchor is not None and mismatch:
        notes.append(Notification(NAME, NotificationLevel.WARNING, mismatch, anchor.path,
                                  alignment.from_line))
    findings = _vulnerabilities(packages, context, image_name, anchor, where, notes)
    findings += _audit(scanned, view, image_name, anchor, where, dockerfile_text)
    if not anchor and findings:
        notes.append(Notification(
            NAME, NotificationLevel.NOTE,
            "no --dockerfile or --anchor: findings point at the image reference, which SARIF "
            "cannot show in a repository",
        ))
    # fail closed: a layer not read, or a package not audited, is a checker failure (exit 3)
    complete = len(scanned.scans) == len(scanned.layers) and all(s.complete
                                                                  for s in scanned.scans)
    complete = complete and not any(n.level is NotificationLevel.ERROR for n in notes)
    components = tuple(_component(p) for p in sorted(packages, key=lambda p: (p.purl, p.name)))
    subject = Subject(image_name, scanned.digest, {
        k: v for k, v in (("os", os_info.name + (f" (point release {os_info.point_release})"
                                                 if os_info.point_release else "")),
                          ("architecture", scanned.config.architecture),
                          ("layers", str(len(scanned.layers)))) if v
    })
    return CheckerResult(
        checker=NAME, findings=tuple(findings), notifications=tuple(notes),
        successful=complete, files_scanned=sum(s.entries for s in scanned.scans),
        subject=subject, components=components,
    )


def _size(value: object, default: int) -> int:
    if value is None:
        return default
    from hullscan.core.config import parse_size

    return parse_size(value) if isinstance(value, int | str) else default


def _anchor(request: ImageRequest, root: Path) -> _Anchor | None:
    for given, is_dockerfile in ((request.dockerfile, True), (request.anchor, False)):
        if not given:
            continue
        path = real_path(given)
        if not path.is_file():
            raise UsageError(f"{given}: no such file")
        rel = relative(path, root)
        if rel.startswith("../"):
            raise UsageError(f"{given}: not inside the repository ({root})")
        return _Anchor(rel, is_dockerfile)
    return None


def _dedupe(typed: list[Package]) -> list[Package]:
    """A language package whose files an OS package installed is reported once, as the OS
    package (python3-requests, not also requests from dist-packages); a package a lockfile of
    the image pins that is also installed is reported once, as the installed package."""
    from hullscan.image.inventory.extracted import FROM_FILE
    from hullscan.vuln.names import normalise_name

    def key(p: Package) -> tuple[str, str, str]:
        return (p.osv_ecosystem, normalise_name(p.osv_ecosystem, p.name), p.version)

    installed = {key(p) for p in typed
                 if p.osv_ecosystem and p.properties.get(FROM_FILE) != "lockfile-in-image"}
    os_kinds = (Ecosystem.DEB, Ecosystem.APK, Ecosystem.RPM)
    owned = {path for p in typed if p.ecosystem in os_kinds for path in p.files}
    kept: list[Package] = []
    for package in typed:
        if package.properties.get(FROM_FILE) == "lockfile-in-image" and key(package) in installed:
            continue
        if package.ecosystem not in os_kinds:
            location = package.location.split("!/", 1)[0]
            probes = [location, *package.files[:3]]
            if any(probe in owned for probe in probes) or any(
                    f"{location}/{name}" in owned for name in ("METADATA", "PKG-INFO",
                                                                "package.json")):
                continue
        kept.append(package)
    return kept


def _is_kernel_headers(package: Package) -> bool:
    return bool(_KERNEL_SOURCES.match(package.match_name)
                and _KERNEL_HEADERS.match(package.name))


def _location(anchor: _Anchor | None, image_name: str, line: int | None) -> Location:
    if anchor is None:
        return Location(image_name, 1)
    return Location(anchor.path, line or 1)


def _vulnerabilities(typed: list[Package], context: CheckContext, image_name: str,
                     anchor: _Anchor | None, where: dict[int, Attribution],
                     notes: list[Notification]) -> list[Finding]:
    from hullscan.checkers.deps import source_for_run
    from hullscan.vuln.engine import audit

    refs: dict[int, PackageRef] = {}
    unknown_os = False
    for i, package in enumerate(typed):
        if not package.osv_ecosystem:
            unknown_os = unknown_os or package.ecosystem.value in ("deb", "apk", "rpm")
            continue
        if _is_kernel_headers(package):
            continue
        refs[i] = PackageRef(package.osv_ecosystem, package.match_name, package.match_version)
    if unknown_os:
        notes.append(Notification(NAME, NotificationLevel.WARNING,
                                  f"{image_name}: OSV has no ecosystem for this distribution "
                                  "release: its OS packages are inventoried but not matched"))
    if not refs:
        return []
    options = context.config.checker(NAME).options
    result = audit(list(refs.values()), source_for_run(context.offline),
                   ignore_unfixed=context.ignore_unfixed,
                   hide_unimportant=not options.get("show_unimportant", False))
    for problem in result.problems[:20]:
        notes.append(Notification(NAME, NotificationLevel.WARNING, problem))
    for said in result.notes:
        notes.append(Notification(NAME, NotificationLevel.WARNING, said))
    # fail closed, one error per ecosystem and reason (a release the local database does not
    # hold, the OSV API unreachable), naming the image
    failed: dict[tuple[str, str], list[PackageRef]] = {}
    for ref, reason in result.failed.items():
        failed.setdefault((ref.ecosystem, reason), []).append(ref)
    for (ecosystem, reason), lost in failed.items():
        shown = ", ".join(f"{r.name} {r.version}" for r in lost[:3])
        more = f" and {len(lost) - 3:,} more" if len(lost) > 3 else ""
        notes.append(Notification(
            NAME, NotificationLevel.ERROR,
            f"{image_name}: {len(lost):,} {ecosystem} package(s) ({shown}{more}) could not be "
            f"audited: {reason}"))
    # One finding per source package, advisory and place: the binary packages one source
    # builds (openssh-client, openssh-server) share its advisories and its fix, and are
    # upgraded together; the message and properties name every one of them.
    # Language packages have no source package: two copies of one are two findings.
    groups: dict[tuple[PackageRef, str, object, int | None],
                 tuple[Advisory, list[Package]]] = {}
    for i, ref in refs.items():
        package = typed[i]
        attribution = where.get(package.layer)
        place: object = attribution.line if attribution and attribution.line else \
            f"layer {package.layer}"
        for advisory in result.advisories.get(ref, ()):
            key = (ref, advisory.id, place, None if package.source_name else i)
            groups.setdefault(key, (advisory, []))[1].append(package)
    return [_vulnerability(sorted(packages, key=lambda p: (p.layer, p.name)), advisory,
                           image_name, anchor, where)
            for advisory, packages in groups.values()]


def _vulnerability(packages: Sequence[Package], advisory: Advisory, image_name: str,
                   anchor: _Anchor | None, where: dict[int, Attribution]) -> Finding:
    package = packages[0]
    attribution = where.get(package.layer)
    fix = advisory.fixed_versions[0] if advisory.fixed_versions else None
    ids = [advisory.id, *advisory.aliases]
    source = ""
    if package.source_name and (len(packages) > 1 or (
            package.source_name, package.source_version) != (package.name, package.version)):
        source = f" (source {package.source_name} {package.source_version})"
    layers = sorted({p.layer for p in packages})
    layer = f"layer {', '.join(str(n + 1) for n in layers)}"
    if len(layers) > 1:
        layer = "layers" + layer[len("layer"):]
    if attribution is not None:
        layer += f" ({attribution.instruction})"
    fix_text = f"fixed in {fix}" if fix else "no fixed version yet"
    summary = f": {advisory.summary}" if advisory.summary else ""
    versions = {p.version for p in packages}
    if len(versions) == 1:
        named = f"{', '.join(p.name for p in packages)} {package.version}"
    else:
        named = ", ".join(f"{p.name} {p.version}" for p in packages)
    verb = "is" if len(packages) == 1 else "are"
    message = (f"{image_name}: {named}{source} from {layer} {verb} "
               f"affected by {', '.join(ids[:4])}{summary}; {fix_text}")
    properties: dict[str, object] = {
        "image": image_name, "package": package.name, "installedVersion": package.version,
        "ecosystem": package.osv_ecosystem, "purl": package.purl, "layer": package.layer + 1,
        "advisories": ids, "cve": [i for i in ids if i.startswith("CVE-")],
        "imagePath": package.location,
    }
    if len(packages) > 1:
        # every binary package of the source that the advisory affects here
        properties["packages"] = [p.name for p in packages]
        properties["installedVersions"] = {p.name: p.version for p in packages}
        properties["purls"] = [p.purl for p in packages]
        properties["layers"] = [n + 1 for n in layers]
    if package.source_name:
        properties["sourcePackage"] = package.source_name
    if fix:
        properties["fixedVersion"] = fix
    if advisory.urgency:
        properties["urgency"] = advisory.urgency
    return Finding(
        rule=advisory_rule(advisory, name_prefix="vulnerable-image-package",
                           fix="Rebuild the image with a fixed version.",
                           tags=("security", "container", "image", "vulnerability")),
        checker=NAME, severity=advisory.severity, message=message,
        location=_location(anchor, image_name, attribution.line if attribution else None),
        # the source package's identity, so the alert stays one whichever of its binary
        # packages the image holds (an OS package without a source: its own name)
        fingerprint_basis=f"{package.osv_ecosystem}/{package.match_name}/{advisory.id}",
        properties=properties,
    )


def _audit(scanned: ScannedImage, view: FileView, image_name: str, anchor: _Anchor | None,
           where: dict[int, Attribution], dockerfile_text: str | None) -> list[Finding]:
    from hullscan.core.redact import is_placeholder, is_secret_name, mask, token_kind

    config = scanned.config
    findings: list[Finding] = []
    def line_of(keyword: str, matches: Callable[[str], object] | None = None) -> int | None:
        return instruction_line(dockerfile_text, keyword, matches)

    def finding(rule: Rule, message: str, line: int | None, basis: str,
                extra: dict[str, object] | None = None) -> Finding:
        return Finding(rule=rule, checker=NAME, severity=rule.default_severity,
                       message=f"{image_name}: {message}",
                       location=_location(anchor, image_name, line), fingerprint_basis=basis,
                       properties={"image": image_name, **(extra or {})})

    has_config = bool(config.raw)
    user = config.user.split(":")[0].strip()
    if has_config and user in ("", "root", "0"):
        shown = f"user {config.user!r}" if config.user else "no user"
        findings.append(finding(rules.IMAGE_ROOT, f"the image configuration sets {shown}: "
                                "containers run as root", line_of("USER"), "HS300|user"))
    for entry in config.env:
        name, sep, value = entry.partition("=")
        if not sep or not value:
            continue
        kind = token_kind(value)
        if kind is None and not (is_secret_name(name) and not is_placeholder(value)):
            continue
        declared = re.compile(rf"(^|\s){re.escape(name)}(=|\s|$)")
        findings.append(finding(rules.IMAGE_ENV_SECRET, f"Env {name} holds a literal "
                                f"{kind or 'secret'} ({mask(value)})",
                                line_of("ENV", declared.search),
                                f"HS301|{name}", {"variable": name}))
    for port in config.exposed_ports:
        if port.split("/")[0] == "22":
            findings.append(finding(
                rules.IMAGE_SSH_PORT, f"the image exposes port {port}",
                line_of("EXPOSE", lambda args: bool(re.search(r"(^|\s)22(/tcp)?(\s|$)", args))),
                "HS302|22"))
    for item in found(view, view.captured_paths()):
        attribution = where.get(item.layer)
        line = attribution.line if attribution else None
        instruction = f" ({attribution.instruction})" if attribution else ""
        still = " and is still there" if view.final(item.path) is not None else \
            ", deleted by a later layer but still shipped in this one"
        findings.append(finding(
            rules.IMAGE_KEY_FILE,
            f"{item.kind} /{item.path} is in layer {item.layer + 1}{instruction}{still}",
            line, f"HS303|{item.path}|{item.layer}", {"imagePath": item.path,
                                                       "layer": item.layer + 1},
        ))
    return findings


def _component(package: Package) -> Component:
    properties = {"layer": str(package.layer + 1), "location": package.location}
    if package.source_name:
        properties["source"] = f"{package.source_name} {package.source_version or ''}".strip()
    if package.osv_ecosystem:
        properties["ecosystem"] = package.osv_ecosystem
    if package.properties.get("line"):
        properties["line"] = str(package.properties["line"])
    return Component(package.name, package.version, package.purl, package.ecosystem.value,
                     properties)
