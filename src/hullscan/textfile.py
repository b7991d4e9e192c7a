"""Reading scanned files safely: size limit first, binary and encoding checks, one-line reasons."""

from __future__ import annotations

from pathlib import Path

SNIFF_BYTES = 8192


class UnreadableFile(Exception):
    """A file a checker cannot use; the message is a one-line reason (without the path)."""


def read_text(path: Path, max_size: int) -> str:
    """The file's text, or UnreadableFile when it is too large, binary, not UTF-8 or unreadable.

    The size is checked before anything is read, so a huge file is never loaded into memory.
    """
    try:
        size = path.stat().st_size
        if size > max_size:
            raise UnreadableFile(
                f"skipped: {human_size(size)} is over the size limit of {human_size(max_size)}"
            )
        with path.open("rb") as handle:
            data = handle.read(max_size + 1)
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_size:
        raise UnreadableFile(f"skipped: over the size limit of {human_size(max_size)}")
    if b"\0" in data[:SNIFF_BYTES] or b"\0" in data:
        raise UnreadableFile("skipped: binary file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"skipped: not UTF-8 text (byte {exc.start})") from exc


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
