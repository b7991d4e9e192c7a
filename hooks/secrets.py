"""pre-commit hook `hullscan-secrets`: the secrets checker on the files pre-commit passes."""

from __future__ import annotations

from collections.abc import Sequence

from hullscan.cli.hooks import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook(
        argv,
        prog="hullscan-hook-secrets",
        description="Find committed secrets in text files with detect-secrets and hullscan's "
        "patterns (reported masked).",
        checkers=("secrets",),
    )


if __name__ == "__main__":
    raise SystemExit(main())
