"""What every subcommand shares: exit codes, the lines printed to stdout and stderr, the log
format, and the one-line report of an internal error."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from hullscan.core.errors import InternalError, describe_exception

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_CHECKER_FAILED = 3

EPILOG = """\
exit codes:
  0  nothing at or above the --fail-on threshold
  1  findings at or above the threshold
  2  usage or configuration error (also: an image path that does not exist, an unknown REF)
  3  a checker could not run, or hullscan itself failed (an internal error: one line, -v
     shows the traceback); other checkers' findings are still written, the failure is in
     the SARIF
"""



def out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def internal_error(exc: BaseException, verbose: int) -> int:
    """Any exception that is not one of hullscan's own errors: exit 3 and one line naming what
    failed; -v adds the traceback."""
    import traceback

    from hullscan.formats.text import inline

    if isinstance(exc, InternalError):
        message, original = str(exc), exc.original
    else:
        message, original = f"internal error: {describe_exception(exc)}", exc
    hint = "" if verbose else " (-v shows the traceback)"
    print(f"hullscan: error: {inline(message)}{hint}", file=sys.stderr)
    if verbose:
        for line in "".join(traceback.format_exception(original)).splitlines():
            print(f"hullscan: {line}", file=sys.stderr)
    return EXIT_CHECKER_FAILED


def interrupted() -> int:
    print("hullscan: interrupted", file=sys.stderr)
    return 130


class _LogFormatter(logging.Formatter):
    """Every line starts with "hullscan: ": a message on one line (a file name with a newline
    in it cannot start a line, in a GitHub Actions log a workflow command), each line of a
    traceback prefixed."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        from hullscan.formats.text import inline

        record.message = inline(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return "\n".join(f"hullscan: {line}"
                         for line in super().formatException(ei).splitlines())

    def formatStack(self, stack_info: str) -> str:
        return "\n".join(f"hullscan: {line}" for line in stack_info.splitlines())


def configure_logging(verbose: int, quiet: bool) -> None:
    """Log to stderr. Progress (INFO) shows with -v, or on a terminal outside CI."""
    logger = logging.getLogger("hullscan")
    if logger.handlers:
        logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogFormatter("hullscan: %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    # internal errors' tracebacks (the pipeline logs them there): only with -v
    logging.getLogger("hullscan.traceback").setLevel(
        logging.DEBUG if verbose else logging.CRITICAL + 1)
    interactive = sys.stderr.isatty() and not os.environ.get("CI")
    if verbose >= 2:
        logger.setLevel(logging.DEBUG)
    elif verbose == 1 or (interactive and not quiet):
        logger.setLevel(logging.INFO)
    else:
        logger.setLevel(logging.WARNING)
