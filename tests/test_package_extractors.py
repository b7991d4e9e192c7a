"""The in-image extractors of hullscan.packages (Ruby gems, Composer's installed.json, .NET
deps.json, conda-meta) on files the tests write: what they want, what they find, and that
hostile content is a problem, never an exception."""

from __future__ import annotations

import json
import random

import pytest

from hullscan.packages.composer import ComposerInstalledExtractor
from hullscan.packages.conda import CondaMetaExtractor
from hullscan.packages.dotnet import DotnetDepsExtractor
from hullscan.packages.gems import GemspecExtractor, split_file_name
from hullscan.packages.interface import Extraction, Extractor, ScanInput
from hullscan.packages.registry import EXTRACTORS, for_image, for_repository

GEMS = "usr/local/bundle/specifications"
NOKOGIRI = b"""# -*- encoding: utf-8 -*-
# stub: nokogiri 1.15.4 x86_64-linux lib

Gem::Specification.new do |s|
  s.name = "nokogiri".freeze
  s.version = "1.15.4"
  s.platform = "x86_64-linux".freeze
  s.add_runtime_dependency(%q<racc>.freeze, ["~> 1.4"])
end
"""


def rows(result: Extraction) -> list[tuple[str, str, str, str, str, int | None]]:
    return [(p.name, p.version, p.ecosystem, p.purl, p.path, p.line) for p in result.packages]


def test_registry_lists_each_extractor_once_and_for_its_walks() -> None:
    assert all(isinstance(e, Extractor) and e.name == key for key, e in EXTRACTORS.items())
    assert [e.name for e in for_repository()] == ["lockfile"]
    assert {e.name for e in for_image()} == {"lockfile-in-image", "npm-installed", "gemspec",
                                             "composer-installed", "dotnet-deps", "conda-meta",
                                             "cargo-auditable"}


def test_gemspec() -> None:
    gems = GemspecExtractor()
    assert gems.file_required(f"{GEMS}/rack-2.2.3.gemspec", 100)
    assert gems.file_required("usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec")
    assert not gems.file_required("app/rack.gemspec")
    assert not gems.file_required(f"{GEMS}/.gemspec")
    result = gems.extract(ScanInput(f"{GEMS}/nokogiri-1.15.4-x86_64-linux.gemspec", NOKOGIRI))
    assert rows(result) == [("nokogiri", "1.15.4", "RubyGems", "pkg:gem/nokogiri@1.15.4",
                             f"{GEMS}/nokogiri-1.15.4-x86_64-linux.gemspec", None)]
    # a stub without s.version: the file name's version
    stub = gems.extract(ScanInput(f"{GEMS}/rack-2.2.3.gemspec", b"# nothing\n"))
    assert rows(stub)[0][:2] == ("rack", "2.2.3")
    versioned = gems.extract(ScanInput(
        f"{GEMS}/net-http-0.4.1.gemspec",
        b"s.name = 'net-http'\ns.version = Gem::Version.new(\"0.4.1\")\n"))
    assert rows(versioned)[0][:2] == ("net-http", "0.4.1")
    lying = gems.extract(ScanInput(f"{GEMS}/rack-2.2.3.gemspec", b's.version = "9.9.9"\n'))
    assert lying.packages == () and "9.9.9" in lying.problems[0]
    nothing = gems.extract(ScanInput(f"{GEMS}/weird.gemspec", b"\xff\xfe\x00"))
    assert nothing.packages == () and nothing.problems
    assert split_file_name("aws-sdk-s3-1.140.0.gemspec") == ("aws-sdk-s3", "1.140.0")
    assert split_file_name("rack-2.2.3.gemspec", "rails") is None


def test_composer_installed_both_shapes() -> None:
    composer = ComposerInstalledExtractor()
    path = "var/www/html/vendor/composer/installed.json"
    assert composer.file_required(path, 10) and composer.file_required(
        "vendor/composer/installed.json")
    assert not composer.file_required("var/www/html/composer.json")
    entries = [{"name": "symfony/http-kernel", "version": "v5.4.0"},
               {"name": "monolog/monolog", "version": "2.9.1"},
               {"name": "acme/tool", "version": "dev-main"}]
    v2 = composer.extract(ScanInput(path, json.dumps(
        {"packages": entries, "dev": True, "dev-package-names": []}, indent=4).encode()))
    v1 = composer.extract(ScanInput(path, json.dumps(entries, indent=4).encode()))
    for result, first_line in ((v2, 4), (v1, 3)):
        assert rows(result) == [
            ("symfony/http-kernel", "5.4.0", "Packagist",
             "pkg:composer/symfony/http-kernel@5.4.0", path, first_line),
            ("monolog/monolog", "2.9.1", "Packagist", "pkg:composer/monolog/monolog@2.9.1",
             path, first_line + 4)]
        assert len(result.problems) == 1 and "acme/tool" in result.problems[0]
    broken = composer.extract(ScanInput(path, b'{"packages": [\n{"name": '))
    assert broken.packages == () and broken.problems[0].startswith(path + ":")


def test_dotnet_deps_json() -> None:
    dotnet = DotnetDepsExtractor()
    path = "app/MyApp.deps.json"
    assert dotnet.file_required(path, 10) and not dotnet.file_required("app/.deps.json")
    doc = {"runtimeTarget": {"name": ".NETCoreApp,Version=v8.0"},
           "libraries": {"MyApp/1.0.0": {"type": "project"},
                         "Newtonsoft.Json/13.0.1": {"type": "package", "sha512": "sha512-x"},
                         "System.Text.Json/8.0.0": {"type": "package"},
                         "Microsoft.NETCore.App/8.0.0": {"type": "reference"},
                         "broken": {"type": "package"}}}
    result = dotnet.extract(ScanInput(path, json.dumps(doc).encode()))
    assert rows(result) == [
        ("Newtonsoft.Json", "13.0.1", "NuGet", "pkg:nuget/Newtonsoft.Json@13.0.1", path, None),
        ("System.Text.Json", "8.0.0", "NuGet", "pkg:nuget/System.Text.Json@8.0.0", path, None)]
    assert result.problems == (f"{path}: library 'broken' is not Name/Version",)
    assert dotnet.extract(ScanInput(path, b"[]")).problems == (f"{path}: no `libraries` object",)


def test_conda_meta() -> None:
    conda = CondaMetaExtractor()
    path = "opt/conda/conda-meta/numpy-1.26.4-py311h64a7726_0.json"
    assert conda.file_required(path, 10)
    assert not conda.file_required("opt/conda/conda-meta/history")
    assert not conda.file_required("opt/conda/pkgs/numpy/info/index.json")
    result = conda.extract(ScanInput(path, json.dumps(
        {"name": "numpy", "version": "1.26.4", "build": "py311h64a7726_0",
         "files": ["lib/python3.11/site-packages/numpy/__init__.py"]}).encode()))
    # OSV has no conda ecosystem: an SBOM component, never matched
    assert rows(result) == [("numpy", "1.26.4", "", "pkg:conda/numpy@1.26.4", path, None)]
    assert conda.extract(ScanInput(path, b'{"name": "x"}')).problems


@pytest.mark.parametrize("extractor", list(EXTRACTORS.values()), ids=list(EXTRACTORS))
def test_hostile_bytes_are_problems_never_exceptions(extractor: Extractor) -> None:
    paths = {"lockfile": "app/package-lock.json", "lockfile-in-image": "app/requirements.txt",
             "gemspec": f"{GEMS}/x-1.gemspec",
             "composer-installed": "vendor/composer/installed.json",
             "dotnet-deps": "app/A.deps.json", "conda-meta": "opt/conda/conda-meta/x.json",
             "cargo-auditable": "usr/local/bin/app",
             "npm-installed": "app/node_modules/x/package.json"}
    path = paths[extractor.name]
    assert extractor.file_required(path, 4096, 0o755)
    rng = random.Random(14)
    samples = [b"", b"\x00" * 64, b"[" * 100_000, b'{"a":' * 50_000, b"\xff\xfe\xfd",
               b'{"libraries": {"a/1": 5}, "packages": "x", "name": 5, "version": []}',
               b"[1, 2, null]", b'"text"', extractor.max_bytes * b" " + b"x"]
    samples += [bytes(rng.randrange(256) for _ in range(300)) for _ in range(20)]
    for data in samples:
        result = extractor.extract(ScanInput(path, data))
        assert isinstance(result, Extraction)
        assert all("\n" not in p for p in result.problems)


def test_image_bridge_bounds_captures_and_survives_a_broken_extractor() -> None:
    from hullscan.image.inventory.extracted import FROM_FILE, ExtractorInventory
    from hullscan.image.model import Ecosystem, FileVersion, FileView, OSInfo

    class Broken:
        name = "broken"
        max_bytes = 100
        in_repository = False
        in_image = True

        def file_required(self, path: str, size: int | None = None,
                          mode: int | None = None) -> bool:
            return path.endswith(".broken")

        def extract(self, scan: ScanInput) -> Extraction:
            raise RuntimeError("bug")

    inventory = ExtractorInventory([*for_image(), Broken()])
    assert inventory.wants("a/x.broken", 100, 0o644) == 100
    assert inventory.wants("a/x.broken", 101, 0o644) == 0
    assert inventory.problems == ["a/x.broken: 101 bytes, over the 100 read for broken: skipped"]
    assert inventory.wants("a/x.txt", 10, 0o644) == 0
    gem = FileVersion(f"{GEMS}/rack-2.2.3.gemspec", 3, b's.name = "rack"\n')
    bad = FileVersion("a/x.broken", 1, b"x")
    files = FileView({v.path: [v] for v in (gem, bad)}, {v.path: v for v in (gem, bad)})
    (rack,) = inventory.packages(files, OSInfo())
    assert (rack.ecosystem, rack.name, rack.version, rack.osv_ecosystem, rack.layer,
            rack.location, rack.purl) == (Ecosystem.GEM, "rack", "2.2.3", "RubyGems", 3,
                                          gem.path, "pkg:gem/rack@2.2.3")
    assert rack.properties[FROM_FILE] == "gemspec"
    assert inventory.problems[-1] == "a/x.broken: broken: RuntimeError: bug"


# --- cargo-auditable ----------------------------------------------------------------------------

def test_cargo_auditable_sections_in_every_elf_layout() -> None:
    from elf_builder import dep_v0, elf

    from hullscan.packages.cargo_auditable import CargoAuditableExtractor

    cargo = CargoAuditableExtractor()
    assert cargo.file_required("usr/local/bin/app", 4096, 0o755)
    assert not cargo.file_required("usr/local/bin/app", 4096, 0o644)
    assert not cargo.file_required("usr/local/bin/app", None, None)
    section = dep_v0(("serde", "1.0.100", "crates.io"), ("app", "0.1.0", "local"))
    for bits in (64, 32):
        for little in (True, False):
            binary = elf([(b".text", b"\xc3" * 10), (b".dep-v0", section)], bits, little)
            result = cargo.extract(ScanInput("usr/local/bin/app", binary, len(binary), 0o755))
            assert rows(result) == [
                ("serde", "1.0.100", "crates.io", "pkg:cargo/serde@1.0.100",
                 "usr/local/bin/app", None),
                ("app", "0.1.0", "", "pkg:cargo/app@0.1.0", "usr/local/bin/app", None),
            ], (bits, little)
            assert result.problems == ()
    plain = elf([(b".text", b"\xc3")])
    assert cargo.extract(ScanInput("bin/ls", plain)) == Extraction()
    assert cargo.extract(ScanInput("bin/script", b"#!/bin/sh\necho hi\n")) == Extraction()


@pytest.mark.parametrize(("content", "problem"), [
    (b"not zlib", "not zlib data"),
    (__import__("zlib").compress(b"{" * 10), "not JSON"),
    (__import__("zlib").compress(b"[]"), "no `packages` list"),
    (__import__("zlib").compress(b" " * (17 * 1024 * 1024)), "inflates past"),
    (b"x" * (1024 * 1024 + 1), "over 1,048,576"),
])
def test_cargo_auditable_malformed_sections_fail_closed(content: bytes, problem: str) -> None:
    from elf_builder import elf

    from hullscan.packages.cargo_auditable import CargoAuditableExtractor

    binary = elf([(b".dep-v0", content)])
    result = CargoAuditableExtractor().extract(ScanInput("app", binary))
    assert result.packages == ()
    assert len(result.problems) == 1 and problem in result.problems[0], result.problems


def test_cargo_auditable_hostile_headers_are_problems() -> None:
    import struct

    from elf_builder import dep_v0, elf

    from hullscan.packages.cargo_auditable import CargoAuditableExtractor

    cargo = CargoAuditableExtractor()
    good = elf([(b".dep-v0", dep_v0(("serde", "1.0.0", "crates.io")))])
    far = good[:0x28] + struct.pack("<Q", 1 << 40) + good[0x30:]  # table past the end
    many = good[:0x3C] + struct.pack("<HH", 65_535, 3) + good[0x40:]  # 65,535 sections
    bad_index = good[:0x3E] + struct.pack("<H", 50) + good[0x40:]
    for binary in (good[:30], good[:63], far, many, bad_index, good[:-10],
                   b"\x7fELF\x09\x09" + good[6:]):
        result = cargo.extract(ScanInput("app", binary))
        assert result.packages == () and len(result.problems) == 1, binary[:8]
        assert result.problems[0].startswith("app: cargo-auditable data not read")
    # a section table beyond the bytes read of a streamed binary: said, never guessed
    found = cargo.section("app", good[:64], good[-16:], len(good))
    assert isinstance(found, str) and "not in the bytes read" in found
