"""The extraction contract, in the shape of osv-scalibr's filesystem extractors.

An extractor says from a path (and the size and mode, when known) whether it wants a file
(`file_required`, cheap: it is asked for every file of every layer), and turns the bytes of a
wanted file into packages and problems (`extract`). It never raises: what it cannot read is a
problem naming the path, so one broken file never hides the others. It never runs anything
from the scanned tree or image, and it reads at most `max_bytes` of a file.

The same extractor serves the dependency checker (repository files) and the image checker
(files of the image's layers): a lockfile inside an image is read by the code that reads it in
the repository.

Package names compare with ONE normaliser per ecosystem (`normalise_name`, the OSV engine's):
PEP 503 for PyPI, lower case for NuGet and Packagist, as written for npm (npm names are
lower-case by rule, and OSV records spell them as published), Go, Maven, crates.io, RubyGems
and the distributions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from hullscan.vuln.names import normalise_name

__all__ = ["Extraction", "Extractor", "Package", "ScanInput", "normalise_name", "one_line"]


@dataclass(frozen=True)
class Package:
    """One package an extractor found.

    `ecosystem` is the OSV ecosystem ("PyPI", "npm", "RubyGems", "Packagist", "NuGet", ...; ""
    when OSV has no data for it, e.g. conda's own builds). `path` is where it was found (the
    repository-relative or in-image path, no leading /) and `line` the 1-based line of its entry
    when the format has lines. `source_name`/`source_version` are the source package of an OS
    package (what distribution advisories name); None for language packages. `direct` tells a
    direct dependency from a transitive one, None when the format does not say."""

    name: str
    version: str
    ecosystem: str
    purl: str
    path: str
    line: int | None = None
    source_name: str | None = None
    source_version: str | None = None
    direct: bool | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """(ecosystem, normalised name, version): the identity two extractors agree on."""
        return (self.ecosystem, normalise_name(self.ecosystem, self.name), self.version)


@dataclass(frozen=True)
class ScanInput:
    """A file handed to `Extractor.extract`: its path (no leading /), its bytes (at most the
    extractor's `max_bytes`), and its size and mode when known."""

    path: str
    data: bytes
    size: int | None = None
    mode: int | None = None


@dataclass(frozen=True)
class Extraction:
    """What `extract` found: packages, and one-line problems naming the path."""

    packages: tuple[Package, ...] = ()
    problems: tuple[str, ...] = ()


@runtime_checkable
class Extractor(Protocol):
    """One kind of file. `name` is stable (the registry's key); `max_bytes` bounds what is
    read of a file; `in_repository`/`in_image` say which walks it takes part in."""

    name: str
    max_bytes: int
    in_repository: bool
    in_image: bool

    def file_required(self, path: str, size: int | None = None,
                      mode: int | None = None) -> bool: ...

    def extract(self, scan: ScanInput) -> Extraction: ...


def one_line(text: object, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
