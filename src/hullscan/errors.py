"""Typed errors. The CLI's one error boundary turns them into one-line messages and exit codes."""

from __future__ import annotations


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
