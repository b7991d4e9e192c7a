"""pre-commit hook `hullscan-dockerfile`: the Dockerfile checker on the files pre-commit passes."""

from __future__ import annotations

from collections.abc import Sequence

from hullscan.cli.hooks import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook(
        argv,
        prog="hullscan-hook-dockerfile",
        description="Check Dockerfiles with hadolint and hullscan's container rules.",
        checkers=("dockerfile",),
    )


if __name__ == "__main__":
    raise SystemExit(main())
