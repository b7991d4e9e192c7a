"""pre-commit hook `hullscan`: every checker that applies to the files pre-commit passes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from hullscan.cli import add_common_options, execute


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hullscan-hook",
        description="Run every hullscan checker that applies to the given files.",
    )
    parser.add_argument("filenames", nargs="*", help="files to check")
    add_common_options(parser)
    args = parser.parse_args(argv)
    if not args.filenames:
        return 0
    return execute(args, checkers=None, paths=args.filenames)


if __name__ == "__main__":
    raise SystemExit(main())
