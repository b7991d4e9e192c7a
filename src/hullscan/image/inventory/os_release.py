"""Which distribution an image is: /etc/os-release (or /usr/lib/os-release), Debian's point
release from /etc/debian_version, Alpine's from /etc/alpine-release when os-release is missing."""

from __future__ import annotations

import shlex

from hullscan.image.model import FileView, Inventory, OSInfo, Package

OS_FILES = ("etc/os-release", "usr/lib/os-release", "etc/debian_version", "etc/alpine-release")
_LIMIT = 64 * 1024


class OSReleaseInventory(Inventory):
    """Captures the release files; `read_os` interprets them. It reports no packages."""

    name = "os-release"

    def wants(self, path: str, size: int, mode: int) -> int:
        return _LIMIT if path in OS_FILES else 0

    def packages(self, files: FileView, os_info: OSInfo) -> list[Package]:
        return []


def _parse(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            parts = shlex.split(raw, comments=False, posix=True)
        except ValueError:
            parts = [raw.strip("\"'")]
        values[key.strip()] = parts[0] if parts else ""
    return values


def read_os(files: FileView) -> OSInfo:
    found = files.final("etc/os-release") or files.final("usr/lib/os-release")
    values = _parse(found.data.decode("utf-8", "replace")) if found else {}
    point = ""
    debian = files.final("etc/debian_version")
    if debian is not None:
        point = debian.data.decode("utf-8", "replace").strip()
    if not values:
        alpine = files.final("etc/alpine-release")
        if alpine is not None:
            version = alpine.data.decode("utf-8", "replace").strip()
            values = {"ID": "alpine", "VERSION_ID": version,
                      "PRETTY_NAME": f"Alpine Linux v{version}"}
        elif point:
            values = {"ID": "debian", "VERSION_ID": point.split(".")[0] if point[:1].isdigit()
                      else "", "PRETTY_NAME": f"Debian {point}"}
    return OSInfo(
        id=values.get("ID", "").lower(),
        version_id=values.get("VERSION_ID", ""),
        pretty_name=values.get("PRETTY_NAME", ""),
        id_like=tuple(values.get("ID_LIKE", "").split()),
        version_codename=values.get("VERSION_CODENAME", ""),
        point_release=point if values.get("ID", "").lower() == "debian" else "",
    )
