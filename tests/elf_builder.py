"""ELF files written by the tests: a header, sections and a section table, nothing to run."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Sequence
from typing import Any


def elf(sections: Sequence[tuple[bytes, bytes]], bits: int = 64, little: bool = True,
        padding: int = 0) -> bytes:
    """An ELF file with `padding` bytes of code, then each (name, content) section, the
    section-name table and the section table (at the end, as linkers write it)."""
    end = "<" if little else ">"
    header_size = 64 if bits == 64 else 52
    names = b"\0" + b"".join(name + b"\0" for name, _ in sections) + b".shstrtab\0"
    body = bytearray(b"\x90" * padding)
    entries: list[tuple[int, int, int, int]] = [(0, 0, 0, 0)]  # name, type, offset, size
    name_at = 1
    for name, content in sections:
        entries.append((name_at, 1, header_size + len(body), len(content)))
        body += content
        name_at += len(name) + 1
    entries.append((name_at, 3, header_size + len(body), len(names)))
    body += names
    shoff = header_size + len(body)
    ident = b"\x7fELF" + bytes([2 if bits == 64 else 1, 1 if little else 2, 1]) + b"\0" * 9
    if bits == 64:
        header = ident + struct.pack(end + "HHIQQQIHHHHHH", 3, 62, 1, 0, 0, shoff, 0,
                                     header_size, 56, 0, 64, len(entries), len(entries) - 1)
        table = b"".join(struct.pack(end + "IIQQQQIIQQ", n, t, 0, 0, o, s, 0, 0, 1, 0)
                         for n, t, o, s in entries)
    else:
        header = ident + struct.pack(end + "HHIIIIIHHHHHH", 3, 3, 1, 0, 0, shoff, 0,
                                     header_size, 32, 0, 40, len(entries), len(entries) - 1)
        table = b"".join(struct.pack(end + "IIIIIIIIII", n, t, 0, 0, o, s, 0, 0, 1, 0)
                         for n, t, o, s in entries)
    return header + bytes(body) + table


def dep_v0(*crates: tuple[str, str, str], extra: dict[str, Any] | None = None) -> bytes:
    """cargo-auditable's section content: zlib-compressed JSON of (name, version, source)."""
    packages = [{"name": n, "version": v, "source": s, "kind": "runtime"} for n, v, s in crates]
    return zlib.compress(json.dumps({"packages": packages, **(extra or {})}).encode())
