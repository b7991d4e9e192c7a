"""docs/architecture.md and the registries agree: every registry it names exists where it says,
and each registry's entries are exactly the ones it lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
DOC = (PROJECT / "docs" / "architecture.md").read_text("utf-8")


def _listed(label: str) -> list[str]:
    """The backticked entries of the paragraph that starts with `label`."""
    match = re.search(rf"^{re.escape(label)}[^:]*:(?P<body>.*?)(?:\n\n|\Z)", DOC,
                      re.MULTILINE | re.DOTALL)
    assert match, f"docs/architecture.md has no '{label}' paragraph"
    return re.findall(r"`([^`]+)`", match.group("body"))


def _registries() -> dict[str, list[str]]:
    from hullscan.checkers import CHECKERS
    from hullscan.dockerfile.rules import CHECKS
    from hullscan.formats import FORMATS
    from hullscan.image.resolve import SOURCES
    from hullscan.packages.registry import EXTRACTORS
    from hullscan.rules.registry import OWN, TOOLS

    assert list(OWN) == list(TOOLS)
    return {
        "Checkers": list(CHECKERS),
        "Rule providers": list(OWN),
        "Dockerfile rule families": [c.__module__.rsplit(".", 1)[-1] for c in CHECKS],
        "Output formats": list(FORMATS),
        "Package extractors": list(EXTRACTORS),
        "Image sources": list(SOURCES),
    }


@pytest.mark.parametrize("label", [
    "Checkers", "Rule providers", "Dockerfile rule families", "Output formats",
    "Package extractors", "Image sources",
])
def test_each_registry_lists_what_the_doc_lists(label: str) -> None:
    assert _listed(label) == _registries()[label]


def test_every_registration_place_exists() -> None:
    places = re.findall(r"`([A-Z_]+)` in `(src/hullscan/[^`]+\.py)`", DOC)
    assert len(places) >= 7
    for name, path in places:
        text = (PROJECT / path).read_text("utf-8")
        assert re.search(rf"^{name}\b[^=\n]*=", text, re.MULTILINE), f"{name} not in {path}"


def test_at_most_eight_top_level_modules_and_the_core_imports_no_other_layer() -> None:
    package = PROJECT / "src" / "hullscan"
    modules = sorted(p.name for p in package.glob("*.py"))
    assert len(modules) <= 8, modules
    for path in (package / "core").glob("*.py"):
        for line in path.read_text("utf-8").splitlines():
            match = re.match(r"from (hullscan(?:\.\w+)*) import", line)  # top level only
            if match and match.group(1) != "hullscan":
                assert match.group(1).startswith("hullscan.core"), f"{path.name}: {line}"
