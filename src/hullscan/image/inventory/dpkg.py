"""Debian and Ubuntu packages: /var/lib/dpkg/status (and distroless images' status.d/), the files
each package owns (info/*.list), matched in OSV by SOURCE package and source version."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from urllib.parse import quote

from hullscan.image.model import Ecosystem, FileVersion, FileView, Inventory, OSInfo, Package

STATUS = "var/lib/dpkg/status"
STATUS_D = "var/lib/dpkg/status.d/"
INFO = "var/lib/dpkg/info/"
_LIMIT = 64 * 1024 * 1024
_LIST_LIMIT = 8 * 1024 * 1024
_SOURCE = re.compile(r"^(?P<name>\S+)(?:\s+\((?P<version>[^)]+)\))?$")
_BINNMU = re.compile(r"\+b\d+$")


def osv_ecosystem(os_info: OSInfo) -> str:
    """`Debian:12`, `Ubuntu:22.04:LTS`; "" when the release is unknown (testing, sid)."""
    if os_info.id == "debian" and os_info.version_id[:1].isdigit():
        return f"Debian:{os_info.version_id.split('.')[0]}"
    if os_info.id == "ubuntu" and os_info.version_id:
        lts = "LTS" in os_info.pretty_name.upper()
        return f"Ubuntu:{os_info.version_id}" + (":LTS" if lts else "")
    return ""


def paragraphs(text: str) -> Iterator[dict[str, str]]:
    """RFC 822-style stanzas; continuation lines are folded into their field."""
    fields: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, key = {}, ""
            continue
        if line[0] in " \t" and key:
            fields[key] += "\n" + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip()
            fields[key] = value.strip()
    if fields:
        yield fields


class DpkgInventory(Inventory):
    name = "dpkg"


    def wants(self, path: str, size: int, mode: int) -> int:
        if path == STATUS:
            return _LIMIT
        if path.startswith(STATUS_D) and not path.endswith(".md5sums"):
            return _LIMIT
        if path.startswith(INFO) and path.endswith(".list") and "/" not in path[len(INFO):]:
            return _LIST_LIMIT
        return 0

    def packages(self, files: FileView, os_info: OSInfo) -> list[Package]:
        ecosystem = osv_ecosystem(os_info)
        found: list[Package] = []
        status = files.final(STATUS)
        if status is not None:
            layers = _introduced(files.history(STATUS))
            for fields in _installed(status):
                key = (fields["Package"], fields.get("Version", ""))
                found.append(self._package(fields, os_info, ecosystem, layers.get(key,
                                           status.layer), STATUS, files))
        for version in files.glob_final(lambda p: p.startswith(STATUS_D)
                                        and not p.endswith(".md5sums")):
            for fields in _installed(version, require_status=False):
                found.append(self._package(fields, os_info, ecosystem, version.layer,
                                           version.path, files))
        return found

    def _package(self, fields: dict[str, str], os_info: OSInfo, ecosystem: str, layer: int,
                 location: str, files: FileView) -> Package:
        name = fields["Package"]
        version = fields.get("Version", "")
        arch = fields.get("Architecture", "")
        source_name, source_version = name, _BINNMU.sub("", version)
        match = _SOURCE.match(fields.get("Source", ""))
        if match:
            source_name = match.group("name")
            if match.group("version"):
                source_version = match.group("version")
        owned: list[str] = []
        for list_name in (f"{name}:{arch}.list", f"{name}.list"):
            listing = files.final(INFO + list_name)
            if listing is not None:
                owned = [line.strip().lstrip("/") for line in
                         listing.data.decode("utf-8", "replace").splitlines() if line.strip()]
                break
        namespace = os_info.id if os_info.id in ("debian", "ubuntu") else "debian"
        qualifiers = [f"arch={quote(arch)}"] if arch else []
        if os_info.version_id:
            qualifiers.append(f"distro={namespace}-{quote(os_info.version_id)}")
        purl = f"pkg:deb/{namespace}/{quote(name)}@{quote(version)}"
        if qualifiers:
            purl += "?" + "&".join(qualifiers)
        return Package(
            ecosystem=Ecosystem.DEB, name=name, version=version, osv_ecosystem=ecosystem,
            layer=layer, location=location, source_name=source_name,
            source_version=source_version, purl=purl, files=tuple(owned),
            properties={"arch": arch} if arch else {},
        )


def _installed(version: FileVersion, require_status: bool = True) -> Iterator[dict[str, str]]:
    text = version.data.decode("utf-8", "replace")
    for fields in paragraphs(text):
        if "Package" not in fields:
            continue
        status = fields.get("Status", "")
        if require_status or status:
            words = status.split()
            if len(words) < 3 or words[2] not in ("installed", "half-configured",
                                                   "triggers-awaited", "triggers-pending"):
                continue
        yield fields


def _introduced(history: Sequence[FileVersion]) -> dict[tuple[str, str], int]:
    """For each (package, version) of the last status file, the layer from which on every
    later status file has it: the layer whose instruction installed (or upgraded) it."""
    versions = list(history)
    if not versions:
        return {}
    sets = [{(f["Package"], f.get("Version", "")) for f in _installed(v)} for v in versions]
    final = sets[-1]
    introduced: dict[tuple[str, str], int] = {}
    for key in final:
        layer = versions[-1].layer
        for i in range(len(versions) - 1, -1, -1):
            if key in sets[i]:
                layer = versions[i].layer
            else:
                break
        introduced[key] = layer
    return introduced
