"""Go binaries: the build information the Go linker (1.18 and later) embeds in every binary.

The blob starts, 16-byte aligned, with the 14-byte magic `\\xff Go buildinf:`, then one byte
for the pointer size (4 or 8) and one flags byte (bit 0: big endian; bit 1: the 1.18+ format),
padding to a 32-byte header (the two pointer slots, zero in the 1.18+ format). In the 1.18+
format two strings follow the header inline, each prefixed with its length as an unsigned
varint: the Go version (`go1.21.5`) and the module information, framed by two 16-byte
sentinels. Older binaries point at the strings instead (bit 1 clear): they are skipped.

`read` scans the tar member stream for the magic in chunks (only a chunk and a 13-byte overlap
are held at a time) and captures only the blob; `packages` parses the captured blobs. A binary
without (1.18+) build information is captured as empty data, never None: the walker would
otherwise capture the rest of the stream itself, and the empty version keeps the final state
right when a later layer replaces a Go binary with another file."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from hullscan.image.inventory.java import is_archive
from hullscan.image.inventory.node import is_package_json
from hullscan.image.inventory.python import metadata_kind as python_kind
from hullscan.image.model import Ecosystem, FileVersion, FileView, Inventory, OSInfo, Package
from hullscan.packages.purl import golang_purl as golang_purl

MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
ALIGN = 16
FLAG_BIG_ENDIAN = 0x1
FLAG_INLINE = 0x2  # Go 1.18+: strings inline after the header, pointer slots zero
INFO_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
INFO_END = bytes.fromhex("f932433186182072008242104116d8f2")

MAX_BINARY_BYTES = 512 * 1024 * 1024
MIN_BINARY_BYTES = 64 * 1024  # the smallest Go 1.18+ binaries (stripped) are over 1 MiB
MAX_VERSION_BYTES = 4096
MAX_MODINFO_BYTES = 1024 * 1024
MAX_VARINT_BYTES = 10
MAX_BLOB_BYTES = HEADER_SIZE + 2 * MAX_VARINT_BYTES + MAX_VERSION_BYTES + MAX_MODINFO_BYTES
CHUNK_BYTES = 1024 * 1024


class BuildInfoError(ValueError):
    """Build information that cannot be decoded (truncated, oversized, malformed)."""


class _NeedMore(Exception):
    """More bytes are needed to tell the blob's length."""


@dataclass(frozen=True)
class Module:
    path: str
    version: str
    replaced: Module | None = None


@dataclass(frozen=True)
class BuildInfo:
    go_version: str
    path: str = ""
    main: Module | None = None
    deps: tuple[Module, ...] = ()


def _header_ok(header: bytes) -> bool:
    """A plausible header: magic, pointer size 4 or 8, known flags, and (1.18+ format) zero
    pointer slots. Rejects a stray copy of the magic in string data."""
    if len(header) < HEADER_SIZE or not header.startswith(MAGIC):
        return False
    if header[14] not in (4, 8) or header[15] & ~(FLAG_BIG_ENDIAN | FLAG_INLINE):
        return False
    return not (header[15] & FLAG_INLINE and any(header[16:HEADER_SIZE]))


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    """(value, next position); _NeedMore when cut off, BuildInfoError when overlong."""
    value = shift = 0
    for i in range(MAX_VARINT_BYTES):
        if pos + i >= len(data):
            raise _NeedMore
        byte = data[pos + i]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos + i + 1
        shift += 7
    raise BuildInfoError("overlong varint")


def blob_length(blob: bytes) -> int:
    """The total length of a 1.18+ blob (header and both strings); _NeedMore if `blob` is too
    short to tell, BuildInfoError if a string is over its limit."""
    pos = HEADER_SIZE
    for what, limit in (("Go version", MAX_VERSION_BYTES), ("module information",
                                                          MAX_MODINFO_BYTES)):
        length, pos = _uvarint(blob, pos)
        if length > limit:
            raise BuildInfoError(f"{what} of {length} bytes (limit {limit})")
        pos += length
    return pos


def decode_blob(blob: bytes) -> tuple[str, str]:
    """(Go version, module information without its sentinels) from a 1.18+ blob that starts
    with the header. BuildInfoError when truncated or malformed."""
    if not _header_ok(blob):
        raise BuildInfoError("bad build information header")
    if not blob[15] & FLAG_INLINE:
        raise BuildInfoError("pre-1.18 build information")
    try:
        end = blob_length(blob)
    except _NeedMore:
        raise BuildInfoError("truncated build information") from None
    if end > len(blob):
        raise BuildInfoError("truncated build information")
    vlen, pos = _uvarint(blob, HEADER_SIZE)
    raw_version = blob[pos:pos + vlen]
    mlen, pos = _uvarint(blob, pos + vlen)
    raw_mod = blob[pos:pos + mlen]
    # The module information is framed by 16-byte sentinels; the check is Go's own (without
    # it, e.g. a binary built outside module mode, there is no module information).
    framed = len(raw_mod) >= 33 and raw_mod[-17:-16] == b"\n"
    raw_mod = raw_mod[16:-16] if framed else b""
    try:
        version = raw_version.decode("utf-8")
        mod = raw_mod.decode("utf-8")
    except UnicodeDecodeError:
        raise BuildInfoError("build information is not UTF-8") from None
    if not version:
        raise BuildInfoError("empty Go version")
    return version, mod


def parse_modinfo(go_version: str, text: str) -> BuildInfo:
    """The module information text (`path`, `mod`, `dep`, `=>`, `build` lines)."""
    path = ""
    main: Module | None = None
    deps: list[Module] = []
    last: str | None = None  # "main" or "dep": what a `=>` line replaces
    for line in text.split("\n"):
        word, _, rest = line.partition("\t")
        cols = rest.split("\t")
        if word == "path":
            path = rest
            last = None
        elif word in ("mod", "dep"):
            if len(cols) not in (2, 3):
                raise BuildInfoError(f"{word} line with {len(cols)} columns")
            module = Module(cols[0], cols[1])
            if word == "mod":
                main, last = module, "main"
            else:
                deps.append(module)
                last = "dep"
        elif word == "=>":
            if len(cols) != 3:
                raise BuildInfoError(f"replacement line with {len(cols)} columns")
            replacement = Module(cols[0], cols[1])
            if last == "main" and main is not None:
                main = Module(main.path, main.version, replacement)
            elif last == "dep" and deps:
                deps[-1] = Module(deps[-1].path, deps[-1].version, replacement)
            else:
                raise BuildInfoError("replacement with no module on the line before")
            last = None
    return BuildInfo(go_version, path, main, tuple(deps))


_GO_VERSION_RE = re.compile(r"go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?(?![\d.])")


def stdlib_version(go_version: str) -> str | None:
    """The Go version as OSV's `stdlib` package names it: go1.21.5 -> 1.21.5, go1.20 -> 1.20.0,
    go1.21rc2 -> 1.21.0-rc.2; None for a development toolchain (`devel ...`)."""
    words = go_version.split()
    match = _GO_VERSION_RE.match(words[0]) if words else None
    if match is None:
        return None
    major, minor, patch, pre, pre_n = match.groups()
    version = f"{major}.{minor}.{patch or 0}"
    return f"{version}-{pre}.{pre_n}" if pre else version


def _aligned_magic(data: bytes, base: int = 0) -> Iterator[int]:
    """Positions in `data` of the magic at a 16-byte aligned offset (`base` + position)."""
    start = 0
    while True:
        i = data.find(MAGIC, start)
        if i < 0:
            return
        if (base + i) % ALIGN == 0:
            yield i
        start = i + 1



class GoInventory(Inventory):
    """Modules compiled into Go binaries (Go 1.18+ build information)."""

    name = "go"

    def __init__(self, chunk_size: int = CHUNK_BYTES) -> None:
        super().__init__()
        self.chunk_size = max(1, chunk_size)


    # --- capture ------------------------------------------------------------------------------

    def wants(self, path: str, size: int, mode: int) -> int:
        if not mode & 0o111 or size < MIN_BINARY_BYTES or size > MAX_BINARY_BYTES:
            return 0
        # Files the other language inventories capture whole (an executable jar, say) are left
        # to them: scanning consumes the stream.
        if is_archive(path) or is_package_json(path) or python_kind(path) is not None:
            return 0
        return min(size, MAX_BLOB_BYTES)

    def read(self, path: str, stream: IO[bytes], size: int) -> bytes | None:
        """Scan the member stream for the build information; return the blob (header and both
        strings; a truncated blob as far as the stream went, which `packages` reports), or
        b"" when the binary has no 1.18+ build information (never None, which would make the
        walker capture the stream's rest). Memory: one chunk plus the blob."""
        try:
            return self._scan(path, stream, size) or b""
        except Exception as exc:  # never raise: a stream error skips this binary
            self.problem(f"{path}: Go build information not read ({exc})")
            return b""

    def _scan(self, path: str, stream: IO[bytes], size: int) -> bytes | None:
        remaining = max(0, size)
        buf = b""
        base = 0  # offset in the file of buf[0]

        def more() -> bytes:
            nonlocal remaining
            if remaining <= 0:
                return b""
            chunk = stream.read(min(self.chunk_size, remaining))
            if not chunk:
                remaining = 0
                return b""
            chunk = chunk[:remaining]
            remaining -= len(chunk)
            return chunk

        pos = 0  # where the search goes on in buf
        while True:
            i = buf.find(MAGIC, pos)
            if i >= 0:
                pos = i + 1
                if (base + i) % ALIGN:
                    continue
                while len(buf) - i < HEADER_SIZE:
                    chunk = more()
                    if not chunk:
                        return None  # the file ends inside what would be a header
                    buf += chunk
                header = buf[i:i + HEADER_SIZE]
                if not _header_ok(header):
                    continue  # a stray copy of the magic
                if not header[15] & FLAG_INLINE:
                    return None  # pre-1.18 format: skipped
                return self._capture_blob(path, buf[i:], more)
            # No (further) match: keep only an overlap too short to hold the magic whole.
            keep = len(MAGIC) - 1
            if len(buf) > keep:
                base += len(buf) - keep
                buf = buf[-keep:]
            pos = 0
            chunk = more()
            if not chunk:
                return None
            buf += chunk

    def _capture_blob(self, path: str, blob: bytes, more: Callable[[], bytes]) -> bytes | None:
        while True:
            try:
                end = blob_length(blob)
            except _NeedMore:
                end = None
            except BuildInfoError as exc:
                self.problem(f"{path}: Go build information skipped ({exc})")
                return None
            if end is not None and len(blob) >= end:
                return blob[:end]
            chunk = more()
            if not chunk:
                return blob  # truncated: `packages` reports it
            blob += chunk

    # --- packages -----------------------------------------------------------------------------

    def packages(self, files: FileView, os_info: OSInfo) -> list[Package]:
        found: list[Package] = []
        for path in files.final_paths():
            fv = files.final(path)
            if fv is None:
                continue
            blob = self._find_blob(fv)
            if blob is None:
                continue
            try:
                go_version, modinfo = decode_blob(blob)
                info = parse_modinfo(go_version, modinfo)
            except BuildInfoError as exc:
                self.problem(f"{path}: Go build information skipped ({exc})")
                continue
            except Exception as exc:  # never raise
                self.problem(f"{path}: Go build information skipped ({exc})")
                continue
            found.extend(self._modules(fv, info))
        return found

    @staticmethod
    def _find_blob(fv: FileVersion) -> bytes | None:
        """The captured blob: what `read` returned (starts with the magic), or, when the whole
        file start was captured instead, the first aligned 1.18+ header in it."""
        data = fv.data
        if data.startswith(MAGIC):
            return data
        if not fv.mode & 0o111:
            return None
        for i in _aligned_magic(data):
            header = data[i:i + HEADER_SIZE]
            if _header_ok(header):
                return data[i:] if header[15] & FLAG_INLINE else None
        return None

    def _modules(self, fv: FileVersion, info: BuildInfo) -> list[Package]:
        path = fv.path
        found: list[Package] = []

        def add(name: str, version: str, properties: dict[str, str]) -> None:
            purl = golang_purl(name, version)
            found.append(Package(
                ecosystem=Ecosystem.GO,
                name=name,
                version=version,
                osv_ecosystem="Go",
                layer=fv.layer,
                location=path,
                purl=purl,
                files=(path,),
                properties={"binary": path, **properties},
            ))

        def report(module: Module, main: bool) -> None:
            used = module.replaced or module
            if not used.path or not used.version or used.version == "(devel)":
                return  # a local replacement (a folder, no version) or an unversioned main
            extra = {"main": "true"} if main else {}
            if module.replaced is not None:
                extra["replaces"] = f"{module.path}@{module.version}"
            add(used.path, used.version, extra)

        stdlib = stdlib_version(info.go_version)
        if stdlib is not None:
            add("stdlib", stdlib, {"go": info.go_version})
        if info.main is not None:
            report(info.main, True)
        for dep in info.deps:
            report(dep, False)
        return found
