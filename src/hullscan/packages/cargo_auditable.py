"""Rust binaries built with cargo-auditable: the ELF section `.dep-v0` holds zlib-compressed
JSON `{"packages": [{"name", "version", "source", ...}]}` naming every crate compiled in.

The section is found through the ELF section table, read with the standard library only: from
the file's first bytes (the ELF header) and its last `TAIL_BYTES` (where linkers put the
section table and the non-loaded sections), so a binary streamed out of a layer is never held
whole. Every size is bounded (section, inflated JSON); a malformed header, table or section is
a problem naming the binary (fail closed: its crates are not reported as absent in silence).
The binary is never run."""

from __future__ import annotations

import json
import struct
import zlib

from hullscan.packages.interface import Extraction, Package, ScanInput, one_line
from hullscan.packages.purl import purl_for

SECTION = b".dep-v0"
HEAD_BYTES = 64  # the ELF64 header
TAIL_BYTES = 4 * 1024 * 1024  # the section table and the last sections
MAX_SECTION_BYTES = 1024 * 1024
MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_SECTIONS = 65_535
MIN_BINARY_BYTES = 1024
MAX_BINARY_BYTES = 2 * 1024**3
MARK = b"\0hullscan:.dep-v0\0"  # captured section content (not a whole binary) follows


class ElfError(ValueError):
    """A malformed ELF file or `.dep-v0` section (one line)."""


def dep_v0(head: bytes, tail: bytes, size: int) -> bytes | None:
    """The compressed `.dep-v0` content of an ELF file of `size` bytes, given its first bytes
    and its last `len(tail)` bytes; None when it is no ELF file or has no such section;
    ElfError when the header, the section table or the section is malformed or out of reach."""
    if head[:4] != b"\x7fELF":
        return None
    if len(head) < 52:
        raise ElfError("truncated ELF header")
    bits, order = head[4], head[5]
    if bits not in (1, 2) or order not in (1, 2):
        raise ElfError("unknown ELF class or byte order")
    end = "<" if order == 1 else ">"
    if bits == 2:
        if len(head) < 64:
            raise ElfError("truncated ELF header")
        shoff, = struct.unpack_from(end + "Q", head, 0x28)
        entsize, count, strndx = struct.unpack_from(end + "HHH", head, 0x3A)
        layout, want = end + "IIQQQQ", 40
    else:
        shoff, = struct.unpack_from(end + "I", head, 0x20)
        entsize, count, strndx = struct.unpack_from(end + "HHH", head, 0x2E)
        layout, want = end + "IIIIII", 24
    if count == 0 or shoff == 0:
        return None  # no section table (stripped of it): nothing to read
    if entsize < want or count > MAX_SECTIONS or strndx >= count:
        raise ElfError("malformed ELF section table")
    base = size - len(tail)  # file offset of tail[0]

    def read(offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > size:
            raise ElfError("ELF section outside the file")
        if offset < base:
            raise ElfError("ELF section table or section not in the bytes read")
        return tail[offset - base: offset - base + length]

    table = read(shoff, entsize * count)
    sections = [struct.unpack_from(layout, table, i * entsize) for i in range(count)]
    _n, _t, _f, _a, str_offset, str_size = sections[strndx][:6]
    if str_size > MAX_SECTION_BYTES:
        raise ElfError("ELF section-name table too large")
    names = read(str_offset, str_size)
    for name_at, kind, _flags, _addr, offset, length in (s[:6] for s in sections):
        if names[name_at: name_at + len(SECTION) + 1] != SECTION + b"\0":
            continue
        if kind == 8:  # SHT_NOBITS: no content in the file
            raise ElfError(".dep-v0 section has no content")
        if length > MAX_SECTION_BYTES:
            raise ElfError(f".dep-v0 section of {length:,} bytes, over {MAX_SECTION_BYTES:,}")
        return read(offset, length)
    return None


def packages_of(path: str, compressed: bytes) -> Extraction:
    inflate = zlib.decompressobj()
    try:
        data = inflate.decompress(compressed, MAX_JSON_BYTES)
    except zlib.error as exc:
        return Extraction(problems=(f"{path}: .dep-v0 section is not zlib data ({exc})",))
    if inflate.unconsumed_tail:
        return Extraction(problems=(f"{path}: .dep-v0 inflates past {MAX_JSON_BYTES:,} bytes",))
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return Extraction(problems=(f"{path}: .dep-v0 is not JSON ({one_line(exc)})",))
    crates = doc.get("packages") if isinstance(doc, dict) else None
    if not isinstance(crates, list):
        return Extraction(problems=(f"{path}: .dep-v0 has no `packages` list",))
    found: list[Package] = []
    for crate in crates:
        if not isinstance(crate, dict):
            continue
        name, version = crate.get("name"), crate.get("version")
        if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
            continue
        # crates.io crates are matched; local and git crates (the binary's own) are listed
        ecosystem = "crates.io" if crate.get("source") == "crates.io" else ""
        found.append(Package(name, version, ecosystem, purl_for("crates.io", name, version),
                             path))
    return Extraction(tuple(found))


class CargoAuditableExtractor:
    name = "cargo-auditable"
    max_bytes = MAX_SECTION_BYTES + len(MARK)
    in_repository = False
    in_image = True
    streams = True  # reads a binary's head and tail while it streams (see `section`)
    tail_bytes = TAIL_BYTES

    def file_required(self, path: str, size: int | None = None, mode: int | None = None) -> bool:
        if mode is None or not mode & 0o111:
            return False
        return size is None or MIN_BINARY_BYTES <= size <= MAX_BINARY_BYTES

    def section(self, path: str, head: bytes, tail: bytes, size: int) -> bytes | str | None:
        """MARK + the section's compressed bytes, a problem, or None (no section)."""
        try:
            found = dep_v0(head, tail, size)
        except (ElfError, struct.error) as exc:
            return f"{path}: cargo-auditable data not read: {one_line(exc)}"
        return None if found is None else MARK + found

    def extract(self, scan: ScanInput) -> Extraction:
        data = scan.data
        if data.startswith(MARK):
            return packages_of(scan.path, data[len(MARK):])
        found = self.section(scan.path, data[:HEAD_BYTES], data[-TAIL_BYTES:], len(data))
        if found is None:
            return Extraction()
        if isinstance(found, str):
            return Extraction(problems=(found,))
        return packages_of(scan.path, found[len(MARK):])
