"""Java archives: `*.jar`, `*.war`, `*.ear` files, captured whole up to a size limit (a zip
needs random access) and read in memory.

Every `META-INF/maven/<group>/<artifact>/pom.properties` is one Maven package (shaded jars
carry their dependencies' files too). Archives inside an archive (`BOOT-INF/lib/*.jar`,
`WEB-INF/lib/*.jar`, a war in an ear, any `*.jar`) are read recursively, to a depth of 3 and
within an uncompressed budget per top-level archive; each entry's declared size is checked
before it is read, and zipfile never inflates past the declared size, so a zip bomb costs at
most the budget. An archive without pom.properties falls back to its manifest's
Implementation-Title and Implementation-Version (when both exist), marked as guessed."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from hullscan.image.model import Ecosystem, FileVersion, FileView, Inventory, OSInfo, Package
from hullscan.packages.purl import maven_purl as maven_purl

ARCHIVE_SUFFIXES = (".jar", ".war", ".ear")
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024  # a top-level archive, captured whole
MAX_DEPTH = 3  # archives inside archives: app.ear!/x.war!/WEB-INF/lib/y.jar!/z.jar
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024  # read from one top-level archive, nested included
MAX_SMALL_ENTRY_BYTES = 1024 * 1024  # pom.properties, MANIFEST.MF
MAX_ENTRIES = 200_000  # central directory records in one archive


def is_archive(path: str) -> bool:
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def parse_properties(text: str) -> dict[str, str]:
    """Java .properties, the subset pom.properties uses: `key=value` / `key: value` lines,
    `#`/`!` comments, backslash line continuations."""
    result: dict[str, str] = {}
    lines = iter(text.splitlines())
    for raw in lines:
        line = raw.lstrip()
        if not line or line.startswith(("#", "!")):
            continue
        while line.endswith("\\") and not line.endswith("\\\\"):
            line = line[:-1] + next(lines, "").lstrip()
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if cut < 0:
            key, value = line.split(None, 1) if " " in line else (line, "")
        else:
            key, value = line[:cut], line[cut + 1:]
        result[key.strip()] = value.strip()
    return result


def parse_manifest(text: str) -> dict[str, str]:
    """The main section of a MANIFEST.MF (continuation lines start with one space)."""
    result: dict[str, str] = {}
    last: str | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            break  # the main section ends at the first empty line
        if line.startswith(" ") and last is not None:
            result[last] += line[1:]
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip()
            result[last] = value[1:] if value.startswith(" ") else value
    return {key: value.strip() for key, value in result.items()}



class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit


@dataclass(frozen=True)
class _Found:
    name: str
    group: str
    artifact: str
    version: str
    location: str
    guessed: bool = False


class JavaInventory(Inventory):
    """Maven artifacts in Java archives."""

    name = "java"

    def __init__(self, max_archive_bytes: int = MAX_ARCHIVE_BYTES,
                 max_uncompressed_bytes: int = MAX_UNCOMPRESSED_BYTES,
                 max_depth: int = MAX_DEPTH) -> None:
        super().__init__()
        self.max_archive_bytes = max_archive_bytes
        self.max_uncompressed_bytes = max_uncompressed_bytes
        self.max_depth = max_depth


    # --- capture ------------------------------------------------------------------------------

    def wants(self, path: str, size: int, mode: int) -> int:
        if not is_archive(path) or size <= 0:
            return 0
        if size > self.max_archive_bytes:
            self.problem(f"{path}: Java archive of {size} bytes skipped "
                          f"(over {self.max_archive_bytes})")
            return 0
        return size

    # --- packages -----------------------------------------------------------------------------

    def packages(self, files: FileView, os_info: OSInfo) -> list[Package]:
        packages: list[Package] = []
        for fv in files.glob_final(is_archive):
            found: list[_Found] = []
            budget = _Budget(self.max_uncompressed_bytes)
            try:
                self._archive(fv.data, fv.path, 0, budget, found)
            except Exception as exc:  # never raise: one broken archive is one problem
                self.problem(f"{fv.path}: Java archive not read ({exc})")
                continue
            packages.extend(self._packages(fv, found))
        return packages

    def _packages(self, fv: FileVersion, found: list[_Found]) -> list[Package]:
        result: list[Package] = []
        seen: set[tuple[str, str, str]] = set()
        for item in found:
            key = (item.name, item.version, item.location)
            if key in seen:
                continue
            seen.add(key)
            # A guessed name OSV could only match by chance is kept out of matching unless it
            # has the Maven group:artifact form.
            osv = "Maven" if item.group and item.artifact else ""
            result.append(Package(
                ecosystem=Ecosystem.MAVEN,
                name=item.name,
                version=item.version,
                osv_ecosystem=osv,
                layer=fv.layer,
                location=item.location,
                purl=maven_purl(item.group, item.artifact or item.name, item.version),
                files=(fv.path,),
                properties={"guessed": "manifest"} if item.guessed else {},
            ))
        return result

    def _archive(self, data: bytes, location: str, depth: int, budget: _Budget,
                 found: list[_Found]) -> None:
        """Read one archive (top-level or nested) into `found`; problems name `location`."""
        if data.count(b"PK\x01\x02") > MAX_ENTRIES:
            self.problem(f"{location}: Java archive with over {MAX_ENTRIES} entries skipped")
            return
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            self.problem(f"{location}: broken Java archive ({exc})")
            return
        with archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            poms = [i for i in infos if _is_pom_properties(i.filename)]
            any_pom = False
            for info in poms:
                text = self._small_entry(archive, info, location, budget)
                if text is None:
                    continue
                props = parse_properties(text)
                parts = info.filename.split("/")
                group = props.get("groupId") or parts[2]
                artifact = props.get("artifactId") or parts[3]
                version = props.get("version", "")
                if not version:
                    self.problem(f"{location}!/{info.filename}: pom.properties without version")
                    continue
                any_pom = True
                found.append(_Found(f"{group}:{artifact}", group, artifact, version, location))
            if not any_pom:
                self._manifest(archive, infos, location, budget, found)
            for info in infos:
                if not is_archive(info.filename):
                    continue
                inner = f"{location}!/{info.filename}"
                if depth + 1 > self.max_depth:
                    self.problem(f"{inner}: nested deeper than {self.max_depth} archives, "
                                  "skipped")
                    continue
                nested = self._read_entry(archive, info, location, budget)
                if nested is not None:
                    self._archive(nested, inner, depth + 1, budget, found)
                    del nested

    def _manifest(self, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], location: str,
                  budget: _Budget, found: list[_Found]) -> None:
        info = next((i for i in infos if i.filename.upper() == "META-INF/MANIFEST.MF"), None)
        if info is None:
            return
        text = self._small_entry(archive, info, location, budget)
        if text is None:
            return
        manifest = parse_manifest(text)
        title = manifest.get("Implementation-Title", "")
        version = manifest.get("Implementation-Version", "")
        if not title or not version:
            return
        group = manifest.get("Implementation-Vendor-Id", "")
        if group:
            found.append(_Found(f"{group}:{title}", group, title, version, location, True))
        else:
            found.append(_Found(title, "", "", version, location, True))

    def _small_entry(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, location: str,
                     budget: _Budget) -> str | None:
        if info.file_size > MAX_SMALL_ENTRY_BYTES:
            self.problem(f"{location}!/{info.filename}: {info.file_size} bytes, skipped")
            return None
        data = self._read_entry(archive, info, location, budget)
        if data is None:
            return None
        return data.decode("utf-8", errors="replace")

    def _read_entry(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, location: str,
                    budget: _Budget) -> bytes | None:
        """An entry's bytes, when its declared size fits the budget (zipfile stops at the
        declared size, so a lying header cannot inflate past it)."""
        name = f"{location}!/{info.filename}"
        if info.file_size > budget.left:
            self.problem(f"{name}: {info.file_size} bytes uncompressed, over the "
                          f"{self.max_uncompressed_bytes}-byte budget of the archive, skipped")
            return None
        budget.left -= info.file_size
        try:
            with archive.open(info) as handle:
                data = handle.read(info.file_size + 1)
        except Exception as exc:  # BadZipFile (CRC), zlib.error, encrypted, unknown method
            self.problem(f"{name}: unreadable entry ({exc})")
            return None
        if len(data) > info.file_size:
            self.problem(f"{name}: larger than declared, skipped")
            return None
        return data


def _is_pom_properties(name: str) -> bool:
    parts = name.split("/")
    return (len(parts) == 5 and parts[0] == "META-INF" and parts[1] == "maven"
            and parts[4] == "pom.properties" and bool(parts[2]) and bool(parts[3]))
