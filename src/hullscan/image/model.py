"""The image model shared by sources, the layer walker, inventories and the image checker."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from hullscan.core.errors import HullscanError


class ImageError(HullscanError):
    """An image that cannot be read: a missing blob, a digest mismatch, a broken manifest, a
    registry that refuses. The message is one line and names the image or the blob."""

    exit_code = 3


@dataclass(frozen=True)
class LayerInfo:
    """One filesystem layer, in order (index 0 is the base)."""

    index: int
    digest: str  # the blob's digest as the manifest names it (sha256:...)
    media_type: str
    size: int | None = None
    created_by: str | None = None  # the history entry's created_by (the Dockerfile instruction)


@dataclass(frozen=True)
class ImageConfig:
    """The parts of the image configuration hullscan reads."""

    user: str = ""
    env: tuple[str, ...] = ()
    exposed_ports: tuple[str, ...] = ()  # "22/tcp"
    os: str = ""
    architecture: str = ""
    variant: str = ""
    history: tuple[Mapping[str, Any], ...] = ()  # every history entry, empty layers included
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Image:
    """An image ready to walk: its configuration and its layers, each with a way to open the
    blob as a stream (compressed as stored; the walker detects gzip/zstd/plain and verifies the
    digest while reading)."""

    reference: str  # what the user named, for messages
    config: ImageConfig
    layers: tuple[LayerInfo, ...]
    open_layer: Callable[[LayerInfo], IO[bytes]]
    digest: str | None = None  # the manifest digest, when known
    verify_digests: bool = True  # False for an unpacked folder (dir:), which has no blobs


class ImageSource:
    """Interface: an image source turns a reference into an `Image` (raises ImageError)."""

    prefix: str = ""

    def open(self, reference: str, platform: str | None) -> Image:
        raise NotImplementedError


# --- what inventories work with -------------------------------------------------------------


class Ecosystem(enum.Enum):
    DEB = "deb"
    APK = "apk"
    RPM = "rpm"
    PYTHON = "python"
    NPM = "npm"
    GO = "go"
    MAVEN = "maven"
    GEM = "gem"
    COMPOSER = "composer"
    NUGET = "nuget"
    CARGO = "cargo"
    CONDA = "conda"
    OTHER = "other"


@dataclass(frozen=True)
class OSInfo:
    """From /etc/os-release (and /etc/debian_version for Debian's point release)."""

    id: str = ""  # debian, ubuntu, alpine, rhel, rocky, almalinux, ...
    version_id: str = ""  # 12, 22.04, 3.19.1, 9.3
    pretty_name: str = ""
    id_like: tuple[str, ...] = ()
    version_codename: str = ""
    point_release: str = ""  # 12.5 from debian_version

    @property
    def name(self) -> str:
        return self.pretty_name or f"{self.id} {self.version_id}".strip()


@dataclass(frozen=True)
class Package:
    """A package found in the image.

    `osv_ecosystem` is the OSV ecosystem to match against ("Debian:12", "Alpine:v3.19",
    "Rocky Linux:9", "PyPI", "npm", "Go", "Maven"), or "" when OSV has no data for it.
    OS advisories name the SOURCE package: `source_name`/`source_version` are what is matched
    for OS packages (dpkg Source:, apk origin, rpm SOURCERPM); for language packages they are
    None and name/version are matched.
    `layer` is the index of the layer that introduced this version; `location` is the path in
    the image where it was found (var/lib/dpkg/status, usr/lib/python3/dist-packages/x.dist-info).
    `files` are paths the package owns (no leading /), used to report a language package that
    an OS package installed only once, as the OS package."""

    ecosystem: Ecosystem
    name: str
    version: str
    osv_ecosystem: str
    layer: int
    location: str
    source_name: str | None = None
    source_version: str | None = None
    purl: str = ""
    files: tuple[str, ...] = ()
    properties: Mapping[str, Any] = field(default_factory=dict)

    @property
    def match_name(self) -> str:
        return self.source_name or self.name

    @property
    def match_version(self) -> str:
        return self.source_version or self.version


@dataclass(frozen=True)
class FileVersion:
    """The content of a captured file as one layer left it."""

    path: str  # no leading /, normalised
    layer: int
    data: bytes
    mode: int = 0o644
    observed: tuple[tuple[str, bytes], ...] = ()  # (inventory name, what its `observe` kept)


class FileView:
    """What inventories read: for each captured path, its versions layer by layer (in order),
    and the final state after whiteouts. Only files some inventory asked for are captured."""

    def __init__(self, versions: Mapping[str, Sequence[FileVersion]],
                 final: Mapping[str, FileVersion]) -> None:
        self._versions = versions
        self._final = final

    def final(self, path: str) -> FileVersion | None:
        return self._final.get(path)

    def final_paths(self) -> list[str]:
        return sorted(self._final)

    def history(self, path: str) -> Sequence[FileVersion]:
        """Every version of `path` the layers wrote, in layer order (deleted ones included)."""
        return self._versions.get(path, ())

    def captured_paths(self) -> list[str]:
        """Every path any layer wrote that was captured, deleted or not."""
        return sorted(self._versions)

    def glob_final(self, predicate: Callable[[str], bool]) -> list[FileVersion]:
        return [self._final[p] for p in sorted(self._final) if predicate(p)]


class Inventory:
    """Interface: one kind of package. `wants` is asked for every regular file of every layer
    (path without leading /, size, mode) and returns the number of bytes to capture (0: not
    wanted); `read` (optional) can replace plain capture for large files, e.g. a Go binary
    scanned for its build information while streaming. `packages` reads the captured files."""

    name: str = ""

    def __init__(self) -> None:
        self.problems: list[str] = []  # one line each, naming the path; no repeats

    def problem(self, message: object) -> None:
        line = " ".join(str(message).split())
        if line not in self.problems:
            self.problems.append(line)

    def wants(self, path: str, size: int, mode: int) -> int:
        raise NotImplementedError

    def read(self, path: str, stream: IO[bytes], size: int) -> bytes | None:
        """Capture from the stream; the default reads up to `wants()` bytes."""
        return None

    def tail_window(self, path: str, size: int, mode: int) -> int:
        """How many of the last bytes of a wanted file `observe` needs (0: none). The walker
        then reads the file to its end, whoever captures it, and calls `observe`."""
        return 0

    def observe(self, path: str, head: bytes, tail: bytes, size: int) -> bytes | None:
        """Given the first bytes and the last `tail_window` bytes of a wanted file as it
        streamed, what to keep with this version of the file (`FileVersion.observed`), small."""
        return None

    def packages(self, files: FileView, os_info: OSInfo) -> list[Package]:
        raise NotImplementedError


@dataclass(frozen=True)
class ImageRequest:
    """What the user asked of the image checker."""

    reference: str  # docker-archive:PATH, oci:PATH[:TAG], dir:PATH, registry:NAME, docker:NAME
    dockerfile: str | None = None  # the Dockerfile it was built from (repository path)
    anchor: str | None = None  # without a Dockerfile: the repository file results point at
    platform: str | None = None  # os/arch[/variant]
    insecure_registries: tuple[str, ...] = ()
