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


class FileContent:
    """One file's content, read at most once per scan however many checkers, the policy and the
    formats ask for it (checkers run in threads: the first reader reads, the others wait).

    A read under a size limit is reused for any limit at least as large as the content; a
    failure is remembered with its limit, so a larger limit reads again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: bytes | None = None
        self._text: str | None = None
        self._failure: tuple[int, UnreadableFile] | None = None  # (limit, reason)
        self._head: bytes | None = None

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
                self._data = chunk
            else:
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
                self._data = read_bytes(path, max_size)
            except UnreadableFile as exc:
                self._failure = (max_size, exc)
                raise
            return self._data

    def text(self, path: Path, max_size: int) -> str:
        data = self.data(path, max_size)
        with self._lock:
            if self._text is None:
                self._text = decode_text(data)  # raises for binary / non-UTF-8, every time
            return self._text


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
