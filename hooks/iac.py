"""pre-commit hook `hullscan-iac`: the IaC and Compose checkers on the files pre-commit
passes."""

from __future__ import annotations

from collections.abc import Sequence

from hullscan.cli.hooks import run_hook


def main(argv: Sequence[str] | None = None) -> int:
    return run_hook(
        argv,
        prog="hullscan-hook-iac",
        description="Check infrastructure as code with checkov and hullscan's workload rules.",
        checkers=("compose", "iac"),
    )


if __name__ == "__main__":
    raise SystemExit(main())
