"""The registry's file extractors (`hullscan.packages.registry.for_image()`) on the files of an
image's layers: each file an extractor requires is captured (up to its `max_bytes`; a larger
one is a problem, never read in part), extracted from its final version, and every package
keeps the layer that last wrote the file, so it is attributed to that layer's Dockerfile line,
and the in-image path of the file, for the SBOM."""

from __future__ import annotations

from collections.abc import Sequence

from hullscan.image.model import Ecosystem, FileVersion, FileView, Inventory, OSInfo, Package
from hullscan.packages import interface
from hullscan.packages.interface import Extractor, ScanInput

# OSV ecosystem (or purl type, for ecosystems OSV has no data for) -> the image model's kind
KINDS: dict[str, Ecosystem] = {
    "PyPI": Ecosystem.PYTHON, "npm": Ecosystem.NPM, "Go": Ecosystem.GO,
    "Maven": Ecosystem.MAVEN, "crates.io": Ecosystem.CARGO, "RubyGems": Ecosystem.GEM,
    "Packagist": Ecosystem.COMPOSER, "NuGet": Ecosystem.NUGET,
}
PURL_KINDS = {"conda": Ecosystem.CONDA}  # no OSV ecosystem: inventoried, not matched
FROM_FILE = "extractedFrom"  # Package.properties key: the extractor's name


class ExtractorInventory(Inventory):
    """File extractors as one image inventory."""

    name = "extractors"

    def __init__(self, extractors: Sequence[Extractor]) -> None:
        super().__init__()
        self.extractors = list(extractors)

    def _required(self, path: str, size: int | None, mode: int | None) -> list[Extractor]:
        return [e for e in self.extractors if e.file_required(path, size, mode)]

    def wants(self, path: str, size: int, mode: int) -> int:
        wanted = self._required(path, size, mode)
        if not wanted or size <= 0:
            return 0
        limit = max(e.max_bytes for e in wanted)
        if size > limit:
            self.problem(f"{path}: {size:,} bytes, over the {limit:,} read for "
                         f"{wanted[0].name}: skipped")
            return 0
        return size

    def packages(self, files: FileView, os_info: OSInfo) -> list[Package]:
        found: list[Package] = []
        for fv in files.glob_final(lambda p: bool(self._required(p, None, None))):
            for extractor in self._required(fv.path, len(fv.data), fv.mode):
                try:
                    result = extractor.extract(ScanInput(fv.path, fv.data, len(fv.data),
                                                         fv.mode))
                except Exception as exc:  # an extractor's bug is one problem, never a crash
                    self.problem(f"{fv.path}: {extractor.name}: {type(exc).__name__}: {exc}")
                    continue
                for problem in result.problems:
                    self.problem(problem)
                found.extend(_package(p, fv, extractor.name) for p in result.packages)
        return found


def _package(package: interface.Package, fv: FileVersion, extractor: str) -> Package:
    kind = KINDS.get(package.ecosystem) or PURL_KINDS.get(
        package.purl[4:].partition("/")[0], Ecosystem.OTHER)
    properties: dict[str, object] = {FROM_FILE: extractor}
    if package.line:
        properties["line"] = package.line
    return Package(ecosystem=kind, name=package.name, version=package.version,
                   osv_ecosystem=package.ecosystem, layer=fv.layer, location=package.path,
                   source_name=package.source_name, source_version=package.source_version,
                   purl=package.purl, files=(fv.path,), properties=properties)
