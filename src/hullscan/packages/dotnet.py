"""Published .NET applications: `<app>.deps.json` beside the application, whose `libraries`
map `Name/Version` to an entry; entries of type `package` are the NuGet packages the
application was built with (`project` and `reference` entries are its own code)."""

from __future__ import annotations

from hullscan.packages import _json
from hullscan.packages.interface import Extraction, Package, ScanInput
from hullscan.packages.purl import purl_for

MAX_DEPS_JSON_BYTES = 16 * 1024 * 1024


class DotnetDepsExtractor:
    name = "dotnet-deps"
    max_bytes = MAX_DEPS_JSON_BYTES
    in_repository = False  # build output; packages.lock.json is what a repository pins
    in_image = True

    def file_required(self, path: str, size: int | None = None, mode: int | None = None) -> bool:
        base = path.rpartition("/")[2]
        return base.endswith(".deps.json") and len(base) > 10 and (size is None or size > 0)

    def extract(self, scan: ScanInput) -> Extraction:
        doc, problem = _json.load(scan, self.max_bytes)
        if problem:
            return Extraction(problems=(problem,))
        libraries = doc.get("libraries") if isinstance(doc, dict) else None
        if not isinstance(libraries, dict):
            return Extraction(problems=(f"{scan.path}: no `libraries` object",))
        packages: list[Package] = []
        problems: list[str] = []
        for key, entry in libraries.items():
            if not isinstance(entry, dict) or entry.get("type") != "package":
                continue
            name, sep, version = key.rpartition("/")
            if not sep or not name.strip() or not version.strip():
                problems.append(f"{scan.path}: library {key[:200]!r} is not Name/Version")
                continue
            name, version = name.strip(), version.strip()
            packages.append(Package(name, version, "NuGet", purl_for("NuGet", name, version),
                                    scan.path))
        return Extraction(tuple(packages), tuple(problems))
