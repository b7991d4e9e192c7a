"""npm packages installed in an image: the registry's `npm-installed` extractor
(`hullscan.packages.node_modules`) as an inventory of its own, for callers that want only it."""

from __future__ import annotations

from hullscan.image.inventory.extracted import ExtractorInventory
from hullscan.packages.node_modules import MAX_PACKAGE_JSON_BYTES, NodeModulesExtractor
from hullscan.packages.node_modules import is_package_json as is_package_json
from hullscan.packages.purl import npm_purl as npm_purl

__all__ = ["MAX_PACKAGE_JSON_BYTES", "NodeInventory", "is_package_json", "npm_purl"]


class NodeInventory(ExtractorInventory):
    """Installed npm packages."""

    name = "npm"

    def __init__(self) -> None:
        super().__init__([NodeModulesExtractor()])
