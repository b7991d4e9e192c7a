"""Package URLs (purl spec) for the OSV ecosystems the extractors report, one function for
every caller (the image inventories, the lockfile adapter, the new in-image extractors)."""

from __future__ import annotations

from urllib.parse import quote

from hullscan.vuln.names import normalise_name

__all__ = ["golang_purl", "maven_purl", "npm_purl", "purl_for"]


def _q(text: str) -> str:
    return quote(text, safe="")


def npm_purl(name: str, version: str) -> str:
    """pkg:npm/%40scope/name@version (each segment percent-encoded)."""
    scope, sep, rest = name.partition("/")
    path = f"{_q(scope)}/{_q(rest)}" if sep and scope.startswith("@") else _q(name)
    return f"pkg:npm/{path}@{_q(version)}"


def golang_purl(path: str, version: str) -> str:
    """pkg:golang/<module path>@<version>: path segments lower-cased (as the purl spec asks for
    golang) and percent-encoded."""
    segments = "/".join(_q(seg.lower()) for seg in path.split("/") if seg)
    return f"pkg:golang/{segments}@{_q(version)}"


def maven_purl(group: str, artifact: str, version: str) -> str:
    prefix = f"{_q(group)}/" if group else ""
    return f"pkg:maven/{prefix}{_q(artifact)}@{_q(version)}"


def purl_for(ecosystem: str, name: str, version: str) -> str:
    """The purl of a package of an OSV ecosystem ("" for an ecosystem without a purl type)."""
    base = ecosystem.split(":", 1)[0]
    if base == "PyPI":
        return f"pkg:pypi/{_q(normalise_name('PyPI', name))}@{_q(version)}"
    if base == "npm":
        return npm_purl(name, version)
    if base == "Go":
        return golang_purl(name, version)
    if base == "Maven":
        group, _, artifact = name.rpartition(":")
        return maven_purl(group, artifact, version)
    if base in ("Packagist", "composer"):  # vendor/name, case-insensitive: lower case
        vendor, sep, rest = name.lower().partition("/")
        path = f"{_q(vendor)}/{_q(rest)}" if sep else _q(vendor)
        return f"pkg:composer/{path}@{_q(version)}"
    simple = {"crates.io": "cargo", "RubyGems": "gem", "NuGet": "nuget", "conda": "conda",
              "Pub": "pub", "Hex": "hex"}
    if base in simple:
        return f"pkg:{simple[base]}/{_q(name)}@{_q(version)}"
    return ""
