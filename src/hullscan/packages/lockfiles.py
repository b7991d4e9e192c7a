"""The lockfile and manifest readers (`hullscan.deps.lockfiles`) as an Extractor: the same
reader, the same decoding and the same version checks for a repository file and for a file of
an image's layers.

In an image only what the image's own application pins counts: manifests that are not locks
(`package.json`, `pyproject.toml`, `pom.xml`: ranges and properties, and every installed npm
package ships one) are left to the installed-package inventories, and so are the lockfiles and
go.mod files that installed packages and caches carry with them (under `node_modules/`,
`site-packages/`, a gems folder, a Go module cache, `vendor/`, `testdata/`, the Go
distribution's own tree, ...): those describe how a dependency was developed, not what the image
runs."""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatchcase

from hullscan.deps.lockfiles import READERS, LockfileError, ReadResult, read_data, reader_for
from hullscan.packages.interface import Extraction, Package, ScanInput, one_line
from hullscan.packages.purl import purl_for

__all__ = ["LockfileExtractor"]

MAX_IN_IMAGE_BYTES = 16 * 1024 * 1024  # a lockfile of an image is captured in memory
NOT_IN_IMAGE = frozenset({"package.json", "pyproject.toml", "pom.xml"})
# folders whose lockfiles belong to an installed dependency or a cache, not the application
_FOREIGN_FOLDERS = frozenset({"node_modules", "site-packages", "dist-packages", "vendor",
                              "gems", ".cargo", ".m2", ".npm", ".cache", "bower_components",
                              "testdata"})
# toolchains' own source trees (the Go distribution's go.mod files and their test data)
_TOOLCHAINS = re.compile(r"^(?:usr/local/go|usr/lib/go(?:-[\d.]+)?|usr/share/doc)(?:/|$)")
_EXACT = frozenset(p for p in READERS if not any(c in p for c in "*?["))
_PATTERNS = tuple(p.rpartition("/")[2] for p in READERS if p not in _EXACT)


class LockfileExtractor:
    """Every lockfile and manifest format hullscan reads, as one extractor."""

    in_repository = True
    in_image = False

    def __init__(self, image: bool = False) -> None:
        self.image = image
        self.name = "lockfile-in-image" if image else "lockfile"
        self.in_image = image
        self.in_repository = not image
        self.max_bytes = MAX_IN_IMAGE_BYTES if image else 64 * 1024 * 1024

    def reader(self, path: str) -> Callable[[str], ReadResult] | None:
        """The reader for a (repository-relative or in-image) path, or None."""
        folder, _, base = path.rpartition("/")
        if base not in _EXACT and not any(fnmatchcase(base, p) for p in _PATTERNS):
            return None  # cheap: asked for every file of every layer
        if self.image:
            if base in NOT_IN_IMAGE:
                return None
            parts = folder.split("/")
            if _FOREIGN_FOLDERS.intersection(parts) or "pkg/mod" in folder \
                    or _TOOLCHAINS.match(folder):
                return None
        return reader_for(base, path)

    def file_required(self, path: str, size: int | None = None, mode: int | None = None) -> bool:
        return self.reader(path) is not None and (size is None or size > 0)

    def extract(self, scan: ScanInput) -> Extraction:
        reader = self.reader(scan.path)
        if reader is None:
            return Extraction()
        if len(scan.data) > self.max_bytes:
            return Extraction(problems=(f"{scan.path}: over {self.max_bytes:,} bytes: not read",))
        try:
            result = read_data(scan.data, reader)
        except LockfileError as exc:
            at = f":{exc.line}" if exc.line else ""
            return Extraction(problems=(f"{scan.path}{at}: cannot read: {one_line(exc)}",))
        packages = tuple(
            Package(d.package.name, d.package.version, d.package.ecosystem,
                    purl_for(d.package.ecosystem, d.package.name, d.package.version),
                    scan.path, d.line, direct=d.direct)
            for d in result.dependencies)
        problems = tuple(f"{scan.path}:{line}: {name} cannot be audited: {one_line(reason)}"
                         for name, line, reason in (*result.unpinned, *result.unorderable))
        return Extraction(packages, problems)
