"""The wheel holds every package of the source tree: a package missing from pyproject.toml's
explicit list installs without it, and the hooks' environments (built from the wheel) fail on
import."""

from __future__ import annotations

import tomllib
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def test_every_source_package_is_listed_in_pyproject() -> None:
    packages = tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]
    listed = set(packages)
    assert len(listed) == len(packages), "a package is listed twice"
    found = {
        ".".join(init.parent.relative_to(PROJECT / "src").parts)
        for init in (PROJECT / "src").rglob("__init__.py")
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
