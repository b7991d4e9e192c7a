"""The command line, and the one error boundary that turns typed errors into exit codes.

Exit codes: 0 nothing at or above the threshold; 1 findings at or above it; 2 usage or
configuration error; 3 a checker could not run (the other checkers' findings are still written).

One module per subcommand (scan.py also holds one subcommand per checker; image, baseline,
merge, db, rules), each registering its parser with a `handler`; hooks.py is the pre-commit
hooks' entry point. `main` parses, then runs the handler behind `guarded`, the one boundary.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec

from hullscan import __version__
from hullscan.cli import baseline, db, image, merge, rules, scan
from hullscan.cli.common import EPILOG, EXIT_USAGE, configure_logging, internal_error, interrupted
from hullscan.core.errors import HullscanError, InternalError

P = ParamSpec("P")


def entry_point(func: Callable[P, int]) -> Callable[P, int]:
    """An entry point ends quietly when its stdout's reader has gone (`hullscan db status |
    head -1`): no traceback, the run's own exit code. For the length of the run stdout is a
    `_PipeSafe`, so a write to a closed pipe anywhere cannot interrupt the run."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> int:
        if isinstance(sys.stdout, _PipeSafe):  # an entry point inside another
            return func(*args, **kwargs)
        safe = _PipeSafe(sys.stdout)
        sys.stdout = safe
        try:
            code = func(*args, **kwargs)
            safe.flush()
        finally:
            if sys.stdout is safe:
                sys.stdout = safe.stream
        return code

    return run


class _PipeSafe:
    """stdout, except that a write or flush to a pipe whose reader has gone sends the rest of
    the output to the null device (what Python's documentation advises on SIGPIPE) instead
    of raising BrokenPipeError in the middle of the run."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self.stream.write(text))
        except BrokenPipeError:
            self._closed()
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._closed()

    def _closed(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            # the file descriptor itself, so the interpreter's final flush cannot fail again
            os.dup2(devnull, self.stream.fileno())
        except (OSError, ValueError):  # a stdout without a file descriptor (in-process runs)
            self.stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hullscan",
        description="Container-security checks for a repository before merge, "
        "reported as text, JSON or SARIF.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hullscan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    scan.register(sub)
    image.register(sub)
    baseline.register(sub)
    merge.register(sub)
    db.register(sub)
    rules.register(sub)
    scan.register_checkers(sub)
    return parser


@entry_point
def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version (0) or a usage error (2)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    configure_logging(getattr(args, "verbose", 0), getattr(args, "quiet", False))
    return guarded(args, args.handler)


def guarded(args: argparse.Namespace, handler: Callable[[argparse.Namespace], int]) -> int:
    """The one error boundary: `handler(args)`'s exit code, or the exit code of what it raised,
    said in one line: hullscan's own errors their message and code (2 usage or configuration,
    3 could not check), an interrupt 130, anything else an internal error (exit 3; -v shows
    the traceback)."""
    verbose = getattr(args, "verbose", 0)
    try:
        return handler(args)
    except InternalError as exc:
        return internal_error(exc, verbose)
    except HullscanError as exc:
        from hullscan.formats.text import inline

        print(f"hullscan: error: {inline(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return interrupted()
    except Exception as exc:  # whatever failed, exit 3 in one line
        return internal_error(exc, verbose)
