"""pre-commit hook `hullscan`: every checker that applies on the files pre-commit passes."""

from __future__ import annotations

from collections.abc import Sequence

from hullscan.cli.hooks import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook(
        argv,
        prog="hullscan-hook",
        description="Run every hullscan checker that applies to the given files.",
        checkers=None,
    )


if __name__ == "__main__":
    raise SystemExit(main())
