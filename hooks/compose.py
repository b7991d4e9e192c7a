"""pre-commit hook `hullscan-compose`: the Compose checker on the files pre-commit passes."""

from __future__ import annotations

from collections.abc import Sequence

from hullscan.cli.hooks import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook(
        argv,
        prog="hullscan-hook-compose",
        description="Check Docker Compose files with compose-lint and hullscan's workload rules.",
        checkers=("compose",),
    )


if __name__ == "__main__":
    raise SystemExit(main())
