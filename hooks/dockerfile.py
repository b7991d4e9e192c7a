"""pre-commit hook `hullscan-dockerfile`: the Dockerfile checker on the files pre-commit passes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from hullscan.cli import add_common_options, execute


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hullscan-hook-dockerfile",
        description="Check Dockerfiles with hadolint and hullscan's container rules.",
    )
    parser.add_argument("filenames", nargs="*", help="Dockerfiles to check")
    add_common_options(parser)
    args = parser.parse_args(argv)
    if not args.filenames:
        return 0
    return execute(args, checkers=("dockerfile",), paths=args.filenames)


if __name__ == "__main__":
    raise SystemExit(main())
