"""pre-commit hook `hullscan-deps`: the dependency checker on the files pre-commit passes."""

from __future__ import annotations

from collections.abc import Sequence

from hullscan.cli.hooks import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook(
        argv,
        prog="hullscan-hook-deps",
        description="Check dependencies in manifests and lockfiles against OSV data.",
        checkers=("deps",),
    )


if __name__ == "__main__":
    raise SystemExit(main())
