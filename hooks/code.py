"""pre-commit hook `hullscan-code`: the code checker on the files pre-commit passes."""

from __future__ import annotations

from collections.abc import Sequence

from hullscan.cli.hooks import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook(
        argv,
        prog="hullscan-hook-code",
        description="Check Python code with bandit (and local semgrep rules, when configured).",
        checkers=("code",),
    )


if __name__ == "__main__":
    raise SystemExit(main())
