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
_PROBLEM = b"\0problem\0"  # an observed file's problem, not its content


class ExtractorInventory(Inventory):
    """File extractors as one image inventory."""

    name = "extractors"

    def __init__(self, extractors: Sequence[Extractor]) -> None:
        super().__init__()
        # extractors that read a binary's head and tail as it streams (cargo-auditable); what
        # they find is kept with the file's version (FileVersion.observed)
        self.streaming = [e for e in extractors if getattr(e, "streams", False)]
        self.extractors = [e for e in extractors if e not in self.streaming]

    def _required(self, path: str, size: int | None, mode: int | None) -> list[Extractor]:
        return [e for e in self.extractors if e.file_required(path, size, mode)]

    def _streamers(self, path: str, size: int, mode: int) -> list[Extractor]:
        return [e for e in self.streaming if e.file_required(path, size, mode)]

    def tail_window(self, path: str, size: int, mode: int) -> int:
        return max((int(getattr(e, "tail_bytes", 0)) for e in self._streamers(path, size, mode)),
                   default=0)

    def observe(self, path: str, head: bytes, tail: bytes, size: int) -> bytes | None:
        for extractor in self._streamers(path, size, 0o755):
            found = extractor.section(path, head, tail, size)  # type: ignore[attr-defined]
            if isinstance(found, str):
                return _PROBLEM + found.encode("utf-8", "replace")
            if found is not None:
                return found  # type: ignore[no-any-return]
        return None

    def wants(self, path: str, size: int, mode: int) -> int:
        wanted = self._required(path, size, mode)
        if not wanted or size <= 0:
            # a streaming extractor keeps only what `observe` finds: capture the least
            return 1 if size > 0 and self._streamers(path, size, mode) else 0
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
        for path in files.final_paths():
            final = files.final(path)
            payload = dict(final.observed).get(self.name) if final is not None else None
            if final is None or payload is None:
                continue
            if payload.startswith(_PROBLEM):
                self.problem(payload[len(_PROBLEM):].decode("utf-8", "replace"))
                continue
            for extractor in [e for e in self.streaming if e.file_required(path, None, final.mode)]:
                try:
                    result = extractor.extract(ScanInput(path, payload, len(payload), final.mode))
                except Exception as exc:  # an extractor's bug is one problem, never a crash
                    self.problem(f"{path}: {extractor.name}: {type(exc).__name__}: {exc}")
                    break
                for problem in result.problems:
                    self.problem(problem)
                found.extend(_package(p, final, extractor.name) for p in result.packages)
                break
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
