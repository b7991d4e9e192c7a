"""`hullscan baseline write`: accept today's findings in a baseline file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hullscan.cli.common import EXIT_CHECKER_FAILED, EXIT_CLEAN, out
from hullscan.cli.options import checker_list, offline_default
from hullscan.core.model import NotificationLevel


def register(sub: Any) -> None:
    baseline = sub.add_parser(
        "baseline", help="accept today's findings in a baseline file",
        description="Write the current findings to a baseline file, reviewed like code, so a "
        "repository can adopt hullscan without fixing everything first. Scans with "
        "--baseline FILE then report those findings as unchanged and do not block on them.",
    )
    baseline_sub = baseline.add_subparsers(dest="baseline_command", metavar="ACTION",
                                           required=True)
    baseline_write = baseline_sub.add_parser(
        "write", help="scan and write the findings to the baseline file",
        description="Scan like `hullscan scan` and write every unsuppressed finding to the "
        "baseline file (stable order, one finding per line, a count per rule).",
    )
    baseline_write.add_argument("paths", nargs="*", metavar="PATH", default=["."],
                                help="files or folders (default: .)")
    baseline_write.add_argument(
        "-o", "--output", metavar="FILE", default=".hullscan-baseline.json",
        help="the baseline file (default: .hullscan-baseline.json)",
    )
    baseline_write.add_argument("--checkers", metavar="LIST", type=checker_list, default=None,
                                help="comma-separated checkers (default: all that apply)")
    baseline_write.add_argument("--config", metavar="FILE", help="configuration file")
    baseline_write.add_argument("--offline", action="store_true", default=offline_default(),
                                help="use only the local OSV database")
    baseline_write.add_argument("--ignore-unfixed", action="store_true",
                                help="do not record advisories that have no fixed version")
    baseline_write.add_argument("-q", "--quiet", action="store_true", help=argparse.SUPPRESS)
    baseline_write.add_argument("-v", "--verbose", action="count", default=0,
                                help=argparse.SUPPRESS)
    baseline.set_defaults(handler=run_baseline)


def run_baseline(args: argparse.Namespace) -> int:
    """`hullscan baseline write`: scan, then write the accepted findings."""
    from hullscan.formats.output import write_atomically
    from hullscan.pipeline import ScanRequest, run
    from hullscan.policy.baseline import count_by_rule, render_baseline

    report = run(ScanRequest(
        paths=tuple(args.paths) or (".",), checkers=args.checkers, config_path=args.config,
        fail_on="never", offline=args.offline, ignore_unfixed=args.ignore_unfixed,
    ))
    for note in report.notifications:
        if note.level is NotificationLevel.ERROR or not args.quiet:
            print(f"hullscan: {note.level.value}: {note.one_line()}", file=sys.stderr)
    write_atomically(args.output, render_baseline(report.findings))
    counts = count_by_rule(report.findings)
    total = sum(counts.values())
    if not args.quiet:
        out(f"{args.output}: {total} finding{'s' if total != 1 else ''} accepted\n")
        out("".join(f"  {rule}: {count}\n" for rule, count in counts.items()))
    if report.failed_checkers:
        print(f"hullscan: error: checker(s) failed: {', '.join(report.failed_checkers)}; the "
              "baseline lacks their findings", file=sys.stderr)
        return EXIT_CHECKER_FAILED
    return EXIT_CLEAN
