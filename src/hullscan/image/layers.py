"""Layers, streamed once and never extracted: each layer is scanned on its own (in whatever
order the source delivers it), then the scans are applied in layer order with whiteouts and
opaque folders, so a file a later layer removed is gone from the final view.

Only files some inventory asks for are kept (bounded memory whatever the image size); every
entry is checked: absolute paths and `..` are normalised inside the image root (an entry that
would escape is skipped with a problem), links are recorded as paths inside the image and never
followed on the host, device files and fifos are ignored. A layer's compressed bytes are hashed
while streaming and compared with the digest the manifest names; the uncompressed size is
capped (decompression bombs); a truncated or corrupt layer stops that layer with a problem.
"""

from __future__ import annotations

import bz2
import hashlib
import io
import logging
import lzma
import os
import posixpath
import stat
import sys
import tarfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Protocol, Self

from hullscan.image.model import FileVersion, FileView, Inventory

log = logging.getLogger("hullscan.image")

CHUNK = 1024 * 1024
DEFAULT_MAX_LAYER_SIZE = 16 * 1024**3  # uncompressed bytes per layer
DEFAULT_MAX_ENTRIES = 10_000_000  # tar entries per layer
_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
_BZIP2 = (b"BZh1", b"BZh2", b"BZh3", b"BZh4", b"BZh5", b"BZh6", b"BZh7", b"BZh8", b"BZh9")
_XZ = b"\xfd7zXZ\x00"
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
# pax headers and GNU long names: tarfile reads each into memory whole, so a small gzip could
# claim gigabytes; Go's archive/tar (what Docker and containerd extract with) allows 1 MiB.
MAX_METADATA = 1024 * 1024
_METADATA_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE,
                   tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)


class LayerProblem(Exception):
    """A layer that cannot be read to the end (one line)."""


class _MetadataTooLarge(LayerProblem):
    """Not a tarfile.HeaderError: tarfile would take one for the end of the archive."""


class _Reader(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class _TarInfo(tarfile.TarInfo):
    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        info = super().frombuf(buf, encoding, errors)
        if info.type in _METADATA_TYPES and info.size > MAX_METADATA:
            raise _MetadataTooLarge(f"a tar metadata entry (pax header or long name) of "
                                    f"{info.size:,} bytes, over {MAX_METADATA:,}: stopped "
                                    "reading it")
        return info


@dataclass(frozen=True)
class Limits:
    max_layer_size: int = DEFAULT_MAX_LAYER_SIZE
    max_entries: int = DEFAULT_MAX_ENTRIES


@dataclass
class LayerScan:
    """What one layer holds, as far as hullscan cares."""

    files: dict[str, FileVersion] = field(default_factory=dict)  # captured regular files
    links: dict[str, str] = field(default_factory=dict)  # symlink path -> target (image path)
    whiteouts: list[str] = field(default_factory=list)  # paths this layer deletes below it
    opaque: list[str] = field(default_factory=list)  # folders this layer empties below it
    digest: str = ""  # sha256:... of the bytes as delivered (compressed)
    entries: int = 0
    size: int = 0  # uncompressed bytes
    problems: list[str] = field(default_factory=list)
    complete: bool = True


class _Hashing:
    """Reads through, hashing what passes (the blob as stored)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.digest = hashlib.sha256()
        self.count = 0

    def read(self, size: int = CHUNK) -> bytes:
        data = self._raw.read(size)
        if data:
            self.digest.update(data)
            self.count += len(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass


class _Decompressing(io.RawIOBase):
    """gzip (possibly several members), zstd, bzip2, xz or plain, with an uncompressed byte cap.

    Seekable forwards only (tarfile's random-access mode then skips the data of members nobody
    wants without copying it, and reads a header as one slice of the current chunk)."""

    def __init__(self, raw: _Reader, limit: int, label: str) -> None:
        self._raw = raw
        self._limit = limit
        self._prefix = f"{label}: " if label else ""  # of messages
        self.count = 0  # bytes decompressed so far
        self._chunk = b""
        self._offset = 0  # read so far from _chunk
        self._position = 0  # read or skipped so far
        self._eof = False
        head = raw.read(6)
        self._kind = "plain"
        self._pending = head
        if head.startswith(_GZIP):
            self._kind = "gzip"
            self._z: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif head.startswith(_BZIP2) or head.startswith(_XZ):  # as `docker load` accepts
            self._kind = "bzip2" if head.startswith(_BZIP2) else "xz"
            self._other = self._new_other()
        elif head.startswith(_ZSTD):
            self._kind = "zstd"
            try:
                import zstandard
            except ImportError as exc:
                raise LayerProblem(f"{self._prefix}zstd-compressed: install zstandard") from exc
            self._zstd = zstandard.ZstdDecompressor().stream_reader(
                io.BufferedReader(Prefixed(head, raw), CHUNK), read_across_frames=True
            )
            self._pending = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def _new_other(self) -> bz2.BZ2Decompressor | lzma.LZMADecompressor:
        return bz2.BZ2Decompressor() if self._kind == "bzip2" else lzma.LZMADecompressor()

    def _fill_other(self) -> bytes:
        """bzip2 or xz (possibly several streams), a bounded chunk at a time."""
        while True:
            if self._other.eof:
                rest = self._other.unused_data + self._pending
                self._pending = b""
                if not (rest or (rest := self._raw.read(CHUNK))):
                    return b""
                self._other = self._new_other()  # another stream
                self._pending = rest
            data = b""
            if self._other.needs_input:
                data = self._pending or self._raw.read(CHUNK)
                self._pending = b""
                if not data:
                    raise LayerProblem(f"{self._prefix}truncated {self._kind} data")
            try:
                out = self._other.decompress(data, CHUNK * 4)
            except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:
                raise LayerProblem(f"{self._prefix}corrupt {self._kind} data: {exc}") from exc
            if out:
                return out

    def _fill(self) -> bytes:
        if self._kind in ("bzip2", "xz"):
            return self._fill_other()
        if self._kind == "plain":
            data = self._pending or self._raw.read(CHUNK)
            self._pending = b""
            return data
        if self._kind == "zstd":
            try:
                return bytes(self._zstd.read(CHUNK))
            except Exception as exc:  # zstandard.ZstdError
                raise LayerProblem(f"{self._prefix}corrupt zstd data: {exc}") from exc
        assert self._z is not None
        while True:
            data = self._pending or self._raw.read(CHUNK)
            self._pending = b""
            if not data:
                if not self._z.eof:
                    raise LayerProblem(f"{self._prefix}truncated gzip data")
                return b""
            try:
                out = self._z.decompress(data, CHUNK * 4)
                if self._z.unconsumed_tail:
                    self._pending = self._z.unconsumed_tail
                if self._z.eof and self._z.unused_data:
                    rest = self._z.unused_data
                    self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)  # another gzip member
                    self._pending = rest + self._pending
            except zlib.error as exc:
                raise LayerProblem(f"{self._prefix}corrupt gzip data: {exc}") from exc
            if out:
                return out

    def _next_chunk(self) -> bool:
        """The next decompressed chunk; False at the end of the data."""
        if self._eof:
            return False
        data = self._fill()
        if not data:
            self._eof = True
            return False
        self.count += len(data)
        if self.count > self._limit:
            raise LayerProblem(
                f"{self._prefix}expands past {self._limit:,} bytes (checkers.image."
                "max_layer_size): stopped reading it"
            )
        self._chunk, self._offset = data, 0
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._limit + 1
        start = self._offset
        if start + size <= len(self._chunk):  # the common case: within the current chunk
            self._offset += size
            self._position += size
            return self._chunk[start:start + size]
        parts: list[bytes] = []
        while size > 0:
            available = len(self._chunk) - self._offset
            if available <= 0:
                if not self._next_chunk():
                    break
                continue
            n = min(size, available)
            parts.append(self._chunk[self._offset:self._offset + n])
            self._offset += n
            self._position += n
            size -= n
        return b"".join(parts)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset + (self._position if whence == io.SEEK_CUR else 0)
        if whence not in (io.SEEK_SET, io.SEEK_CUR) or target < self._position:
            raise io.UnsupportedOperation("a layer stream only seeks forwards")
        skip = target - self._position
        while skip > 0:  # decompressed (and hashed) but not copied
            available = len(self._chunk) - self._offset
            if available <= 0:
                if not self._next_chunk():
                    break
                continue
            n = min(skip, available)
            self._offset += n
            self._position += n
            skip -= n
        return self._position


class Prefixed(io.RawIOBase):
    def __init__(self, head: bytes, raw: _Reader) -> None:
        self._head = head
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_tar(raw: IO[bytes], label: str, limit: int | None = None) -> tarfile.TarFile:
    """A tar (gzip, zstd, bzip2, xz or plain) read forwards once from a stream, as layers
    are: tarfile's random-access mode on a forwards-only reader (no stream buffer copied per
    header, member data skipped without copying, decompressed a bounded chunk at a time),
    metadata entries over MAX_METADATA refused (LayerProblem, as are corrupt or truncated
    data; `label` starts their messages), `limit` uncompressed bytes at most. Iterate with
    `iter_members`."""
    data = _Decompressing(raw, sys.maxsize if limit is None else limit, label)
    return tarfile.open(fileobj=data, mode="r:", tarinfo=_TarInfo)


def iter_members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """The members in order, each forgotten once read (tarfile keeps every TarInfo it reads:
    a million entries, 500 MB)."""
    for member in tar:
        tar.members = []  # type: ignore[attr-defined]
        yield member


def normalise(name: str) -> str | None:
    """An entry name as a path inside the image root (no leading /), or None when it would
    leave the root (`../etc/passwd`)."""
    parts: list[str] = []
    for part in name.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


def _link_target(path: str, target: str) -> str | None:
    """A symlink's target as an image path (absolute targets are relative to the image root;
    `..` cannot climb above it, as in a chroot)."""
    joined = target if target.startswith("/") else posixpath.join(posixpath.dirname(path), target)
    parts: list[str] = []
    for part in joined.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts) or None


class _Window:
    """Reads through, keeping the first bytes and the last `size` bytes that passed (bounded:
    at most twice `size` held), for inventories that read a file's tail while it streams."""

    HEAD = 64

    def __init__(self, raw: IO[bytes], size: int, file_size: int) -> None:
        self._raw = raw
        self._size = size
        self._from = file_size - size  # bytes before this offset are never kept
        self.head = b""
        self._tail = bytearray()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            if len(self.head) < self.HEAD:
                self.head += data[: self.HEAD - len(self.head)]
            if self.count + len(data) > self._from:
                self._tail += data
                if len(self._tail) > 2 * self._size:
                    del self._tail[: len(self._tail) - self._size]
            self.count += len(data)
        return data

    def drain(self, size: int) -> None:
        while self.count < size and self.read(min(CHUNK, size - self.count)):
            pass

    def tail(self, size: int) -> bytes:
        return bytes(self._tail[-size:])


class Scanner:
    """Scans layers for what the inventories want."""

    def __init__(self, inventories: Sequence[Inventory], limits: Limits | None = None) -> None:
        self.inventories = list(inventories)
        self.limits = limits or Limits()

    def _want(self, path: str, size: int, mode: int) -> list[tuple[Inventory, int]]:
        wanted = []
        for inventory in self.inventories:
            try:
                n = inventory.wants(path, size, mode)
            except Exception:  # an inventory's bug must not stop the walk
                log.debug("%s.wants(%s) failed", inventory.name, path, exc_info=True)
                continue
            if n > 0:
                wanted.append((inventory, n))
        return wanted

    def _capture(self, path: str, size: int, mode: int, layer: int, stream: IO[bytes],
                 wanted: list[tuple[Inventory, int]]) -> FileVersion:
        windows = [inv.tail_window(path, size, mode) for inv, _n in wanted]
        if max(windows) <= 0:
            return self._capture_from(path, size, mode, layer, stream, wanted)
        window = _Window(stream, max(windows), size)
        captured = self._capture_from(path, size, mode, layer, window, wanted)  # type: ignore[arg-type]
        window.drain(size)
        observed: list[tuple[str, bytes]] = []
        for (inventory, _n), wants_tail in zip(wanted, windows, strict=True):
            if wants_tail > 0:
                try:
                    kept = inventory.observe(path, window.head, window.tail(wants_tail), size)
                except Exception:  # an inventory's bug must not stop the walk
                    log.debug("%s.observe(%s) failed", inventory.name, path, exc_info=True)
                    continue
                if kept is not None:
                    observed.append((inventory.name, kept))
        return replace(captured, observed=tuple(observed)) if observed else captured

    def _capture_from(self, path: str, size: int, mode: int, layer: int, stream: IO[bytes],
                      wanted: list[tuple[Inventory, int]]) -> FileVersion:
        for inventory, _n in wanted:
            data = inventory.read(path, stream, size)
            if data is not None:
                return FileVersion(path, layer, data, mode)
        limit = max(n for _inv, n in wanted)
        return FileVersion(path, layer, stream.read(min(size, limit)), mode)

    def scan_tar(self, raw: IO[bytes], layer: int, label: str) -> LayerScan:
        """Scan one layer blob (gzip, zstd or plain tar) from a stream, reading it once."""
        scan = LayerScan()
        hashing = _Hashing(raw)
        data: _Decompressing | None = None
        try:
            data = _Decompressing(hashing, self.limits.max_layer_size, label)
            # random-access mode on a forwards-only stream: member data nobody wants is
            # skipped, not copied through tarfile's stream buffer
            with tarfile.open(fileobj=data, mode="r:", tarinfo=_TarInfo) as tar:
                self._scan_members(tar, scan, layer, label)
            hashing.drain()  # the tar's end padding and anything after it belong to the blob
        except _MetadataTooLarge as exc:
            scan.problems.append(f"{label}: {exc}")
            scan.complete = False
        except LayerProblem as exc:
            scan.problems.append(str(exc))
            scan.complete = False
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            reason = str(exc) or type(exc).__name__
            scan.problems.append(f"{label}: truncated or corrupt layer: {reason}")
            scan.complete = False
        scan.size = data.count if data is not None else 0
        scan.digest = "sha256:" + hashing.digest.hexdigest()
        return scan

    def _scan_members(self, tar: tarfile.TarFile, scan: LayerScan, layer: int,
                      label: str) -> None:
        escaped = 0
        for member in iter_members(tar):
            scan.entries += 1
            if scan.entries > self.limits.max_entries:
                raise LayerProblem(
                    f"{label}: more than {self.limits.max_entries:,} entries: stopped reading it"
                )
            path = normalise(member.name)
            if path is None:
                escaped += 1
                if escaped <= 3:
                    scan.problems.append(
                        f"{label}: entry {member.name[:200]!r} leaves the image root: ignored"
                    )
                continue
            if not path:
                continue
            folder, _, base = path.rpartition("/")
            if base.startswith(WHITEOUT):
                if base == OPAQUE:
                    scan.opaque.append(folder)
                else:
                    scan.whiteouts.append(posixpath.join(folder, base[len(WHITEOUT):]))
                continue
            if member.isreg():
                wanted = self._want(path, member.size, member.mode)
                if not wanted:
                    scan.files.pop(path, None)  # an earlier entry of this layer, replaced
                    continue
                extracted = tar.extractfile(member)
                if extracted is None:
                    continue
                scan.files[path] = self._capture(path, member.size, member.mode, layer,
                                                 extracted, wanted)
            elif member.issym():
                target = _link_target(path, member.linkname)
                if target is not None and self._want(path, 0, 0o100644):
                    scan.links[path] = target
            elif member.islnk():
                target = normalise(member.linkname)
                source = scan.files.get(target) if target else None
                if source is not None and self._want(path, len(source.data), source.mode):
                    scan.files[path] = replace(source, path=path, layer=layer)
            # directories, devices and fifos carry nothing to inventory
        if escaped > 3:
            scan.problems.append(f"{label}: {escaped} entries leave the image root: ignored")

    def scan_folder(self, root: Path, layer: int = 0) -> LayerScan:
        """An unpacked root filesystem as one layer (dir:). Symbolic links are recorded as image
        paths, never followed on this machine."""
        scan = LayerScan()
        for folder, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames) + [d for d in dirnames
                                              if os.path.islink(os.path.join(folder, d))]:
                full = os.path.join(folder, name)
                path = normalise(os.path.relpath(full, root))
                if not path:
                    continue
                scan.entries += 1
                try:
                    info = os.lstat(full)
                except OSError as exc:
                    scan.problems.append(f"{path}: cannot read: {exc.strerror or exc}")
                    continue
                if stat.S_ISLNK(info.st_mode):
                    target = _link_target(path, os.readlink(full))
                    if target is not None and self._want(path, 0, 0o100644):
                        scan.links[path] = target
                    continue
                if not stat.S_ISREG(info.st_mode):
                    continue
                wanted = self._want(path, info.st_size, info.st_mode)
                if not wanted:
                    continue
                try:
                    with open(full, "rb") as handle:
                        captured = self._capture(path, info.st_size, info.st_mode, layer, handle,
                                                 wanted)
                except OSError as exc:
                    scan.problems.append(f"{path}: cannot read: {exc.strerror or exc}")
                    continue
                if captured is not None:
                    scan.files[path] = captured
                scan.size += info.st_size
        return scan


@dataclass(frozen=True)
class Composed:
    """The layers applied in order."""

    view: FileView
    problems: tuple[str, ...]


def _removed(path: str, gone: set[str], emptied: set[str]) -> bool:
    """A whiteout removes its path and everything below it; an opaque marker empties its
    folder (the folder itself stays). Looks up the path's ancestors (a layer may hold a million
    whiteouts)."""
    if "" in emptied:
        return True
    prefix = ""
    for part in path.split("/"):
        if prefix in emptied:
            return True
        prefix = f"{prefix}/{part}" if prefix else part
        if prefix in gone:
            return True
    return False


def compose(scans: Sequence[LayerScan]) -> Composed:
    """Apply layer scans in order (the Nth scan is layer N): each layer's whiteouts and opaque
    folders remove what the layers below it left, then its own files are added."""
    present: dict[str, FileVersion] = {}
    links: dict[str, str] = {}
    history: dict[str, list[FileVersion]] = {}
    problems: list[str] = []
    for index, scan in enumerate(scans):
        problems.extend(scan.problems)
        if scan.opaque or scan.whiteouts:
            gone, emptied = set(scan.whiteouts), set(scan.opaque)
            for mapping in (present, links):
                removed = [path for path in mapping if _removed(path, gone, emptied)]
                for path in removed:
                    del mapping[path]
        for path, version in scan.files.items():
            if version.layer != index:  # scanned before the layer order was known
                version = replace(version, layer=index)
            present[path] = version
            links.pop(path, None)
            history.setdefault(path, []).append(version)
        for path, target in scan.links.items():
            links[path] = target
            present.pop(path, None)
    return Composed(LinkedFileView(history, present, links), tuple(problems))


class LinkedFileView(FileView):
    """A FileView whose `final` follows symbolic links inside the image (e.g. etc/os-release
    -> ../usr/lib/os-release), at most 16 hops."""

    def __init__(self, versions: dict[str, list[FileVersion]], final: dict[str, FileVersion],
                 links: dict[str, str]) -> None:
        super().__init__(versions, final)
        self._links = links

    def final(self, path: str) -> FileVersion | None:
        for _ in range(16):
            found = super().final(path)
            if found is not None:
                return found
            target = self._resolve_prefix(path)
            if target is None or target == path:
                return None
            path = target
        return None

    def _resolve_prefix(self, path: str) -> str | None:
        parts = path.split("/")
        for i in range(len(parts), 0, -1):
            prefix = "/".join(parts[:i])
            if prefix in self._links:
                return "/".join([self._links[prefix], *parts[i:]]).strip("/")
        return None
