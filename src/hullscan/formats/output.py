"""Writing what hullscan outputs: every file is written whole or not at all (a new file beside
it, then a rename), and the files it appends to (the job summary, step outputs) get whole
pieces. Failures are OutputError, one line naming the file."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from hullscan.core.errors import OutputError


def write_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` to a new file beside `path`, then rename it over `path`: readers never see
    a half-written file, and a failure leaves `path` as it was. A file that exists keeps its
    permissions; a new one gets 0o666 under the umask, like a file opened for writing."""
    output = Path(path)
    name = os.fspath(path)
    data = text.encode("utf-8")
    tmp: Path | None = None
    try:
        for _attempt in range(100):
            candidate = output.parent / f".{output.name}.{secrets.token_hex(4)}.tmp"
            try:
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            tmp = candidate
            break
        else:
            raise OutputError(f"{name}: cannot write: no free temporary file name")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            existing = output.stat()
        except OSError:
            existing = None
        if existing is not None and stat.S_ISREG(existing.st_mode):
            os.chmod(tmp, stat.S_IMODE(existing.st_mode))
        os.replace(tmp, output)
        tmp = None
    except OSError as exc:
        raise OutputError(f"{name}: cannot write: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def append(path: str | os.PathLike[str], text: str) -> None:
    """Add `text` at the end of `path` (created when missing)."""
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise OutputError(f"{os.fspath(path)}: cannot append: {exc.strerror or exc}") from exc
