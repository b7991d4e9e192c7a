"""`hullscan merge`: one SARIF upload GitHub accepts from many files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hullscan.cli.common import EXIT_CLEAN, out


def register(sub: Any) -> None:
    merge = sub.add_parser(
        "merge", help="combine SARIF files (matrix jobs, other tools) into one upload",
        description="Combine SARIF files into one that GitHub accepts: runs of the same tool "
        "and category merged, at most 20 runs, at most 25,000 results per run (the most "
        "severe kept, with a notification). Every input is validated first; on any error "
        "nothing is written.",
    )
    merge.add_argument("inputs", nargs="+", metavar="SARIF")
    merge.add_argument("-o", "--output", metavar="FILE", required=True,
                       help="the merged SARIF file")
    merge.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    merge.add_argument("-v", "--verbose", action="count", default=0, help=argparse.SUPPRESS)
    merge.set_defaults(handler=run_merge)


def run_merge(args: argparse.Namespace) -> int:
    """`hullscan merge`: one SARIF upload from many files."""
    from hullscan.formats.sarif_merge import merge_files

    merged = merge_files([Path(p) for p in args.inputs], Path(args.output))
    for note in merged.notes:
        print(f"hullscan: warning: {note}", file=sys.stderr)
    if not args.quiet:
        out(f"{args.output}: {merged.runs_in} run(s) from {len(args.inputs)} file(s) merged "
            f"into {merged.runs_out}, {merged.results_out} result(s)"
            + (f", {merged.dropped} dropped over the limit" if merged.dropped else "") + "\n")
    return EXIT_CLEAN
