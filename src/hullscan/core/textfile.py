"""Reading scanned files safely: size limit first, binary and encoding checks, one-line reasons."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Literal

SNIFF_BYTES = 8192


Why = Literal["size", "binary", "encoding", "unreadable"]


class UnreadableFile(Exception):
    """A file a checker cannot use; the message is a one-line reason (without the path), `why`
    its kind (so callers decide on the kind, never on the message's text)."""

    def __init__(self, message: str, why: Why = "unreadable") -> None:
        super().__init__(message)
        self.why: Why = why


def read_text(path: Path, max_size: int) -> str:
    """The file's text, or UnreadableFile when it is too large, binary, not UTF-8 or unreadable.

    The size is checked before anything is read, so a huge file is never loaded into memory.
    """
    return decode_text(read_bytes(path, max_size))


def read_bytes(path: Path, max_size: int) -> bytes:
    """The file's bytes, or UnreadableFile when it is too large or unreadable (size first)."""
    try:
        size = path.stat().st_size
        if size > max_size:
            raise UnreadableFile(
                f"skipped: {human_size(size)} is over the size limit of {human_size(max_size)}",
                "size",
            )
        with path.open("rb") as handle:
            data = handle.read(max_size + 1)
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_size:
        raise UnreadableFile(f"skipped: over the size limit of {human_size(max_size)}", "size")
    return data


def decode_text(data: bytes) -> str:
    """Bytes of a scanned file as text: UnreadableFile for binary or non-UTF-8 content."""
    if b"\0" in data[:SNIFF_BYTES] or b"\0" in data:
        raise UnreadableFile("skipped: binary file", "binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"skipped: not UTF-8 text (byte {exc.start})", "encoding") from exc


# What FileContent may hold at once in one process, bytes and decoded text counted: enough for
# every checker of a usual repository to share one read, bounded on a huge one (a file over
# the budget is read again by each reader that needs it).
CACHE_BUDGET = 64 * 1024 * 1024


class _Budget:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.held = 0

    def take(self, size: int) -> bool:
        with self._lock:
            if self.held + size > CACHE_BUDGET:
                return False
            self.held += size
            return True

    def give_back(self, size: int) -> None:
        with self._lock:
            self.held -= size


_BUDGET = _Budget()


class FileContent:
    """One file's content, read once per scan however many checkers, the policy and the formats
    ask for it (checkers run in threads: the first reader reads, the others wait). Content is
    kept only when more than one checker will read it (`readers`, set by the pipeline) and
    within the process's CACHE_BUDGET; otherwise each reader reads the file.

    A read under a size limit is reused for any limit at least as large as the content; a
    failure is remembered with its limit, so a larger limit reads again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: bytes | None = None
        self._text: str | None = None
        self._failure: tuple[int, UnreadableFile] | None = None  # (limit, reason)
        self._head: bytes | None = None
        self._held = 0  # bytes of the budget this content holds
        # how many checkers will read it (None: not known); content one reader needs is not kept
        self.readers: int | None = None

    def __del__(self) -> None:
        if self._held:  # the budget is the process's: what a finished scan held is free again
            _BUDGET.give_back(self._held)

    def _keep(self, size: int) -> bool:
        if not _BUDGET.take(size):
            return False
        self._held += size
        return True

    def head(self, path: Path, size: int) -> bytes:
        """The first `size` bytes (a sniff); a file no larger than that is kept whole, so the
        checker that reads it next does not read it again. OSError when it cannot be read."""
        with self._lock:
            if self._data is not None:
                return self._data[:size]
            if self._head is not None and len(self._head) >= size:
                return self._head[:size]
            with path.open("rb") as handle:
                chunk = handle.read(size + 1)
            if len(chunk) <= size:
                if self._keep(2 * len(chunk)):  # the bytes, and the text decoded from them
                    self._data = chunk
            elif self._keep(size):
                self._head = chunk[:size]
            return chunk[:size]

    def data(self, path: Path, max_size: int) -> bytes:
        with self._lock:
            if self._data is not None:
                if len(self._data) > max_size:
                    raise UnreadableFile(f"skipped: {human_size(len(self._data))} is over the "
                                         f"size limit of {human_size(max_size)}", "size")
                return self._data
            if self._failure is not None and self._failure[0] >= max_size:
                raise self._failure[1]
            try:
                data = read_bytes(path, max_size)
            except UnreadableFile as exc:
                self._failure = (max_size, exc)
                raise
            shared = self.readers is None or self.readers > 1
            if shared and self._keep(2 * len(data)):  # the bytes, and the text decoded from them
                self._data = data
            return data

    def text(self, path: Path, max_size: int) -> str:
        data = self.data(path, max_size)
        with self._lock:
            if self._text is not None:
                return self._text
            text = decode_text(data)  # raises for binary / non-UTF-8, every time
            if self._data is not None:
                self._text = text
            return text


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
