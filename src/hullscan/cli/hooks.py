"""The pre-commit hooks' entry point: the files pre-commit passes, the common options, the scan
pipeline. Each module of hooks/ (installed as hullscan_hooks) calls `run_hook`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from hullscan.cli import entry_point, guarded
from hullscan.cli.common import EXIT_CLEAN, EXIT_USAGE, configure_logging
from hullscan.cli.options import add_common_options
from hullscan.cli.scan import execute


@entry_point
def run_hook(
    argv: Sequence[str] | None, *, prog: str, description: str,
    checkers: Sequence[str] | None,
) -> int:
    """A pre-commit hook: the files pre-commit passes, the common options, the shared pipeline.
    `checkers=None` runs every checker that applies to each file. The file names are found by
    `split_hook_argv`: a committed file named `--fail-on=never` is a file, not an option."""
    given = list(sys.argv[1:] if argv is None else argv)
    parser = _hook_parser(argparse.ArgumentParser, prog, description)
    options, filenames = split_hook_argv(given)
    try:
        args = parser.parse_args(options)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if filenames:
        args.filenames = filenames
    if not args.filenames:
        return EXIT_CLEAN
    from hullscan.policy.precommit import hook_id

    configure_logging(args.verbose, args.quiet)
    return guarded(args, lambda parsed: execute(parsed, checkers=checkers,
                                                paths=parsed.filenames, hook=hook_id(prog)))


def _hook_parser(
    cls: type[argparse.ArgumentParser], prog: str, description: str
) -> argparse.ArgumentParser:
    parser = cls(prog=prog, description=description)
    parser.add_argument("filenames", nargs="*", help="files to check (pre-commit passes them)")
    add_common_options(parser)
    return parser


class _ProbeFailed(Exception):
    pass


class _ProbeParser(argparse.ArgumentParser):
    """Tries a parse: prints nothing and never exits (a usage error, --help, raise)."""

    def error(self, message: str) -> NoReturn:
        raise _ProbeFailed(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _ProbeFailed(message or "")

    def _print_message(self, message: str, file: Any = None) -> None:
        pass


def split_hook_argv(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(options, file names) of a hook's argv. pre-commit runs `entry + args + filenames`, and
    the file names are paths that exist, so they are the tail of argv even when one starts
    with `-`: the longest tail of existing paths (`os.path.lexists`) whose head parses with
    the hooks' parser and leaves no positional argument is the file names, the head the
    options. `--fail-on high --fail-on=never` with a file `--fail-on=never`: options
    `--fail-on high`, files [`--fail-on=never`]. `--sarif out.sarif a.py` with out.sarif
    present: options `--sarif out.sarif`, files [a.py] (the longer tail would leave `--sarif`
    without its value). A `--` in the args ends the options as usual (the head may end with
    it); a file named `--` is a file like any other. When no tail fits, argv is parsed as it
    is (its usage error, --help, or its positional file names): (argv, [])."""
    probe = _hook_parser(_ProbeParser, "hullscan-hook", "")
    args = list(argv)
    first = len(args)
    while first > 0 and os.path.lexists(args[first - 1]):
        first -= 1
    for cut in range(first, len(args) + 1):  # the longest tail first
        head = args[:cut]
        try:
            parsed = probe.parse_args(head)
        except _ProbeFailed:
            # Only an option at the end of the head (its value is the next element) can be
            # mended by a longer head; any other error stays.
            if head and head[-1].startswith("-"):
                continue
            break
        if parsed.filenames:
            break  # a positional in the head stays in every longer head
        return head, args[cut:]
    return args, []
