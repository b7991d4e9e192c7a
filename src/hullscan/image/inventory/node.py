"""npm packages installed in an image: the `package.json` of each package folder directly
inside a `node_modules/` folder (`node_modules/<name>/package.json`,
`node_modules/@scope/<name>/package.json`), at any depth of nesting
(`node_modules/a/node_modules/b/package.json`), the global npm included
(`usr/lib/node_modules/npm/package.json`). A package's own inner package.json files
(`node_modules/a/lib/package.json`) are not packages."""

from __future__ import annotations

import json

from hullscan.image.model import Ecosystem, FileVersion, FileView, Inventory, OSInfo, Package
from hullscan.packages.purl import npm_purl

__all__ = ["NodeInventory", "is_package_json", "npm_purl"]

MAX_PACKAGE_JSON_BYTES = 1024 * 1024


def is_package_json(path: str) -> bool:
    """True for `…node_modules/<name>/package.json` and
    `…node_modules/@scope/<name>/package.json`."""
    parts = path.split("/")
    if len(parts) < 3 or parts[-1] != "package.json":
        return False
    folder = parts[-2]
    if not folder or folder.startswith((".", "@")):
        return False
    if parts[-3] == "node_modules":
        return True
    scope = parts[-3]
    return (
        len(parts) >= 4
        and parts[-4] == "node_modules"
        and scope.startswith("@")
        and len(scope) > 1
    )


class NodeInventory(Inventory):
    """Installed npm packages."""

    name = "npm"


    def wants(self, path: str, size: int, mode: int) -> int:
        if not is_package_json(path) or size <= 0:
            return 0
        if size > MAX_PACKAGE_JSON_BYTES:
            self.problem(f"{path}: package.json of {size} bytes skipped "
                          f"(over {MAX_PACKAGE_JSON_BYTES})")
            return 0
        return size

    def packages(self, files: FileView, os_info: OSInfo) -> list[Package]:
        found: list[Package] = []
        for fv in files.glob_final(is_package_json):
            try:
                package = self._package(fv)
            except Exception as exc:  # never raise: one broken package is one problem
                self.problem(f"{fv.path}: unreadable package.json ({exc})")
                continue
            if package is not None:
                found.append(package)
        return found

    def _package(self, fv: FileVersion) -> Package | None:
        if len(fv.data) > MAX_PACKAGE_JSON_BYTES:
            self.problem(f"{fv.path}: package.json over {MAX_PACKAGE_JSON_BYTES} bytes skipped")
            return None
        try:
            text = fv.data.decode("utf-8-sig")
        except UnicodeDecodeError:
            self.problem(f"{fv.path}: package.json is not UTF-8")
            return None
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            self.problem(f"{fv.path}: invalid JSON ({exc})")
            return None
        if not isinstance(doc, dict):
            self.problem(f"{fv.path}: package.json is not a JSON object")
            return None
        name, version = doc.get("name"), doc.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            return None
        name, version = name.strip(), version.strip()
        if not name or not version or doc.get("private") is True:
            return None
        return Package(
            ecosystem=Ecosystem.NPM,
            name=name,
            version=version,
            osv_ecosystem="npm",
            layer=fv.layer,
            location=fv.path,
            purl=npm_purl(name, version),
            files=(fv.path,),
        )
