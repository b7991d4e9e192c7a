"""pre-commit hook `hullscan-image`: check a container image (`pass_filenames: false`; the image
reference and options come from the hook's `args`)."""

from __future__ import annotations

from collections.abc import Sequence

from hullscan.cli import main as cli_main


def main(argv: Sequence[str] | None = None) -> int:
    import sys

    given = list(sys.argv[1:] if argv is None else argv)
    return cli_main(["image", *given])


if __name__ == "__main__":
    raise SystemExit(main())
