"""Conda packages: `conda-meta/<name>-<version>-<build>.json`, one record per installed package
of an environment (`opt/conda/conda-meta/`, `opt/conda/envs/<env>/conda-meta/`), with its
`name` and `version`. OSV has no conda ecosystem: they are inventoried (SBOM) and not matched."""

from __future__ import annotations

from hullscan.packages import _json
from hullscan.packages.interface import Extraction, Package, ScanInput
from hullscan.packages.purl import purl_for

MAX_RECORD_BYTES = 8 * 1024 * 1024  # the `files` list of a large package


class CondaMetaExtractor:
    name = "conda-meta"
    max_bytes = MAX_RECORD_BYTES
    in_repository = False
    in_image = True

    def file_required(self, path: str, size: int | None = None, mode: int | None = None) -> bool:
        folder, _, base = path.rpartition("/")
        return (folder.rpartition("/")[2] == "conda-meta" and base.endswith(".json")
                and len(base) > 5 and (size is None or size > 0))

    def extract(self, scan: ScanInput) -> Extraction:
        doc, problem = _json.load(scan, self.max_bytes)
        if problem:
            return Extraction(problems=(problem,))
        if not isinstance(doc, dict):
            return Extraction(problems=(f"{scan.path}: not a JSON object",))
        name, version = _json.text(doc.get("name")), _json.text(doc.get("version"))
        if name is None or version is None:
            return Extraction(problems=(f"{scan.path}: conda record without name or version",))
        return Extraction((Package(name, version, "", purl_for("conda", name, version),
                                   scan.path),))
