"""Language package inventories of images (Python, npm, Go, Java), fed FileViews built directly
from FileVersion objects (no layer walker)."""

from __future__ import annotations

import io
import json
import random
import struct
import zipfile
from collections.abc import Iterable

import pytest

from hullscan.image.inventory.go import (
    FLAG_INLINE,
    INFO_END,
    INFO_START,
    MAGIC,
    MAX_BLOB_BYTES,
    GoInventory,
    golang_purl,
    parse_modinfo,
    stdlib_version,
)
from hullscan.image.inventory.java import JavaInventory, parse_manifest, parse_properties
from hullscan.image.inventory.node import NodeInventory, is_package_json, npm_purl
from hullscan.image.inventory.python import PythonInventory, normalise_name
from hullscan.image.model import Ecosystem, FileVersion, FileView, OSInfo, Package

OS = OSInfo(id="debian", version_id="12")


def view(*versions: FileVersion) -> FileView:
    """A FileView whose final state is the last version of each path."""
    by_path: dict[str, list[FileVersion]] = {}
    for fv in versions:
        by_path.setdefault(fv.path, []).append(fv)
    return FileView(by_path, {p: vs[-1] for p, vs in by_path.items()})


def by_name(packages: Iterable[Package]) -> dict[str, Package]:
    return {p.name: p for p in packages}


# --- Python ----------------------------------------------------------------------------------

SITE = "usr/local/lib/python3.11/site-packages"
DIST = "usr/lib/python3/dist-packages"

FLASK_METADATA = b"""Metadata-Version: 2.1
Name: Flask_SQLAlchemy
Version: 3.1.1
Summary: Add SQLAlchemy support to your Flask application.
Author-email: Pallets <contact@palletsprojects.com>
Requires-Python: >=3.8
Description-Content-Type: text/markdown
Requires-Dist: flask>=2.2.5
Requires-Dist: sqlalchemy>=2.0.16

Flask-SQLAlchemy
================

Caf\xc3\xa9 \xe2\x80\x94 an extension.
"""

FLASK_RECORD = b"""flask_sqlalchemy-3.1.1.dist-info/INSTALLER,sha256=zuuue4knoyJ-UwPPXg8f,4
flask_sqlalchemy-3.1.1.dist-info/METADATA,sha256=abc,3455
flask_sqlalchemy-3.1.1.dist-info/RECORD,,
flask_sqlalchemy/__init__.py,sha256=def,1212
flask_sqlalchemy/__pycache__/__init__.cpython-311.pyc,,
"flask_sqlalchemy/odd,name.py",sha256=ghi,10
../../../bin/flask-sqla,sha256=jkl,222
../../../../../../etc/escape,sha256=mno,1
"""

SIX_PKG_INFO = b"""Metadata-Version: 1.2
Name: six
Version: 1.16.0
Summary: Python 2 and 3 compatibility utilities
Home-page: https://github.com/benjaminp/six
License: MIT
"""


def test_python_wants() -> None:
    inv = PythonInventory()
    assert inv.wants(f"{SITE}/flask_sqlalchemy-3.1.1.dist-info/METADATA", 3455, 0o644) == 3455
    assert inv.wants(f"{SITE}/flask_sqlalchemy-3.1.1.dist-info/RECORD", 900, 0o644) == 900
    assert inv.wants(f"{DIST}/six-1.16.0.egg-info/PKG-INFO", 100, 0o644) == 100
    assert inv.wants(f"{DIST}/six-1.16.0.egg-info/installed-files.txt", 50, 0o644) == 50
    assert inv.wants(f"{DIST}/chardet-5.1.0.egg-info", 80, 0o644) == 80
    # Huge METADATA: the headers come first, so a capped capture is enough.
    assert inv.wants(f"{SITE}/x-1.dist-info/METADATA", 50 << 20, 0o644) == 1 << 20
    assert inv.wants(f"{SITE}/x-1.dist-info/WHEEL", 80, 0o644) == 0
    assert inv.wants(f"{SITE}/x-1.dist-info/licenses/METADATA", 80, 0o644) == 0
    assert inv.wants(f"{SITE}/flask_sqlalchemy/__init__.py", 1212, 0o644) == 0
    assert inv.wants(f"{SITE}/x-1.dist-info/METADATA", 0, 0o644) == 0


def test_python_dist_info_egg_info_and_bare_egg_file() -> None:
    inv = PythonInventory()
    dist_info = f"{SITE}/flask_sqlalchemy-3.1.1.dist-info"
    files = view(
        FileVersion(f"{dist_info}/METADATA", 2, FLASK_METADATA),
        FileVersion(f"{dist_info}/RECORD", 2, FLASK_RECORD),
        FileVersion(f"{DIST}/six-1.16.0.egg-info/PKG-INFO", 0, SIX_PKG_INFO),
        FileVersion(f"{DIST}/six-1.16.0.egg-info/installed-files.txt", 0,
                    b"../six.py\n../__pycache__/six.cpython-311.pyc\nPKG-INFO\n"),
        FileVersion(f"{DIST}/chardet-5.1.0.egg-info", 1,
                    b"Metadata-Version: 2.1\nName: chardet\nVersion: 5.1.0\n"),
    )
    found = by_name(inv.packages(files, OS))
    assert set(found) == {"Flask_SQLAlchemy", "six", "chardet"}
    assert inv.problems == []

    flask = found["Flask_SQLAlchemy"]
    assert flask.ecosystem is Ecosystem.PYTHON
    assert flask.version == "3.1.1"
    assert flask.osv_ecosystem == "PyPI"
    assert flask.purl == "pkg:pypi/flask-sqlalchemy@3.1.1"
    assert flask.location == dist_info
    assert flask.layer == 2
    assert flask.source_name is None
    assert flask.files == (
        f"{dist_info}/METADATA",
        f"{dist_info}/RECORD",
        f"{dist_info}/INSTALLER",
        f"{SITE}/flask_sqlalchemy/__init__.py",
        f"{SITE}/flask_sqlalchemy/__pycache__/__init__.cpython-311.pyc",
        f"{SITE}/flask_sqlalchemy/odd,name.py",
        "usr/local/bin/flask-sqla",
        # ../../../../../../etc/escape leaves the image root: dropped
    )

    six = found["six"]
    assert six.purl == "pkg:pypi/six@1.16.0"
    assert six.location == f"{DIST}/six-1.16.0.egg-info"
    assert six.layer == 0
    assert six.files == (
        f"{DIST}/six-1.16.0.egg-info/PKG-INFO",
        f"{DIST}/six-1.16.0.egg-info/installed-files.txt",
        f"{DIST}/six.py",
        f"{DIST}/__pycache__/six.cpython-311.pyc",
    )

    chardet = found["chardet"]
    assert chardet.location == f"{DIST}/chardet-5.1.0.egg-info"
    assert chardet.files == (f"{DIST}/chardet-5.1.0.egg-info",)
    assert chardet.layer == 1


def test_python_dist_info_without_record_still_owns_its_metadata() -> None:
    # Distro packages (python3-*) ship dist-info without RECORD: the METADATA path alone lets
    # an OS package that owns it claim the Python package.
    inv = PythonInventory()
    path = f"{DIST}/requests-2.28.1.dist-info/METADATA"
    files = view(FileVersion(path, 0, b"Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\n"))
    [pkg] = inv.packages(files, OS)
    assert pkg.files == (path,)
    assert pkg.purl == "pkg:pypi/requests@2.28.1"


def test_python_upgraded_package_reports_the_final_version_and_its_layer() -> None:
    inv = PythonInventory()
    metadata = f"{SITE}/urllib3-2.0.0.dist-info/METADATA"
    newer = f"{SITE}/urllib3-2.2.1.dist-info/METADATA"
    versions = {
        metadata: [FileVersion(metadata, 1, b"Name: urllib3\nVersion: 2.0.0\n")],
        newer: [FileVersion(newer, 3, b"Name: urllib3\nVersion: 2.2.1\n")],
    }
    # pip uninstalled 2.0.0 in layer 3 (whiteout): only 2.2.1 is in the final state.
    files = FileView(versions, {newer: versions[newer][0]})
    [pkg] = inv.packages(files, OS)
    assert (pkg.version, pkg.layer, pkg.location) == (
        "2.2.1", 3, f"{SITE}/urllib3-2.2.1.dist-info")


def test_python_bad_metadata_is_a_problem_not_an_exception() -> None:
    inv = PythonInventory()
    bad_utf8 = f"{SITE}/latin-1.0.dist-info/METADATA"
    no_version = f"{SITE}/nover-1.0.dist-info/METADATA"
    bad_record = f"{SITE}/good-1.0.dist-info/RECORD"
    files = view(
        FileVersion(bad_utf8, 0, b"Name: caf\xe9\nVersion: 1.0\n"),
        FileVersion(no_version, 0, b"Metadata-Version: 2.1\nName: nover\n"),
        FileVersion(f"{SITE}/good-1.0.dist-info/METADATA", 0, b"Name: good\nVersion: 1.0\n"),
        FileVersion(bad_record, 0, b"good/\xff.py,,\n"),
    )
    found = by_name(inv.packages(files, OS))
    assert set(found) == {"good"}
    assert found["good"].files == (f"{SITE}/good-1.0.dist-info/METADATA",)
    assert len(inv.problems) == 3
    assert any(bad_utf8 in p and "UTF-8" in p for p in inv.problems)
    assert any(no_version in p for p in inv.problems)
    assert any(bad_record in p for p in inv.problems)
    assert all("\n" not in p for p in inv.problems)


def test_python_non_utf8_description_body_does_not_matter() -> None:
    inv = PythonInventory()
    path = f"{SITE}/old-1.0.egg-info/PKG-INFO"
    files = view(FileVersion(path, 0, b"Name: old\r\nVersion: 1.0\r\n\r\nDescription \xe9\xff\n"))
    [pkg] = inv.packages(files, OS)
    assert (pkg.name, pkg.version) == ("old", "1.0")
    assert inv.problems == []


def test_pep503() -> None:
    assert normalise_name("Flask_SQLAlchemy") == "flask-sqlalchemy"
    assert normalise_name("zope.interface") == "zope-interface"
    assert normalise_name("A--B__c..D") == "a-b-c-d"


# --- npm -------------------------------------------------------------------------------------

APP = "app/node_modules"


def pkg_json(name: str | None, version: str | None, **extra: object) -> bytes:
    doc: dict[str, object] = dict(extra)
    if name is not None:
        doc["name"] = name
    if version is not None:
        doc["version"] = version
    return json.dumps(doc).encode()


def test_npm_paths() -> None:
    assert is_package_json(f"{APP}/lodash/package.json")
    assert is_package_json(f"{APP}/@babel/core/package.json")
    assert is_package_json(f"{APP}/a/node_modules/b/package.json")
    assert is_package_json(f"{APP}/a/node_modules/@s/b/package.json")
    assert is_package_json("usr/lib/node_modules/npm/package.json")
    assert is_package_json("usr/local/lib/node_modules/npm/node_modules/semver/package.json")
    assert is_package_json(f"{APP}/.pnpm/lodash@4.17.21/node_modules/lodash/package.json")
    assert not is_package_json(f"{APP}/lodash/lib/package.json")
    assert not is_package_json(f"{APP}/@babel/core/lib/package.json")
    assert not is_package_json(f"{APP}/@babel/package.json")
    assert not is_package_json(f"{APP}/.bin/package.json")
    assert not is_package_json("app/package.json")
    assert not is_package_json(f"{APP}/lodash/package.json.bak")

    inv = NodeInventory()
    assert inv.wants(f"{APP}/lodash/package.json", 700, 0o644) == 700
    assert inv.wants(f"{APP}/lodash/lodash.js", 700, 0o644) == 0
    assert inv.wants(f"{APP}/huge/package.json", 2 << 20, 0o644) == 0
    assert any(f"{APP}/huge/package.json" in p for p in inv.problems)


def test_npm_packages() -> None:
    inv = NodeInventory()
    files = view(
        FileVersion(f"{APP}/lodash/package.json", 1, pkg_json("lodash", "4.17.21")),
        FileVersion(f"{APP}/@babel/core/package.json", 1,
                    pkg_json("@babel/core", "7.24.0", dependencies={"semver": "^6.3.1"})),
        FileVersion(f"{APP}/@babel/core/node_modules/semver/package.json", 1,
                    pkg_json("semver", "6.3.1")),
        FileVersion(f"{APP}/lodash/fp/package.json", 1, pkg_json("lodash-fp-inner", "0.0.0")),
        FileVersion(f"{APP}/internal/package.json", 1, pkg_json("internal", "1.0.0",
                                                                 private=True)),
        FileVersion(f"{APP}/noversion/package.json", 1, pkg_json("noversion", None)),
        FileVersion(f"{APP}/nameless/package.json", 1, pkg_json(None, "1.0.0")),
        FileVersion("usr/lib/node_modules/npm/package.json", 0, pkg_json("npm", "9.2.0")),
    )
    found = inv.packages(files, OS)
    assert inv.problems == []
    assert sorted((p.name, p.version) for p in found) == [
        ("@babel/core", "7.24.0"), ("lodash", "4.17.21"), ("npm", "9.2.0"), ("semver", "6.3.1"),
    ]
    pkgs = by_name(found)
    core = pkgs["@babel/core"]
    assert core.ecosystem is Ecosystem.NPM
    assert core.osv_ecosystem == "npm"
    assert core.purl == "pkg:npm/%40babel/core@7.24.0"
    assert core.location == f"{APP}/@babel/core/package.json"
    assert core.files == (f"{APP}/@babel/core/package.json",)
    assert core.layer == 1
    assert pkgs["lodash"].purl == "pkg:npm/lodash@4.17.21"
    assert pkgs["npm"].layer == 0
    assert pkgs["npm"].location == "usr/lib/node_modules/npm/package.json"


def test_npm_bad_json_is_a_problem() -> None:
    inv = NodeInventory()
    broken = f"{APP}/broken/package.json"
    latin = f"{APP}/latin/package.json"
    array = f"{APP}/array/package.json"
    files = view(
        FileVersion(broken, 0, b'{"name": "broken", "version": '),
        FileVersion(latin, 0, b'{"name": "caf\xe9", "version": "1.0.0"}'),
        FileVersion(array, 0, b"[1, 2]"),
        FileVersion(f"{APP}/ok/package.json", 0, b'\xef\xbb\xbf{"name": "ok", "version": "1.0.0"}'),
    )
    assert [p.name for p in inv.packages(files, OS)] == ["ok"]
    assert len(inv.problems) == 3
    for path in (broken, latin, array):
        assert any(path in p for p in inv.problems)


def test_npm_purl_encoding() -> None:
    assert npm_purl("@angular/core", "17.0.0-rc.1") == "pkg:npm/%40angular/core@17.0.0-rc.1"
    assert npm_purl("left-pad", "1.3.0+build") == "pkg:npm/left-pad@1.3.0%2Bbuild"


# --- Go --------------------------------------------------------------------------------------

MODINFO = (
    "path\texample.com/tool/cmd/tool\n"
    "mod\texample.com/tool\t(devel)\t\n"
    "dep\tgithub.com/x/y\tv1.2.3\th1:Q2xvc2VkIGJ5IHRoZSBzdW0gb2YgYWxsIGZlYXJz=\n"
    "dep\tgolang.org/x/net\tv0.17.0\th1:pVaXccu2ozPjCXewfr1S7xoe8LqxrR/6SoVRkQJzEWs=\n"
    "=>\tgithub.com/fork/net\tv0.17.1-fix\th1:abc=\n"
    "dep\texample.com/local\tv0.0.0\n"
    "=>\t../local\t\t\n"
    "dep\tgithub.com/Azure/azure-sdk-for-go\tv68.0.0+incompatible\th1:x=\n"
    "build\t-buildmode=exe\n"
    "build\t-compiler=gc\n"
    "build\tCGO_ENABLED=0\n"
    "build\tGOARCH=amd64\n"
    "build\tGOOS=linux\n"
)


def uvarint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def build_info_blob(go_version: str = "go1.21.5", modinfo: str = MODINFO,
                    flags: int = FLAG_INLINE) -> bytes:
    """The blob a Go 1.18+ linker writes: 32-byte header, then the version and the framed
    module information as varint-prefixed strings, padded to 16 bytes."""
    header = MAGIC + bytes([8, flags]) + bytes(16)
    version = go_version.encode()
    mod = INFO_START + modinfo.encode() + INFO_END if modinfo else b""
    data = header + uvarint(len(version)) + version + uvarint(len(mod)) + mod
    return data + bytes(-len(data) % 16)


def fake_go_binary(blob: bytes, before: int = 5000, after: int = 3000, seed: int = 1) -> bytes:
    """Random bytes with an ELF ident, stray copies of the magic (unaligned, and aligned but
    followed by string data, as in a binary that embeds the string), then `blob` at a
    16-byte aligned offset."""
    rnd = random.Random(seed)
    noise = bytes(rnd.getrandbits(8) for _ in range(before))
    head = b"\x7fELF\x02\x01\x01" + noise
    head += bytes(-len(head) % 16 + 3) + MAGIC  # unaligned stray copy
    head += bytes(-len(head) % 16) + MAGIC + b"not a header at all, just text"
    head += bytes(-len(head) % 16)
    assert len(head) % 16 == 0
    tail = bytes(rnd.getrandbits(8) for _ in range(after))
    return head + blob + tail


class TrickleStream(io.BytesIO):
    """A stream that returns at most `step` bytes per read (a short-reading tar member)."""

    def __init__(self, data: bytes, step: int) -> None:
        super().__init__(data)
        self._step = step
        self.largest_read = 0
        self.total = 0

    def read(self, size: int | None = -1) -> bytes:
        want = self._step if size is None or size < 0 else min(size, self._step)
        chunk = super().read(want)
        self.largest_read = max(self.largest_read, len(chunk))
        self.total += len(chunk)
        return chunk


def go_packages(blob: bytes | None, path: str = "usr/local/bin/tool", layer: int = 4,
                inv: GoInventory | None = None) -> list[Package]:
    inv = inv or GoInventory()
    assert blob is not None
    return inv.packages(view(FileVersion(path, layer, blob, 0o755)), OS)


def test_go_wants() -> None:
    inv = GoInventory()
    assert inv.wants("usr/local/bin/tool", 20 << 20, 0o755) == MAX_BLOB_BYTES
    assert inv.wants("usr/local/bin/script", 100, 0o755) == 0  # smaller than any Go binary
    assert inv.wants("usr/local/bin/small", 200_000, 0o755) == 200_000
    assert inv.wants("usr/local/bin/tool", 20 << 20, 0o644) == 0  # not executable
    assert inv.wants("usr/local/bin/huge", 600 << 20, 0o755) == 0
    assert inv.wants("usr/local/bin/empty", 0, 0o755) == 0
    # An executable jar (or other file a language inventory captures whole) is left to it.
    assert inv.wants("opt/app/app.jar", 20 << 20, 0o755) == 0


@pytest.mark.parametrize("chunk_size", [1, 5, 7, 13, 14, 15, 16, 17, 31, 33, 100, 4096, 1 << 20])
def test_go_streaming_scan_finds_the_blob_across_chunk_boundaries(chunk_size: int) -> None:
    blob = build_info_blob()
    binary = fake_go_binary(blob)
    inv = GoInventory(chunk_size=chunk_size)
    stream = TrickleStream(binary, step=max(1, chunk_size // 2 + 1))
    captured = inv.read("usr/local/bin/tool", stream, len(binary))
    assert captured is not None
    assert captured == blob.rstrip(b"\0")  # the blob without the linker's alignment padding
    assert stream.largest_read <= chunk_size  # never more than one chunk at a time
    if chunk_size < 1000:
        assert stream.total < len(binary)  # stops once the blob is captured
    assert inv.problems == []


@pytest.mark.parametrize("offset", range(0, 48, 1))
def test_go_magic_at_every_split_position(offset: int) -> None:
    # Whatever the chunk boundary falls on, the aligned magic is found.
    blob = build_info_blob()
    binary = fake_go_binary(blob, before=64 + offset)
    inv = GoInventory(chunk_size=16 + offset)
    captured = inv.read("bin/x", io.BytesIO(binary), len(binary))
    assert captured is not None and captured.startswith(MAGIC)


def test_go_packages_from_the_streamed_blob() -> None:
    blob = build_info_blob()
    binary = fake_go_binary(blob)
    inv = GoInventory(chunk_size=7)
    captured = inv.read("usr/local/bin/tool", TrickleStream(binary, 3), len(binary))
    found = go_packages(captured, inv=inv)
    assert inv.problems == []
    assert [(p.name, p.version) for p in found] == [
        ("stdlib", "1.21.5"),
        ("github.com/x/y", "v1.2.3"),
        ("github.com/fork/net", "v0.17.1-fix"),  # golang.org/x/net => the fork
        # example.com/local => ../local: a folder, no version: not reported
        ("github.com/Azure/azure-sdk-for-go", "v68.0.0+incompatible"),
        # the main module example.com/tool is (devel): not reported
    ]
    pkgs = by_name(found)
    for p in found:
        assert p.ecosystem is Ecosystem.GO
        assert p.osv_ecosystem == "Go"
        assert p.location == "usr/local/bin/tool"
        assert p.layer == 4
        assert p.properties["binary"] == "usr/local/bin/tool"
        assert p.files == ("usr/local/bin/tool",)
    assert pkgs["stdlib"].purl == "pkg:golang/stdlib@1.21.5"
    assert pkgs["github.com/x/y"].purl == "pkg:golang/github.com/x/y@v1.2.3"
    assert pkgs["github.com/fork/net"].properties["replaces"] == "golang.org/x/net@v0.17.0"
    assert (pkgs["github.com/Azure/azure-sdk-for-go"].purl
            == "pkg:golang/github.com/azure/azure-sdk-for-go@v68.0.0%2Bincompatible")


def test_go_versioned_main_module_is_reported() -> None:
    modinfo = ("path\tgithub.com/acme/cli\n"
               "mod\tgithub.com/acme/cli\tv2.4.0\th1:zzz=\n"
               "dep\tgithub.com/spf13/cobra\tv1.8.0\th1:yyy=\n")
    found = go_packages(build_info_blob("go1.22.0 X:boringcrypto", modinfo))
    assert [(p.name, p.version) for p in found] == [
        ("stdlib", "1.22.0"), ("github.com/acme/cli", "v2.4.0"),
        ("github.com/spf13/cobra", "v1.8.0"),
    ]
    assert by_name(found)["github.com/acme/cli"].properties["main"] == "true"


def test_go_binary_without_modules_reports_only_stdlib() -> None:
    found = go_packages(build_info_blob("go1.20", ""))
    assert [(p.name, p.version, p.purl) for p in found] == [
        ("stdlib", "1.20.0", "pkg:golang/stdlib@1.20.0")]


def test_go_binary_without_build_info() -> None:
    rnd = random.Random(7)
    binary = b"\x7fELF" + bytes(rnd.getrandbits(8) for _ in range(20000))
    inv = GoInventory(chunk_size=333)
    stream = TrickleStream(binary, 100)
    # b"", not None: the walker records an empty version (ignored), not the stream's rest.
    assert inv.read("usr/bin/cbinary", stream, len(binary)) == b""
    assert stream.total == len(binary)
    assert inv.problems == []
    # A shell script with the exec bit, captured plainly, is no Go binary either.
    assert GoInventory().packages(
        view(FileVersion("usr/bin/script", 0, b"#!/bin/sh\necho hi\n", 0o755)), OS) == []


def test_go_binary_replaced_by_a_non_go_file_in_a_later_layer() -> None:
    # The later layer's version is captured as b"": the final state has no Go packages.
    path = "usr/local/bin/tool"
    go = FileVersion(path, 1, build_info_blob(), 0o755)
    rewritten = FileVersion(path, 2, b"", 0o755)
    assert GoInventory().packages(view(go, rewritten), OS) == []
    assert len(go_packages(build_info_blob(), path=path)) == 4


def test_go_pre_118_binary_is_skipped() -> None:
    header = MAGIC + bytes([8, 0]) + struct.pack("<QQ", 0x4B2F10, 0x4B2F20)
    binary = fake_go_binary(header + bytes(64))
    inv = GoInventory(chunk_size=64)
    assert inv.read("usr/bin/old", io.BytesIO(binary), len(binary)) == b""
    assert inv.problems == []


def test_go_truncated_build_info_is_a_problem() -> None:
    blob = build_info_blob()
    binary = fake_go_binary(blob, after=0)
    cut = binary[: len(binary) - len(blob) + 100]  # the file ends inside the module info
    inv = GoInventory(chunk_size=50)
    captured = inv.read("usr/bin/cut", io.BytesIO(cut), len(cut))
    assert captured is not None
    assert go_packages(captured, path="usr/bin/cut", inv=inv) == []
    assert len(inv.problems) == 1
    assert "usr/bin/cut" in inv.problems[0] and "truncated" in inv.problems[0]


def test_go_oversized_module_info_is_skipped() -> None:
    header = MAGIC + bytes([8, FLAG_INLINE]) + bytes(16)
    blob = header + uvarint(8) + b"go1.21.5" + uvarint(64 << 20) + b"\x30" * 100
    binary = fake_go_binary(blob)
    inv = GoInventory(chunk_size=4096)
    assert inv.read("usr/bin/big", io.BytesIO(binary), len(binary)) == b""
    assert len(inv.problems) == 1 and "usr/bin/big" in inv.problems[0]


def test_go_read_never_raises_on_stream_errors() -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise OSError("unexpected end of data")

    inv = GoInventory()
    assert inv.read("usr/bin/x", Broken(), 1000) == b""
    assert inv.problems and "usr/bin/x" in inv.problems[0]


def test_go_plain_capture_is_also_understood() -> None:
    # If a walker captured the file's start instead of calling read(), the aligned blob in it
    # is still found.
    binary = fake_go_binary(build_info_blob())
    found = go_packages(binary)
    assert [p.name for p in found][:2] == ["stdlib", "github.com/x/y"]


def test_go_helpers() -> None:
    assert stdlib_version("go1.21.5") == "1.21.5"
    assert stdlib_version("go1.20") == "1.20.0"
    assert stdlib_version("go1.21rc2") == "1.21.0-rc.2"
    assert stdlib_version("go1.22.1 X:boringcrypto") == "1.22.1"
    assert stdlib_version("devel go1.23-abcdef Tue Jan 1") is None
    assert golang_purl("github.com/x/y", "v1.2.3") == "pkg:golang/github.com/x/y@v1.2.3"
    info = parse_modinfo("go1.21.5", MODINFO)
    assert info.path == "example.com/tool/cmd/tool"
    assert info.main is not None and info.main.version == "(devel)"
    assert len(info.deps) == 4


# --- Java ------------------------------------------------------------------------------------


def jar(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def pom(group: str, artifact: str, version: str) -> dict[str, bytes]:
    text = (f"#Generated by Maven\n#Tue Oct 10 10:10:10 UTC 2023\n"
            f"groupId={group}\nartifactId={artifact}\nversion={version}\n")
    return {f"META-INF/maven/{group}/{artifact}/pom.properties": text.encode("latin-1"),
            f"META-INF/maven/{group}/{artifact}/pom.xml": b"<project/>"}


def patch_declared_size(data: bytes, name: str, size: int) -> bytes:
    """Rewrite the uncompressed size the central directory declares for `name`."""
    out = bytearray(data)
    pos = 0
    while (pos := out.find(b"PK\x01\x02", pos)) >= 0:
        name_len = struct.unpack_from("<H", out, pos + 28)[0]
        if out[pos + 46:pos + 46 + name_len] == name.encode():
            struct.pack_into("<I", out, pos + 24, size)
            return bytes(out)
        pos += 4
    raise AssertionError(name)


MANIFEST_ONLY = (b"Manifest-Version: 1.0\r\nImplementation-Title: legacy-util\r\n"
                 b"Implementation-Version: 0.9.1\r\nImplementation-Vendor-Id: com.leg\r\n"
                 b" acy\r\nCreated-By: Apache Ant\r\n\r\nName: x\r\nImplementation-Version: 9\r\n")


def spring_boot_jar() -> bytes:
    slf4j = jar({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\r\n",
                 **pom("org.slf4j", "slf4j-api", "2.0.9"),
                 "org/slf4j/Logger.class": b"\xca\xfe\xba\xbe"})
    # A shaded jar: its own pom.properties and its dependency's.
    shaded = jar({**pom("com.acme", "shaded", "1.0"),
                  **pom("com.google.guava", "guava", "32.1.2-jre")})
    legacy = jar({"META-INF/MANIFEST.MF": MANIFEST_ONLY})
    titled_only = jar({"META-INF/MANIFEST.MF":
                       b"Manifest-Version: 1.0\nImplementation-Title: no-version\n"})
    return jar({
        "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\r\nStart-Class: com.example.App\r\n",
        **pom("com.example", "demo-app", "0.0.1-SNAPSHOT"),
        "BOOT-INF/classes/com/example/App.class": b"\xca\xfe\xba\xbe",
        "BOOT-INF/lib/slf4j-api-2.0.9.jar": slf4j,
        "BOOT-INF/lib/shaded-1.0.jar": shaded,
        "BOOT-INF/lib/legacy.jar": legacy,
        "BOOT-INF/lib/titled-only.jar": titled_only,
    }, compression=zipfile.ZIP_STORED)


def test_java_wants() -> None:
    inv = JavaInventory()
    assert inv.wants("opt/app/app.jar", 1000, 0o644) == 1000
    assert inv.wants("usr/local/tomcat/webapps/ROOT.WAR", 1000, 0o644) == 1000
    assert inv.wants("opt/app.ear", 1000, 0o644) == 1000
    assert inv.wants("opt/app/app.jar.sha1", 40, 0o644) == 0
    assert inv.wants("opt/app/huge.jar", 100 << 20, 0o644) == 0
    assert any("opt/app/huge.jar" in p for p in inv.problems)


def test_java_fat_jar() -> None:
    inv = JavaInventory()
    path = "opt/app/app.jar"
    found = inv.packages(view(FileVersion(path, 3, spring_boot_jar())), OS)
    assert inv.problems == []
    assert sorted((p.name, p.version, p.location) for p in found) == [
        ("com.acme:shaded", "1.0", f"{path}!/BOOT-INF/lib/shaded-1.0.jar"),
        ("com.example:demo-app", "0.0.1-SNAPSHOT", path),
        ("com.google.guava:guava", "32.1.2-jre", f"{path}!/BOOT-INF/lib/shaded-1.0.jar"),
        ("com.legacy:legacy-util", "0.9.1", f"{path}!/BOOT-INF/lib/legacy.jar"),
        ("org.slf4j:slf4j-api", "2.0.9", f"{path}!/BOOT-INF/lib/slf4j-api-2.0.9.jar"),
    ]
    pkgs = by_name(found)
    slf4j = pkgs["org.slf4j:slf4j-api"]
    assert slf4j.ecosystem is Ecosystem.MAVEN
    assert slf4j.osv_ecosystem == "Maven"
    assert slf4j.purl == "pkg:maven/org.slf4j/slf4j-api@2.0.9"
    assert slf4j.layer == 3
    assert slf4j.files == (path,)
    assert slf4j.properties == {}
    legacy = pkgs["com.legacy:legacy-util"]
    assert legacy.properties == {"guessed": "manifest"}
    assert legacy.purl == "pkg:maven/com.legacy/legacy-util@0.9.1"
    assert pkgs["com.example:demo-app"].purl == "pkg:maven/com.example/demo-app@0.0.1-SNAPSHOT"


def test_java_manifest_without_vendor_id_is_kept_out_of_matching() -> None:
    inv = JavaInventory()
    data = jar({"META-INF/MANIFEST.MF":
                b"Manifest-Version: 1.0\nImplementation-Title: My Tool\n"
                b"Implementation-Version: 3.2\n"})
    [pkg] = inv.packages(view(FileVersion("opt/tool.jar", 0, data)), OS)
    assert (pkg.name, pkg.version, pkg.osv_ecosystem) == ("My Tool", "3.2", "")
    assert pkg.purl == "pkg:maven/My%20Tool@3.2"
    assert pkg.properties == {"guessed": "manifest"}


def test_java_war_in_ear_and_depth_limit() -> None:
    deepest = jar(pom("e", "level5", "5"))
    level4 = jar({**pom("d", "level4", "4"), "lib/level5.jar": deepest})
    level3 = jar({**pom("c", "level3", "3"), "lib/level4.jar": level4})
    war = jar({**pom("b", "web", "2"), "WEB-INF/lib/level3.jar": level3})
    ear = jar({**pom("a", "ear", "1"), "web.war": war})
    inv = JavaInventory()
    found = inv.packages(view(FileVersion("srv/app.ear", 0, ear)), OS)
    assert sorted((p.name, p.location) for p in found) == [
        ("a:ear", "srv/app.ear"),
        ("b:web", "srv/app.ear!/web.war"),
        ("c:level3", "srv/app.ear!/web.war!/WEB-INF/lib/level3.jar"),
        ("d:level4", "srv/app.ear!/web.war!/WEB-INF/lib/level3.jar!/lib/level4.jar"),
    ]
    assert inv.problems == [
        "srv/app.ear!/web.war!/WEB-INF/lib/level3.jar!/lib/level4.jar!/lib/level5.jar: "
        "nested deeper than 3 archives, skipped"
    ]


def test_java_zip_bomb_entries_are_skipped_before_reading() -> None:
    # A nested jar whose declared size is 4 GB: skipped on the declared size, never read.
    bomb_name = "BOOT-INF/lib/bomb.jar"
    data = jar({**pom("com.example", "app", "1.0"), bomb_name: b"\0" * 1000})
    data = patch_declared_size(data, bomb_name, 0xFFFFFFF0)
    inv = JavaInventory()
    found = inv.packages(view(FileVersion("opt/app.jar", 0, data)), OS)
    assert [p.name for p in found] == ["com.example:app"]
    assert len(inv.problems) == 1
    assert "opt/app.jar!/BOOT-INF/lib/bomb.jar" in inv.problems[0]
    assert "budget" in inv.problems[0]


def test_java_budget_bounds_the_total_inflated() -> None:
    # 8 MiB of zeros compress to a few KB; with a 1 MiB budget they are never inflated.
    zeros = jar({**pom("z", "zeros", "1"), "big.bin": b"\0" * (8 << 20)})
    data = jar({**pom("com.example", "app", "1.0"), "lib/zeros.jar": zeros})
    assert len(data) < 100_000
    inv = JavaInventory(max_uncompressed_bytes=1 << 20)
    found = inv.packages(view(FileVersion("opt/app.jar", 0, data)), OS)
    assert [p.name for p in found] == ["com.example:app", "z:zeros"]
    assert inv.problems == []  # big.bin is not an archive and never read


def test_java_lying_declared_size_does_not_inflate_past_it() -> None:
    inner_name = "lib/inner.jar"
    inner = jar({"filler": b"\0" * (4 << 20)})
    data = jar({**pom("com.example", "app", "1.0"), inner_name: inner})
    data = patch_declared_size(data, inner_name, 100)
    inv = JavaInventory()
    found = inv.packages(view(FileVersion("opt/app.jar", 0, data)), OS)
    assert [p.name for p in found] == ["com.example:app"]
    assert len(inv.problems) == 1 and "opt/app.jar!/lib/inner.jar" in inv.problems[0]


def test_java_broken_archives_are_problems() -> None:
    inv = JavaInventory()
    good = jar(pom("g", "a", "1"))
    files = view(
        FileVersion("opt/broken.jar", 0, b"PK\x03\x04 this is not a zip"),
        FileVersion("opt/truncated.jar", 0, good[: len(good) // 2]),
        FileVersion("opt/good.jar", 1, good),
        FileVersion("opt/nested.jar", 1, jar({"lib/bad.jar": b"garbage"})),
    )
    found = inv.packages(files, OS)
    assert [(p.name, p.location) for p in found] == [("g:a", "opt/good.jar")]
    assert len(inv.problems) == 3
    for name in ("opt/broken.jar", "opt/truncated.jar", "opt/nested.jar!/lib/bad.jar"):
        assert any(p.startswith(name + ":") for p in inv.problems), name


def test_java_parsers() -> None:
    props = parse_properties("#c\n! c\ngroupId = org.x\nartifactId:y\nversion=1.0\\\n  .2\n")
    assert props == {"groupId": "org.x", "artifactId": "y", "version": "1.0.2"}
    manifest = parse_manifest(MANIFEST_ONLY.decode())
    assert manifest["Implementation-Vendor-Id"] == "com.legacy"
    assert manifest["Implementation-Version"] == "0.9.1"  # the main section's, not x's
    wrapped = parse_manifest("Implementation-Title: a very small and \r\n fast tool\r\n")
    assert wrapped == {"Implementation-Title": "a very small and fast tool"}
