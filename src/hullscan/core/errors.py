"""Typed errors. The CLI's one error boundary turns them into one-line messages and exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class HullscanError(Exception):
    """Base class of every error hullscan reports to the user in one line."""

    exit_code = 3


class UsageError(HullscanError):
    """Bad command-line usage (exit 2)."""

    exit_code = 2


class ConfigError(HullscanError):
    """A configuration file that cannot be used (exit 2). The message names file, line, key."""

    exit_code = 2

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class ToolError(HullscanError):
    """An external tool could not run or did not finish properly (exit 3)."""

    def __init__(self, tool: str, message: str, stderr: str = "") -> None:
        self.tool = tool
        self.stderr = stderr
        super().__init__(f"{tool}: {message}")


class ToolMissingError(ToolError):
    pass


class ToolTimeoutError(ToolError):
    pass


class ToolFailedError(ToolError):
    pass


class OutputError(HullscanError):
    """An output file could not be written (exit 2: the user named a path we cannot use)."""

    exit_code = 2


class InternalError(HullscanError):
    """An unexpected exception (a bug, or a case nobody foresaw) in one stage of a run: exit 3,
    one line naming the stage; the original exception is the cause (`-v` shows its
    traceback)."""

    exit_code = 3

    def __init__(self, stage: str, exc: BaseException) -> None:
        self.stage = stage
        self.original = exc
        super().__init__(f"{stage}: internal error: {describe_exception(exc)}")


def describe_exception(exc: BaseException) -> str:
    """`TypeError: message`, or the type alone when the exception has no message."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Turn any exception but hullscan's own errors into an InternalError naming `name`."""
    try:
        yield
    except HullscanError:
        raise
    except Exception as exc:
        raise InternalError(name, exc) from exc
