"""The RPM inventory: rpm header blobs, the SQLite, NDB and Berkeley DB hash databases that hold
them (all built here, in memory), layer attribution, and damaged input.

When Debian's python3-rpm is importable by /usr/bin/python3, rpm itself checks the builders:
it loads the header blobs built here, reads the Berkeley DB file with its bdb_ro backend and
the SQLite file with its sqlite backend, and serialises headers for the parser."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import struct
import subprocess
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hullscan.image.inventory.rpm import (
    CAPTURE_LIMIT,
    DATABASE_PATHS,
    RpmDatabaseError,
    RpmInventory,
    osv_ecosystem,
    parse_header,
    parse_source_rpm,
    purl_namespace,
    read_bdb,
    read_database,
    read_ndb,
    read_sqlite,
)
from hullscan.image.model import Ecosystem, FileVersion, FileView, OSInfo, Package

SYSTEM_PYTHON = "/usr/bin/python3"
ROCKY = OSInfo(id="rocky", version_id="9.3", pretty_name="Rocky Linux 9.3 (Blue Onyx)")
SQLITE = "var/lib/rpm/rpmdb.sqlite"
SYSIMAGE_NDB = "usr/lib/sysimage/rpm/Packages.db"
BDB = "var/lib/rpm/Packages"

# --- builders ----------------------------------------------------------------------------------

_BIN, _INT32, _STRING, _STRING_ARRAY = 7, 4, 6, 8


def header_blob(entries: Sequence[tuple[int, Any]], *, region: bool = True) -> bytes:
    """An rpm header blob as the database stores it: str -> STRING, list[str] ->
    STRING_ARRAY, int or list[int] -> INT32 (aligned to 4), bytes -> BIN. With `region`, an
    immutable-region entry (tag 63) comes first, as rpm writes it."""
    index: list[tuple[int, int, int, int]] = []
    store = bytearray()
    for tag, value in entries:
        if isinstance(value, str):
            typ, count, raw = _STRING, 1, value.encode() + b"\0"
        elif isinstance(value, bytes):
            typ, count, raw = _BIN, len(value), value
        elif isinstance(value, int):
            typ, count, raw = _INT32, 1, struct.pack(">i", value)
        elif value and isinstance(value[0], int):
            typ, count, raw = _INT32, len(value), struct.pack(f">{len(value)}i", *value)
        else:
            typ, count, raw = _STRING_ARRAY, len(value), b"".join(v.encode() + b"\0" for v in value)
        if typ == _INT32:
            store.extend(b"\0" * (-len(store) % 4))
        index.append((tag, typ, len(store), count))
        store.extend(raw)
    if region:
        il = len(index) + 1
        trailer = struct.pack(">IIii", 63, _BIN, -16 * il, 16)
        index.insert(0, (63, _BIN, len(store), 16))
        store.extend(trailer)
    head = struct.pack(">II", len(index), len(store))
    return head + b"".join(struct.pack(">IIII", *e) for e in index) + bytes(store)


@dataclass
class Pkg:
    name: str
    version: str
    release: str
    epoch: int | None = None
    arch: str = "x86_64"
    source: str | None = ""  # "" -> <name>-<version>-<release>.src.rpm; None -> no tag
    files: tuple[str, ...] = ()
    extra: list[tuple[int, Any]] = field(default_factory=list)

    def blob(self) -> bytes:
        entries: list[tuple[int, Any]] = [(1000, self.name), (1001, self.version),
                                          (1002, self.release)]
        if self.epoch is not None:
            entries.append((1003, self.epoch))
        entries.append((1022, self.arch))
        if self.source is not None:
            entries.append((1044, self.source or
                            f"{self.name}-{self.version}-{self.release}.src.rpm"))
        if self.files:
            dirs: list[str] = []
            bases: list[str] = []
            indexes: list[int] = []
            for path in self.files:
                d, _, b = ("/" + path).rpartition("/")
                if d + "/" not in dirs:
                    dirs.append(d + "/")
                bases.append(b)
                indexes.append(dirs.index(d + "/"))
            entries += [(1116, indexes), (1117, bases), (1118, dirs)]
        entries += self.extra
        return header_blob(sorted(entries, key=lambda e: e[0]))


GPG = Pkg("gpg-pubkey", "8483c65d", "5ccc5b19", arch="", source=None,
          extra=[(1004, "gpg(Rocky Enterprise Software Foundation)")])


def sqlite_db(blobs: Sequence[bytes | None]) -> bytes:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, "
                 "blob BLOB NOT NULL)")
    for blob in blobs:
        conn.execute("INSERT INTO Packages (blob) VALUES (?)", (blob,))
    conn.commit()
    data = conn.serialize()
    conn.close()
    return data


def ndb_db(blobs: Sequence[bytes], *, free_slots: Sequence[int] = ()) -> bytes:
    """One slot page; package i+1 holds blobs[i]; `free_slots` leaves those slot numbers
    (counted from the first usable slot) empty."""
    page = bytearray(4096)
    struct.pack_into("<4sIII", page, 0, b"RpmP", 0, 7, 1)
    struct.pack_into("<I", page, 16, len(blobs) + 1)
    for off in range(32, 4096, 16):
        page[off:off + 4] = b"Slot"
    body = bytearray()
    slot = 0
    for i, blob in enumerate(blobs):
        while slot in free_slots:
            slot += 1
        pkgidx = i + 1
        blkoff = (4096 + len(body)) // 16
        head = struct.pack("<4sIII", b"BlbS", pkgidx, 1700000000, len(blob))
        blkcnt = (16 + len(blob) + 12 + 15) // 16
        pad = blkcnt * 16 - (16 + len(blob) + 12)
        chunk = head + blob + b"\0" * pad
        chunk += struct.pack("<II4s", zlib.adler32(chunk), len(blob), b"BlbE")
        body += chunk
        struct.pack_into("<III", page, 32 + 16 * slot + 4, pkgidx, blkoff, blkcnt)
        slot += 1
    return bytes(page + body)


def bdb_db(records: Sequence[tuple[int, bytes]], *, buckets: int = 2, pagesize: int = 512,
           big_endian: bool = False, inline_limit: int = 64, bookkeeping: bool = True) -> bytes:
    """A Berkeley DB hash file as rpm's Packages: records (instance, header blob) spread over
    `buckets` buckets (round robin: the reader never hashes), values up to `inline_limit` bytes
    stored on the page (H_KEYDATA), longer ones on overflow pages (H_OFFPAGE); a bucket whose
    items do not fit chains further hash pages."""
    order = ">" if big_endian else "<"
    pages: dict[int, bytes] = {}
    next_free = 1 + buckets

    def alloc() -> int:
        nonlocal next_free
        next_free += 1
        return next_free - 1

    def page_header(number: int, nxt: int, entries: int, hf: int, typ: int) -> bytes:
        return (b"\0" * 8 + struct.pack(order + "III", number, 0, nxt)
                + struct.pack(order + "HH", entries, hf) + bytes([0, typ]))

    def overflow(value: bytes) -> int:
        room = pagesize - 26
        chunks = [value[i:i + room] for i in range(0, len(value), room)]
        numbers = [alloc() for _ in chunks]
        for i, (number, chunk) in enumerate(zip(numbers, chunks, strict=True)):
            nxt = numbers[i + 1] if i + 1 < len(numbers) else 0
            pages[number] = (page_header(number, nxt, 1, len(chunk), 7) + chunk).ljust(
                pagesize, b"\0")
        return numbers[0]

    per_bucket: list[list[tuple[bytes, bytes]]] = [[] for _ in range(buckets)]
    items = list(records)
    if bookkeeping:
        items.insert(0, (0, struct.pack(order + "I", len(records) + 1)))
    for i, (key, value) in enumerate(items):
        key_item = b"\x01" + struct.pack(order + "I", key)
        if len(value) <= inline_limit:
            value_item = b"\x01" + value
        else:
            value_item = b"\x03\0\0\0" + struct.pack(order + "II", overflow(value), len(value))
        per_bucket[i % buckets].append((key_item, value_item))

    def hash_pages(first: int, pairs: list[tuple[bytes, bytes]]) -> None:
        number = first
        while True:
            offsets: list[int] = []
            body = bytearray(pagesize)
            pos = pagesize
            taken = 0
            for key_item, value_item in pairs:
                need = len(key_item) + len(value_item)
                if pos - need < 26 + 2 * (len(offsets) + 2):
                    break
                for item in (key_item, value_item):
                    pos -= len(item)
                    body[pos:pos + len(item)] = item
                    offsets.append(pos)
                taken += 1
            pairs = pairs[taken:]
            nxt = alloc() if pairs else 0
            body[:26] = page_header(number, nxt, len(offsets), pos, 13)
            for i, off in enumerate(offsets):
                struct.pack_into(order + "H", body, 26 + 2 * i, off)
            pages[number] = bytes(body)
            if not pairs:
                return
            number = nxt

    for bucket in range(buckets):
        hash_pages(1 + bucket, per_bucket[bucket])
    last = max(pages)
    meta = bytearray(pagesize)
    struct.pack_into(order + "IIII", meta, 12, 0x061561, 9, pagesize, 0)
    struct.pack_into(order + "I", meta, 32, last)
    struct.pack_into(order + "III", meta, 72, buckets - 1, (1 << (buckets - 1).bit_length()) - 1,
                     (1 << max(0, (buckets - 1).bit_length() - 1)) - 1)
    # bucket b lives on page 1 + b: spares[bit length of b] = 1 for every b.
    struct.pack_into(order + "32I", meta, 96, *([1] * 32))
    meta[25] = 8  # P_HASHMETA
    struct.pack_into(order + "I", meta, 8, 0)
    return bytes(meta) + b"".join(pages[n] for n in range(1, last + 1))


def view(versions: Mapping[str, Sequence[tuple[int, bytes]]]) -> FileView:
    history = {path: [FileVersion(path, layer, data) for layer, data in vs]
               for path, vs in versions.items()}
    final = {path: vs[-1] for path, vs in history.items() if vs and vs[-1].data}
    return FileView(history, final)


def scan(versions: Mapping[str, Sequence[tuple[int, bytes]]], os_info: OSInfo = ROCKY
         ) -> tuple[dict[str, Package], list[str]]:
    inventory = RpmInventory()
    found = inventory.packages(view(versions), os_info)
    by_key = {f"{p.name}.{p.properties.get('arch', '')}": p for p in found}
    assert len(by_key) == len(found)
    return by_key, inventory.problems


OPENSSL = Pkg("openssl-libs", "3.0.7", "24.el9", epoch=1,
              source="openssl-3.0.7-24.el9.src.rpm",
              files=("usr/lib64/libssl.so.3", "usr/lib64/libcrypto.so.3",
                     "usr/share/licenses/openssl-libs/LICENSE.txt"))
BASH = Pkg("bash", "5.1.8", "6.el9_1", files=("usr/bin/bash", "usr/bin/sh"))
PY_SIX = Pkg("python3-six", "1.15.0", "9.el9", arch="noarch",
             source="python-six-1.15.0-9.el9.src.rpm",
             files=("usr/lib/python3.9/site-packages/six.py",))
GLIBC32 = Pkg("glibc", "2.34", "60.el9", arch="i686")
GLIBC64 = Pkg("glibc", "2.34", "60.el9", arch="x86_64")
BASIC = [GPG, BASH, OPENSSL, PY_SIX, GLIBC32, GLIBC64]


def check_basic(found: Mapping[str, Package], problems: Sequence[str], location: str) -> None:
    assert problems == []
    assert sorted(found) == ["bash.x86_64", "glibc.i686", "glibc.x86_64", "openssl-libs.x86_64",
                             "python3-six.noarch"]
    ssl = found["openssl-libs.x86_64"]
    assert ssl.ecosystem is Ecosystem.RPM
    assert ssl.version == "1:3.0.7-24.el9"
    assert (ssl.source_name, ssl.source_version) == ("openssl", "1:3.0.7-24.el9")
    assert ssl.match_name == "openssl" and ssl.match_version == "1:3.0.7-24.el9"
    assert ssl.osv_ecosystem == "Rocky Linux:9"
    assert ssl.location == location
    assert ssl.files == OPENSSL.files
    assert ssl.purl == ("pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=rocky-9.3"
                        "&epoch=1")
    assert ssl.properties == {"arch": "x86_64", "epoch": 1,
                              "source_rpm": "openssl-3.0.7-24.el9.src.rpm"}
    bash = found["bash.x86_64"]
    assert bash.version == "5.1.8-6.el9_1"
    assert (bash.source_name, bash.source_version) == ("bash", "5.1.8-6.el9_1")
    assert bash.files == ("usr/bin/bash", "usr/bin/sh")
    assert "epoch" not in bash.properties
    six = found["python3-six.noarch"]
    assert (six.source_name, six.source_version) == ("python-six", "1.15.0-9.el9")
    assert found["glibc.i686"].version == found["glibc.x86_64"].version == "2.34-60.el9"


# --- header blobs ------------------------------------------------------------------------------


def test_header_blob_fields() -> None:
    header = parse_header(OPENSSL.blob())
    assert (header.name, header.version, header.release, header.epoch, header.arch) == (
        "openssl-libs", "3.0.7", "24.el9", 1, "x86_64")
    assert header.source_rpm == "openssl-3.0.7-24.el9.src.rpm"
    assert header.files == OPENSSL.files
    assert header.evr == "1:3.0.7-24.el9"
    assert parse_header(OPENSSL.blob(), with_files=False).files == ()
    assert parse_header(Pkg("a", "1", "2", epoch=0).blob()).evr == "1-2"


def test_old_file_names_and_a_later_entry_wins() -> None:
    blob = header_blob([(1000, "old"), (1001, "1.0"), (1002, "1"), (1022, "i386"),
                        (1027, ["/bin/old", "/etc/old.conf"]), (1001, "2.0")])
    header = parse_header(blob)
    assert header.files == ("bin/old", "etc/old.conf")
    assert header.version == "2.0"


@pytest.mark.parametrize(("blob", "message"), [
    (b"\0\0\0\1", "too short"),
    (struct.pack(">II", 0, 0), "index count"),
    (struct.pack(">II", 0x10000, 0), "index count"),
    (OPENSSL.blob()[:-5], "truncated"),
    (header_blob([(1001, "1.0")]), "no NAME"),
    (header_blob([(1000, 5)]), "not a string"),
    (header_blob([(1000, "a"), (1003, "x")]), "not INT32"),
    (header_blob([(1000, "a"), (1116, [0, 3]), (1117, ["x", "y"]), (1118, ["/"])]),
     "out of range"),
    (header_blob([(1000, "a"), (1116, [0]), (1117, ["x", "y"]), (1118, ["/"])]),
     "DIRINDEXES"),
])
def test_bad_header_blobs(blob: bytes, message: str) -> None:
    with pytest.raises(RpmDatabaseError, match=message):
        parse_header(blob)


def test_string_past_the_store() -> None:
    blob = bytearray(header_blob([(1000, "name")], region=False))
    blob[-1] = ord("x")  # the NUL that ends NAME is gone
    with pytest.raises(RpmDatabaseError, match="past the data store"):
        parse_header(bytes(blob))


@pytest.mark.parametrize(("srpm", "expected"), [
    ("openssl-3.0.7-24.el9.src.rpm", ("openssl", "3.0.7-24.el9")),
    ("python-six-1.15.0-9.el9.src.rpm", ("python-six", "1.15.0-9.el9")),
    ("kernel-5.14.0-362.8.1.el9_3.nosrc.rpm", ("kernel", "5.14.0-362.8.1.el9_3")),
    ("libgcc-13.2.1-150500.1.2.src.rpm", ("libgcc", "13.2.1-150500.1.2")),
    ("broken.src.rpm", None),
    ("openssl-3.0.7-24.el9.x86_64.rpm", None),
    ("", None),
])
def test_source_rpm(srpm: str, expected: tuple[str, str] | None) -> None:
    assert parse_source_rpm(srpm) == expected


# --- the three formats -----------------------------------------------------------------------


def test_sqlite_database() -> None:
    data = sqlite_db([p.blob() for p in BASIC])
    found, problems = scan({SQLITE: [(0, data)]})
    check_basic(found, problems, SQLITE)
    assert {p.layer for p in found.values()} == {0}


def test_sqlite_database_in_wal_mode() -> None:
    data = bytearray(sqlite_db([p.blob() for p in BASIC]))
    data[18] = data[19] = 2  # as a database rpm left in WAL mode
    found, problems = scan({"usr/lib/sysimage/rpm/rpmdb.sqlite": [(0, bytes(data))]})
    check_basic(found, problems, "usr/lib/sysimage/rpm/rpmdb.sqlite")


def test_ndb_database() -> None:
    data = ndb_db([p.blob() for p in BASIC], free_slots=(0, 3))
    found, problems = scan({SYSIMAGE_NDB: [(0, data)]})
    check_basic(found, problems, SYSIMAGE_NDB)
    entries, _ = read_ndb(data)
    assert [k for k, _ in entries] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("big_endian", [False, True])
@pytest.mark.parametrize(("buckets", "pagesize", "inline_limit"), [
    (2, 512, 64), (1, 512, 100_000), (4, 4096, 0), (3, 1024, 300)])
def test_bdb_database(big_endian: bool, buckets: int, pagesize: int, inline_limit: int) -> None:
    data = bdb_db([(i + 1, p.blob()) for i, p in enumerate(BASIC)], buckets=buckets,
                  pagesize=pagesize, big_endian=big_endian, inline_limit=inline_limit)
    found, problems = scan({BDB: [(0, data)]})
    check_basic(found, problems, BDB)
    entries, _ = read_bdb(data)
    assert [k for k, _ in entries] == [1, 2, 3, 4, 5, 6]


def test_bdb_large_header_on_a_long_overflow_chain() -> None:
    many = Pkg("kernel-core", "5.14.0", "362.8.1.el9_3",
               source="kernel-5.14.0-362.8.1.el9_3.src.rpm",
               files=tuple(f"lib/modules/5.14.0/kernel/drivers/mod{i}.ko.xz" for i in range(400)))
    data = bdb_db([(7, many.blob()), (8, BASH.blob())], pagesize=512)
    found, problems = scan({BDB: [(0, data)]})
    assert problems == []
    assert len(found["kernel-core.x86_64"].files) == 400
    assert found["kernel-core.x86_64"].source_name == "kernel"


def test_btree_and_foreign_files_are_refused() -> None:
    btree = bytearray(bdb_db([(1, BASH.blob())]))
    struct.pack_into("<I", btree, 12, 0x053162)
    with pytest.raises(RpmDatabaseError, match="B-tree"):
        read_bdb(bytes(btree))
    for reader in (read_bdb, read_ndb, read_sqlite):
        with pytest.raises(RpmDatabaseError):
            reader(b"\x7fELF" + b"\0" * 4096)
    with pytest.raises(RpmDatabaseError, match="Packages"):
        empty = sqlite3.connect(":memory:")
        empty.execute("CREATE TABLE Other (x)")
        read_sqlite(empty.serialize())


# --- damaged input -----------------------------------------------------------------------------


def corrupt(blob: bytes) -> bytes:
    """The blob with its data length raised past its end."""
    il, dl = struct.unpack_from(">II", blob)
    return struct.pack(">II", il, dl + 100) + blob[8:]


@pytest.mark.parametrize("fmt", ["sqlite", "ndb", "bdb"])
def test_corrupt_blob_is_skipped_with_a_problem(fmt: str) -> None:
    blobs = [BASH.blob(), corrupt(OPENSSL.blob()), PY_SIX.blob()]
    path = {"sqlite": SQLITE, "ndb": SYSIMAGE_NDB, "bdb": BDB}[fmt]
    data = {"sqlite": lambda: sqlite_db(blobs), "ndb": lambda: ndb_db(blobs),
            "bdb": lambda: bdb_db(list(enumerate(blobs, 1)))}[fmt]()
    found, problems = scan({path: [(0, data)]})
    assert sorted(found) == ["bash.x86_64", "python3-six.noarch"]
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: package 2: header truncated")
    assert "\n" not in problems[0]


def test_ndb_checksum_and_blob_damage() -> None:
    data = bytearray(ndb_db([BASH.blob(), OPENSSL.blob(), PY_SIX.blob()]))
    second = struct.unpack_from("<I", data, 32 + 16 + 8)[0] * 16
    data[second + 40] ^= 0xFF  # inside openssl's header: adler32 no longer matches
    found, problems = scan({SYSIMAGE_NDB: [(0, bytes(data))]})
    assert sorted(found) == ["bash.x86_64", "python3-six.noarch"]
    assert problems == [f"{SYSIMAGE_NDB}: package 2: blob checksum (adler32) mismatch"]


def test_sqlite_null_blob() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)")
    conn.executemany("INSERT INTO Packages VALUES (?, ?)", [(1, BASH.blob()), (2, None)])
    found, problems = scan({SQLITE: [(0, conn.serialize())]})
    assert list(found) == ["bash.x86_64"]
    assert problems == [f"{SQLITE}: package 2: blob is NoneType, not bytes"]


def test_truncated_files() -> None:
    blobs = [p.blob() for p in BASIC]
    sq = sqlite_db(blobs)
    found, problems = scan({SQLITE: [(0, sq[: len(sq) // 2])]})
    assert found == {}
    assert len(problems) == 1 and problems[0].startswith(f"{SQLITE}: ")

    ndb = ndb_db(blobs)
    cut = len(ndb) - len(blobs[-1]) // 2  # the last blob loses its end
    found, problems = scan({SYSIMAGE_NDB: [(0, ndb[:cut])]})
    assert "glibc.x86_64" not in found and "bash.x86_64" in found
    assert problems == [f"{SYSIMAGE_NDB}: package 6: blob truncated: ends at byte {len(ndb)}, "
                        f"file has {cut}"]
    found, problems = scan({SYSIMAGE_NDB: [(0, ndb[:3000])]})
    assert found == {} and "truncated" in problems[0]

    bdb = bdb_db([(i, b) for i, b in enumerate(blobs, 1)], buckets=2, pagesize=512)
    found, problems = scan({BDB: [(0, bdb[: len(bdb) - 700])]})
    assert found and len(found) < 5
    assert problems and all(p.startswith(f"{BDB}: ") for p in problems)
    assert any("truncated" in p for p in problems)


def test_garbage_never_raises() -> None:
    rng = random.Random(20240501)
    inputs = {
        SQLITE: sqlite_db([p.blob() for p in BASIC]),
        SYSIMAGE_NDB: ndb_db([p.blob() for p in BASIC]),
        BDB: bdb_db(list(enumerate((p.blob() for p in BASIC), 1))),
    }
    for path, data in inputs.items():
        for _ in range(150):
            damaged = bytearray(data)
            for _ in range(rng.randint(1, 12)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            if rng.random() < 0.3:
                damaged = damaged[: rng.randrange(len(damaged))]
            inventory = RpmInventory()
            found = inventory.packages(view({path: [(0, bytes(damaged))]}), ROCKY)
            assert all(isinstance(p, Package) for p in found)
            assert all("\n" not in p for p in inventory.problems)
        inventory = RpmInventory()
        assert inventory.packages(view({path: [(0, os.urandom(5000))]}), ROCKY) == []
        assert len(inventory.problems) == 1


@pytest.mark.parametrize("offset", [32, 72])  # last page, max bucket
def test_bdb_meta_page_with_huge_counts(offset: int) -> None:
    data = bytearray(bdb_db([(1, BASH.blob())]))
    struct.pack_into("<I", data, offset, 0xFFFFFFF0)
    found, problems = scan({BDB: [(0, bytes(data))]})
    if offset == 72:
        assert found == {} and problems == [f"{BDB}: implausible Berkeley DB bucket count "
                                            f"{0xFFFFFFF1}"]
    else:
        assert list(found) == ["bash.x86_64"] and problems == []


def test_huge_string_array_count() -> None:
    blob = bytearray(header_blob([(1000, "a"), (1117, ["x"])], region=False))
    struct.pack_into(">I", blob, 8 + 16 + 12, 0x7FFFFFFF)
    with pytest.raises(RpmDatabaseError, match="cannot fit"):
        parse_header(bytes(blob))


def test_many_damaged_entries_are_summarised() -> None:
    blobs = [corrupt(Pkg(f"p{i}", "1", "1").blob()) for i in range(30)]
    found, problems = scan({SQLITE: [(0, sqlite_db(blobs))]})
    assert found == {}
    assert len(problems) == 21
    assert problems[-1] == f"{SQLITE}: 10 more entries skipped"


# --- layers ------------------------------------------------------------------------------------


def test_layer_attribution_across_three_database_versions() -> None:
    a1, b1, b2 = Pkg("a", "1.0", "1"), Pkg("b", "1.0", "1"), Pkg("b", "1.1", "1")
    c1, d1, e1 = Pkg("c", "2.0", "1"), Pkg("d", "3.0", "1"), Pkg("e", "1", "1", epoch=2)
    v0 = [a1, b1, c1, GPG]
    v2 = [a1, b2, d1]  # b upgraded, c removed, d added
    v4 = [a1, b2, c1, d1, e1]  # c back, e added
    found, problems = scan({SQLITE: [(0, sqlite_db([p.blob() for p in v0])),
                                     (2, sqlite_db([p.blob() for p in v2])),
                                     (4, sqlite_db([p.blob() for p in v4]))]})
    assert problems == []
    assert {k: (p.version, p.layer) for k, p in found.items()} == {
        "a.x86_64": ("1.0-1", 0), "b.x86_64": ("1.1-1", 2), "c.x86_64": ("2.0-1", 4),
        "d.x86_64": ("3.0-1", 2), "e.x86_64": ("2:1-1", 4)}


def test_layer_attribution_follows_a_database_conversion() -> None:
    """rpmdb --rebuilddb in layer 3 moved the packages from BDB to SQLite: what was there
    before keeps its layer; an intermediate database that cannot be read is skipped."""
    old = [Pkg("a", "1", "1"), Pkg("b", "1", "1")]
    new = [*old, Pkg("c", "1", "1")]
    found, problems = scan({
        BDB: [(0, bdb_db([(1, old[0].blob())])),
              (1, bdb_db(list(enumerate((p.blob() for p in old), 1)))),
              (2, b"garbage that is no database")],
        SQLITE: [(3, sqlite_db([p.blob() for p in new]))],
    })
    assert {k: p.layer for k, p in found.items()} == {"a.x86_64": 0, "b.x86_64": 1,
                                                      "c.x86_64": 3}
    assert {p.location for p in found.values()} == {SQLITE}
    assert problems == [f"{BDB} (layer 2): not a Berkeley DB database (too short)"]


def test_the_most_recently_written_database_is_read() -> None:
    stale = sqlite_db([Pkg("stale", "1", "1").blob()])
    fresh = ndb_db([Pkg("fresh", "1", "1").blob()])
    found, _ = scan({SQLITE: [(0, stale)], SYSIMAGE_NDB: [(2, fresh)]})
    assert list(found) == ["fresh.x86_64"]
    # Same layer: SQLite before NDB before BDB.
    found, _ = scan({SQLITE: [(1, stale)], SYSIMAGE_NDB: [(1, fresh)]})
    assert list(found) == ["stale.x86_64"]
    # The newest cannot be read: fall back to the next one, and say so.
    found, problems = scan({SQLITE: [(0, stale)], SYSIMAGE_NDB: [(2, b"RpmP" + b"\0" * 60)]})
    assert list(found) == ["stale.x86_64"]
    assert problems and problems[0].startswith(f"{SYSIMAGE_NDB}: ")


def test_wants() -> None:
    inventory = RpmInventory()
    assert inventory.name == "rpm"
    for path in (SQLITE, "usr/lib/sysimage/rpm/rpmdb.sqlite", "var/lib/rpm/Packages.db",
                 SYSIMAGE_NDB, BDB, "usr/lib/sysimage/rpm/Packages"):
        assert path in DATABASE_PATHS
        assert inventory.wants(path, 10_000_000, 0o644) == CAPTURE_LIMIT
    for path in ("var/lib/rpm/Index.db", "var/lib/rpm/Name", "var/lib/rpm/rpmdb.sqlite-shm",
                 "/var/lib/rpm/rpmdb.sqlite", "x/var/lib/rpm/Packages", "var/lib/dpkg/status"):
        assert inventory.wants(path, 100, 0o644) == 0
    assert inventory.packages(view({}), ROCKY) == []


# --- OS -> OSV ecosystem, purl -------------------------------------------------------------------


@pytest.mark.parametrize(("os_info", "ecosystem", "namespace"), [
    (ROCKY, "Rocky Linux:9", "rocky"),
    (OSInfo(id="almalinux", version_id="8.9"), "AlmaLinux:8", "almalinux"),
    (OSInfo(id="rhel", version_id="9.3"), "", "redhat"),
    (OSInfo(id="centos", version_id="7"), "", "centos"),
    (OSInfo(id="fedora", version_id="39"), "", "fedora"),
    (OSInfo(id="ol", version_id="9.3"), "", "oracle"),
    (OSInfo(id="amzn", version_id="2023"), "", "amazon"),
    (OSInfo(id="opensuse-leap", version_id="15.5", pretty_name="openSUSE Leap 15.5"),
     "openSUSE:Leap 15.5", "opensuse"),
    (OSInfo(id="opensuse-leap", version_id="15.6"), "openSUSE:Leap 15.6", "opensuse"),
    (OSInfo(id="opensuse-tumbleweed", version_id="20240501", pretty_name="openSUSE Tumbleweed"),
     "openSUSE:Tumbleweed", "opensuse"),
    (OSInfo(id="opensuse-leap-micro", version_id="5.5", pretty_name="openSUSE Leap Micro 5.5"),
     "openSUSE:Leap Micro 5.5", "opensuse"),
    (OSInfo(id="sles", version_id="15.5", pretty_name="SUSE Linux Enterprise Server 15 SP5"),
     "", "suse"),
    (OSInfo(id="mageia", version_id="9"), "Mageia:9", "mageia"),
    (OSInfo(id="openEuler", version_id="22.03", pretty_name="openEuler 22.03 (LTS-SP1)"),
     "openEuler:22.03-LTS-SP1", "openeuler"),
    (OSInfo(id="openEuler", version_id="24.03", pretty_name="openEuler 24.03 (LTS)"),
     "openEuler:24.03-LTS", "openeuler"),
    (OSInfo(id="openEuler", version_id="23.09", pretty_name="openEuler 23.09"),
     "openEuler:23.09", "openeuler"),
    (OSInfo(id="azurelinux", version_id="3.0"), "Azure Linux:3", "azurelinux"),
    (OSInfo(id="mariner", version_id="2.0"), "Azure Linux:2", "azurelinux"),
    (OSInfo(id="photon", version_id="5.0"), "Photon OS:5.0", "photon"),
    (OSInfo(id="rocky", version_id=""), "", "rocky"),
    (OSInfo(), "", ""),
])
def test_osv_ecosystem(os_info: OSInfo, ecosystem: str, namespace: str) -> None:
    assert osv_ecosystem(os_info) == ecosystem
    assert purl_namespace(os_info) == namespace


def test_purl_encoding_and_unknown_os() -> None:
    pkg = Pkg("gcc-c++", "11.4.1", "2.1.el9+1", source=None)
    found, _ = scan({SQLITE: [(0, sqlite_db([pkg.blob()]))]}, OSInfo())
    package = found["gcc-c++.x86_64"]
    assert package.purl == "pkg:rpm/rpm/gcc-c%2B%2B@11.4.1-2.1.el9%2B1?arch=x86_64"
    assert package.source_name is None and package.match_name == "gcc-c++"
    assert package.osv_ecosystem == ""


# --- rpm itself checks the builders (Debian's python3-rpm) ------------------------------------


def _system_rpm(script: str, payload: Any) -> Any:
    if not Path(SYSTEM_PYTHON).exists():
        pytest.skip("no /usr/bin/python3")
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import rpm"], capture_output=True, check=False)
    if probe.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail("python3-rpm is not importable by /usr/bin/python3 in CI")
        pytest.skip("python3-rpm is not importable by /usr/bin/python3")
    done = subprocess.run([SYSTEM_PYTHON, "-c", script], input=json.dumps(payload), text=True,
                          capture_output=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


_RPM_LOAD = r"""
import json, sys, rpm
out = []
for blob in json.load(sys.stdin):
    h = rpm.hdr(bytes.fromhex(blob))
    out.append([h.format("%{NAME}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}|%{SOURCERPM}"),
                [f.lstrip("/") for f in h[rpm.RPMTAG_FILENAMES]]])
print(json.dumps(out))
"""

_RPM_UNLOAD = r"""
import json, sys, rpm
out = []
for name, epoch, files in json.load(sys.stdin):
    h = rpm.hdr()
    h[rpm.RPMTAG_NAME] = name
    h[rpm.RPMTAG_VERSION] = "1.2"
    h[rpm.RPMTAG_RELEASE] = "3.fc39"
    if epoch is not None:
        h[rpm.RPMTAG_EPOCH] = epoch
    h[rpm.RPMTAG_ARCH] = "aarch64"
    h[rpm.RPMTAG_SOURCERPM] = name + "-1.2-3.fc39.src.rpm"
    h[rpm.RPMTAG_SUMMARY] = "a summary"
    if files:
        dirs = sorted({f.rsplit("/", 1)[0] + "/" for f in files})
        h[rpm.RPMTAG_DIRNAMES] = dirs
        h[rpm.RPMTAG_BASENAMES] = [f.rsplit("/", 1)[1] for f in files]
        h[rpm.RPMTAG_DIRINDEXES] = [dirs.index(f.rsplit("/", 1)[0] + "/") for f in files]
    out.append(h.unload().hex())
print(json.dumps(out))
"""

_RPM_READ_DB = r"""
import json, os, sys, tempfile, rpm
kind, data = json.load(sys.stdin)
with tempfile.TemporaryDirectory() as home:
    name = {"bdb_ro": "Packages", "sqlite": "rpmdb.sqlite"}[kind]
    with open(os.path.join(home, name), "wb") as f:
        f.write(bytes.fromhex(data))
    rpm.addMacro("_dbpath", home)
    rpm.addMacro("_db_backend", kind)
    ts = rpm.TransactionSet("/", rpm._RPMVSF_NOSIGNATURES | rpm._RPMVSF_NODIGESTS)
    if kind == "sqlite":  # a copy in rpm's own temporary folder: let it add its index tables
        ts.initDB()
        ts.closeDB()
    ts.openDB()
    names = sorted(h.format("%{NAME}-%{EVR}.%{ARCH}") for h in ts.dbMatch())
print(json.dumps(names))
"""


def test_rpm_loads_the_built_header_blobs() -> None:
    got = _system_rpm(_RPM_LOAD, [p.blob().hex() for p in (OPENSSL, BASH, PY_SIX)])
    assert got[0] == ["openssl-libs|1|3.0.7|24.el9|x86_64|openssl-3.0.7-24.el9.src.rpm",
                      list(OPENSSL.files)]
    assert got[1][0] == "bash|(none)|5.1.8|6.el9_1|x86_64|bash-5.1.8-6.el9_1.src.rpm"
    assert got[2][1] == list(PY_SIX.files)


def test_parser_reads_headers_serialised_by_rpm() -> None:
    specs = [["zlib", None, ["usr/lib64/libz.so.1", "usr/share/doc/zlib/README"]],
             ["perl-IO", 1, []], ["tzdata", 0, ["usr/share/zoneinfo/UTC"]]]
    blobs = [bytes.fromhex(h) for h in _system_rpm(_RPM_UNLOAD, specs)]
    headers = [parse_header(b) for b in blobs]
    assert [(h.name, h.evr, h.arch, h.files) for h in headers] == [
        ("zlib", "1.2-3.fc39", "aarch64", ("usr/lib64/libz.so.1", "usr/share/doc/zlib/README")),
        ("perl-IO", "1:1.2-3.fc39", "aarch64", ()),
        ("tzdata", "1.2-3.fc39", "aarch64", ("usr/share/zoneinfo/UTC",))]
    data = ndb_db(blobs)
    assert [h.name for h in read_database("ndb", data)[0]] == ["zlib", "perl-IO", "tzdata"]


@pytest.mark.parametrize("big_endian", [False, True])
def test_rpm_reads_the_built_berkeley_db(big_endian: bool) -> None:
    data = bdb_db([(i + 1, p.blob()) for i, p in enumerate(BASIC)], buckets=4, pagesize=1024,
                  big_endian=big_endian, inline_limit=200)
    got = _system_rpm(_RPM_READ_DB, ["bdb_ro", data.hex()])
    ours = sorted(f"{h.name}-{h.evr}.{h.arch}" for h in read_database("bdb", data)[0])
    assert got == sorted([*ours, "gpg-pubkey-8483c65d-5ccc5b19."])


def test_rpm_reads_the_built_sqlite_db() -> None:
    data = sqlite_db([p.blob() for p in BASIC])
    got = _system_rpm(_RPM_READ_DB, ["sqlite", data.hex()])
    ours = sorted(f"{h.name}-{h.evr}.{h.arch}" for h in read_database("sqlite", data)[0])
    assert got == sorted([*ours, "gpg-pubkey-8483c65d-5ccc5b19."])
