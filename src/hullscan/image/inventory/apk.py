"""Alpine (and Wolfi/Chainguard) packages: /lib/apk/db/installed, matched in OSV by origin."""

from __future__ import annotations

from urllib.parse import quote

from hullscan.image.model import Ecosystem, FileVersion, FileView, Inventory, OSInfo, Package

INSTALLED = "lib/apk/db/installed"
_LIMIT = 64 * 1024 * 1024


def osv_ecosystem(os_info: OSInfo) -> str:
    """`Alpine:v3.19` (the `v` is required), `Wolfi`, `Chainguard`."""
    if os_info.id == "alpine":
        parts = os_info.version_id.split(".")
        if len(parts) >= 2 and parts[0].isdigit():
            minor = "".join(c for c in parts[1] if c.isdigit())
            return f"Alpine:v{parts[0]}.{minor}" if minor else ""
        return ""
    return {"wolfi": "Wolfi", "chainguard": "Chainguard"}.get(os_info.id, "")


def _stanzas(text: str) -> list[list[tuple[str, str]]]:
    stanzas: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            if current:
                stanzas.append(current)
            current = []
            continue
        if len(line) >= 2 and line[1] == ":":
            current.append((line[0], line[2:]))
    if current:
        stanzas.append(current)
    return stanzas


def _parse(version: FileVersion) -> list[dict[str, object]]:
    out = []
    for stanza in _stanzas(version.data.decode("utf-8", "replace")):
        fields: dict[str, object] = {}
        files: list[str] = []
        folder = ""
        for key, value in stanza:
            if key == "F":
                folder = value.strip("/")
            elif key == "R":
                files.append(f"{folder}/{value}" if folder else value)
            elif key not in fields:
                fields[key] = value
        fields["files"] = files
        if fields.get("P") and fields.get("V"):
            out.append(fields)
    return out


class ApkInventory(Inventory):
    name = "apk"

    def wants(self, path: str, size: int, mode: int) -> int:
        return _LIMIT if path == INSTALLED else 0

    def packages(self, files: FileView, os_info: OSInfo) -> list[Package]:
        final = files.final(INSTALLED)
        if final is None:
            return []
        history = list(files.history(INSTALLED))
        sets = [{(str(f["P"]), str(f["V"])) for f in _parse(v)} for v in history] or [set()]
        ecosystem = osv_ecosystem(os_info)
        distro = f"{os_info.id or 'alpine'}-{os_info.version_id}" if os_info.version_id else ""
        out = []
        for fields in _parse(final):
            name, version = str(fields["P"]), str(fields["V"])
            layer = final.layer
            for i in range(len(history) - 1, -1, -1):
                if (name, version) in sets[i]:
                    layer = history[i].layer
                else:
                    break
            arch = str(fields.get("A", ""))
            qualifiers = "&".join(q for q in (f"arch={quote(arch)}" if arch else "",
                                               f"distro={quote(distro)}" if distro else "") if q)
            namespace = os_info.id if os_info.id in ("alpine", "wolfi", "chainguard") else "alpine"
            purl = f"pkg:apk/{namespace}/{quote(name)}@{quote(version)}"
            if qualifiers:
                purl += "?" + qualifiers
            files_owned = fields["files"]
            assert isinstance(files_owned, list)
            out.append(Package(
                ecosystem=Ecosystem.APK, name=name, version=version, osv_ecosystem=ecosystem,
                layer=layer, location=INSTALLED, source_name=str(fields.get("o") or name),
                source_version=version, purl=purl, files=tuple(files_owned),
                properties={"arch": arch} if arch else {},
            ))
        return out
