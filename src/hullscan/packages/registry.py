"""Every extractor, registered once. The dependency checker walks repository files through
`for_repository()`, the image checker walks the files of an image's layers through
`for_image()`: to add a format, write its extractor module and add one line here.

(The image's whole-filesystem inventories — dpkg, apk, rpm, Python, Go, Java, which read
several files of a package database together or stream binaries — are listed by the image
checker.)"""

from __future__ import annotations

from hullscan.packages.cargo_auditable import CargoAuditableExtractor
from hullscan.packages.composer import ComposerInstalledExtractor
from hullscan.packages.conda import CondaMetaExtractor
from hullscan.packages.dotnet import DotnetDepsExtractor
from hullscan.packages.gems import GemspecExtractor
from hullscan.packages.interface import Extractor
from hullscan.packages.lockfiles import LockfileExtractor
from hullscan.packages.node_modules import NodeModulesExtractor

__all__ = ["EXTRACTORS", "for_image", "for_repository", "repository_lockfiles"]

EXTRACTORS: dict[str, Extractor] = {
    "lockfile": LockfileExtractor(),
    "lockfile-in-image": LockfileExtractor(image=True),
    "npm-installed": NodeModulesExtractor(),
    "gemspec": GemspecExtractor(),
    "composer-installed": ComposerInstalledExtractor(),
    "dotnet-deps": DotnetDepsExtractor(),
    "conda-meta": CondaMetaExtractor(),
    "cargo-auditable": CargoAuditableExtractor(),
}


def for_repository() -> list[Extractor]:
    return [e for e in EXTRACTORS.values() if e.in_repository]


def for_image() -> list[Extractor]:
    return [e for e in EXTRACTORS.values() if e.in_image]


def repository_lockfiles() -> LockfileExtractor:
    """The repository's lockfile extractor (the dependency checker reads its richer results:
    unpinned entries, `-r` includes)."""
    extractor = EXTRACTORS["lockfile"]
    assert isinstance(extractor, LockfileExtractor)
    return extractor
