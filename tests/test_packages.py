"""The package-extraction layer (hullscan.packages): the interface, the one name normaliser per
ecosystem that the dependency and image checkers share, and purls."""

from __future__ import annotations

import pytest

from hullscan.image.inventory.python import normalise_name as python_normalise
from hullscan.packages.interface import Package, normalise_name
from hullscan.packages.purl import purl_for
from hullscan.vuln import names


@pytest.mark.parametrize(("ecosystem", "written", "compared"), [
    # PEP 503: runs of -, _ and . are one -, lower case
    ("PyPI", "Flask_SQLAlchemy", "flask-sqlalchemy"),
    ("PyPI", "zope.interface", "zope-interface"),
    ("PyPI", "A__B--C..D", "a-b-c-d"),
    # npm: names are lower case by rule and OSV spells them as published: compared as written
    # (a legacy mixed-case name such as JSONStream is a different package from jsonstream)
    ("npm", "JSONStream", "JSONStream"),
    ("npm", "@Types/Node", "@Types/Node"),
    # NuGet and Packagist compare without case
    ("NuGet", "Newtonsoft.Json", "newtonsoft.json"),
    ("Packagist", "Symfony/HTTP-Kernel", "symfony/http-kernel"),
    # as written: Go module paths, Maven coordinates, crates, gems, distributions' sources
    ("Go", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"),
    ("Maven", "org.Apache:Log4j", "org.Apache:Log4j"),
    ("crates.io", "Inflector", "Inflector"),
    ("RubyGems", "ActiveSupport", "ActiveSupport"),
    ("Debian:12", "Openssl", "Openssl"),
])
def test_one_normaliser_per_ecosystem(ecosystem: str, written: str, compared: str) -> None:
    assert normalise_name(ecosystem, written) == compared
    # the engine, the image inventories and the extractors use the same function
    assert normalise_name is names.normalise_name
    if ecosystem == "PyPI":
        assert python_normalise(written) == compared


def test_package_key_agrees_across_spellings() -> None:
    lock = Package("Flask_SQLAlchemy", "3.1.1", "PyPI", "", "app/requirements.txt", 3)
    installed = Package("flask-sqlalchemy", "3.1.1", "PyPI", "", "usr/lib/x.dist-info")
    assert lock.key == installed.key == ("PyPI", "flask-sqlalchemy", "3.1.1")
    assert Package("JSONStream", "1.0", "npm", "", "a").key != \
        Package("jsonstream", "1.0", "npm", "", "a").key


@pytest.mark.parametrize(("ecosystem", "name", "version", "purl"), [
    ("PyPI", "Flask_SQLAlchemy", "3.1.1", "pkg:pypi/flask-sqlalchemy@3.1.1"),
    ("npm", "@types/node", "20.1.0", "pkg:npm/%40types/node@20.1.0"),
    ("Go", "github.com/BurntSushi/toml", "v1.3.2", "pkg:golang/github.com/burntsushi/toml@v1.3.2"),
    ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1",
     "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
    ("crates.io", "serde", "1.0.0", "pkg:cargo/serde@1.0.0"),
    ("RubyGems", "rack", "2.2.3", "pkg:gem/rack@2.2.3"),
    ("Packagist", "Symfony/Http-Kernel", "v5.4.0", "pkg:composer/symfony/http-kernel@v5.4.0"),
    ("NuGet", "Newtonsoft.Json", "13.0.1", "pkg:nuget/Newtonsoft.Json@13.0.1"),
    ("conda", "numpy", "1.26.4", "pkg:conda/numpy@1.26.4"),
    ("Unknown", "x", "1", ""),
])
def test_purls(ecosystem: str, name: str, version: str, purl: str) -> None:
    assert purl_for(ecosystem, name, version) == purl
