"""Python distributions installed in an image: `*.dist-info/METADATA` (wheels, pip) and
`*.egg-info/PKG-INFO` or a bare `*.egg-info` file (setuptools, distro packages), in any
site-packages or dist-packages folder.

Only the metadata headers and the file lists (`RECORD`, `installed-files.txt`) are captured,
each with a size cap; the headers come first, so a capped METADATA still parses."""

from __future__ import annotations

import csv
import posixpath
from email.parser import HeaderParser

from hullscan.image.model import Ecosystem, FileVersion, FileView, Inventory, OSInfo, Package
from hullscan.packages.purl import purl_for
from hullscan.vuln import names

MAX_METADATA_BYTES = 1024 * 1024  # headers come first: a longer file is captured in part
MAX_FILE_LIST_BYTES = 8 * 1024 * 1024  # RECORD / installed-files.txt (botocore's is ~1 MiB)


def normalise_name(name: str) -> str:
    """PEP 503: runs of `-`, `_`, `.` become one `-`, lower case (the engine's normaliser)."""
    return names.normalise_name("PyPI", name)


def metadata_kind(path: str) -> str | None:
    """What `path` is to this inventory: metadata, record, installed-files, egg-file or None."""
    folder, _, base = path.rpartition("/")
    parent = folder.rpartition("/")[2]
    if parent.endswith(".dist-info") and len(parent) > len(".dist-info"):
        if base == "METADATA":
            return "metadata"
        if base == "RECORD":
            return "record"
        return None
    if parent.endswith(".egg-info") and len(parent) > len(".egg-info"):
        if base == "PKG-INFO":
            return "metadata"
        if base == "installed-files.txt":
            return "installed-files"
        return None
    if base.endswith(".egg-info") and len(base) > len(".egg-info"):
        return "egg-file"
    return None


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


class PythonInventory(Inventory):
    """Installed Python distributions (PyPI)."""

    name = "python"


    # --- capture ------------------------------------------------------------------------------

    def wants(self, path: str, size: int, mode: int) -> int:
        kind = metadata_kind(path)
        if kind is None or size <= 0:
            return 0
        if kind in ("metadata", "egg-file"):
            return min(size, MAX_METADATA_BYTES)
        return min(size, MAX_FILE_LIST_BYTES)

    # --- packages -----------------------------------------------------------------------------

    def packages(self, files: FileView, os_info: OSInfo) -> list[Package]:
        found: list[Package] = []
        for fv in files.glob_final(lambda p: metadata_kind(p) in ("metadata", "egg-file")):
            try:
                package = self._package(files, fv)
            except Exception as exc:  # never raise: one broken distribution is one problem
                self.problem(f"{fv.path}: unreadable Python metadata ({exc})")
                continue
            if package is not None:
                found.append(package)
        return found

    def _package(self, files: FileView, fv: FileVersion) -> Package | None:
        headers = _headers(fv.data)
        if headers is None:
            self.problem(f"{fv.path}: Python metadata is not UTF-8")
            return None
        message = HeaderParser().parsestr(headers)
        name = _one_line(message.get("Name", "") or "")
        version = _one_line(message.get("Version", "") or "")
        if not name or not version:
            self.problem(f"{fv.path}: Python metadata without Name or Version")
            return None

        if metadata_kind(fv.path) == "egg-file":
            location = fv.path
            owned = [fv.path]
        else:
            location = posixpath.dirname(fv.path)
            owned = [fv.path]
            if location.endswith(".dist-info"):
                owned += self._record_files(files, location)
            else:
                owned += self._installed_files(files, location)
        purl = purl_for("PyPI", name, version)
        return Package(
            ecosystem=Ecosystem.PYTHON,
            name=name,
            version=version,
            osv_ecosystem="PyPI",
            layer=fv.layer,
            location=location,
            purl=purl,
            files=tuple(dict.fromkeys(owned)),
        )

    def _file_list(self, files: FileView, path: str) -> list[str] | None:
        """The lines of a captured file list, or None when it is absent or not UTF-8."""
        fv = files.final(path)
        if fv is None:
            return None
        data = fv.data
        if data and not data.endswith(b"\n") and len(data) >= MAX_FILE_LIST_BYTES:
            data = data[: data.rfind(b"\n") + 1]  # captured in part: drop the cut line
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.problem(f"{path}: file list is not UTF-8")
            return None
        return text.splitlines()

    def _record_files(self, files: FileView, dist_info: str) -> list[str]:
        record = f"{dist_info}/RECORD"
        lines = self._file_list(files, record)
        if lines is None:
            return []
        owned = [record]
        site = posixpath.dirname(dist_info)
        try:
            rows = list(csv.reader(lines))
        except csv.Error as exc:
            self.problem(f"{record}: broken RECORD ({exc})")
            return owned
        for row in rows:
            if row and row[0].strip():
                image_path = _image_path(site, row[0].strip())
                if image_path:
                    owned.append(image_path)
        return owned

    def _installed_files(self, files: FileView, egg_info: str) -> list[str]:
        listing = f"{egg_info}/installed-files.txt"
        lines = self._file_list(files, listing)
        if lines is None:
            return []
        owned = [listing]
        for line in lines:
            if line.strip():
                image_path = _image_path(egg_info, line.strip())
                if image_path:
                    owned.append(image_path)
        return owned


def _headers(data: bytes) -> str | None:
    """The header block of an email-format metadata file (the body, a free-form description
    that may have been cut by the capture limit, is left out), or None when not UTF-8."""
    data = data.replace(b"\r\n", b"\n")
    end = data.find(b"\n\n")
    head = data if end < 0 else data[: end + 1]
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _image_path(base: str, entry: str) -> str | None:
    """A file-list entry (relative to `base`, or absolute) as an image path; None when it
    leaves the image root."""
    joined = entry.lstrip("/") if entry.startswith("/") else posixpath.join(base, entry)
    norm = posixpath.normpath(joined) if joined else ""
    if not norm or norm == "." or norm == ".." or norm.startswith("../"):
        return None
    return norm
