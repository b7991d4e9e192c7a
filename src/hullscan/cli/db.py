"""`hullscan db import|update|status`: the local OSV database."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hullscan.cli.common import EXIT_CHECKER_FAILED, EXIT_CLEAN, EXIT_USAGE
from hullscan.core.errors import HullscanError

if TYPE_CHECKING:
    from hullscan.vuln.local_db import Coverage


def register(sub: Any) -> None:
    db = sub.add_parser(
        "db", help="manage the local OSV vulnerability database",
        description="The local OSV database (SQLite under $XDG_CACHE_HOME/hullscan, or "
        "$HULLSCAN_OSV_DB) that offline dependency and image checks use.",
    )
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_import = db_sub.add_parser(
        "import", help="import OSV records from an all.zip, a folder of OSV JSON files or a URL"
    )
    db_import.add_argument("sources", nargs="+", metavar="PATH|URL")
    db_update = db_sub.add_parser(
        "update", help="download OSV's per-ecosystem dumps and import them (online)"
    )
    db_update.add_argument(
        "--ecosystem", action="append", metavar="NAME",
        help="an OSV ecosystem to fetch (repeatable; default: the language ecosystems)",
    )
    db_sub.add_parser("status", help="show what the local database holds")
    for command in (db_import, db_update, db):
        command.add_argument("-v", "--verbose", action="count", default=0,
                             help=argparse.SUPPRESS)
        command.add_argument("-q", "--quiet", action="store_true", help=argparse.SUPPRESS)
    db.set_defaults(checkers=None, paths=(), handler=run_db)


def _print_coverage(coverage: Sequence[Coverage]) -> None:
    """What `hullscan db status` says about coverage: offline checks of packages in any other
    ecosystem or release fail closed."""
    if not coverage:
        print("covers no ecosystem: offline checks fail closed for every package; run "
              "`hullscan db update --ecosystem NAME`")
        return
    print("covers (offline checks of any other ecosystem or release fail closed):")
    for entry in coverage:
        if entry.kind == "dump":
            how = f"the whole OSV dump, {entry.records:,} records, from {entry.source}"
        elif entry.kind == "inferred":
            how = (f"{entry.records:,} records already in the database, which an older "
                   "hullscan made without recording coverage")
        else:
            how = f"{entry.records:,} records from {entry.source}"
        when = f" at {entry.imported_at}" if entry.imported_at else ""
        print(f"  {entry.ecosystem}: {how}{when}")


def run_db(args: argparse.Namespace) -> int:
    """`hullscan db import|update|status`, behind the same one-line error boundary."""
    from hullscan.vuln import dumps
    from hullscan.vuln.local_db import LocalDatabase

    database = LocalDatabase()
    try:
        if args.db_command == "status":
            status = database.status()
            print(f"database: {status.path}")
            if not status.exists:
                print("empty: run `hullscan db import PATH` or `hullscan db update`")
                return EXIT_CLEAN
            print(f"records: {status.records:,} ({status.size / 1024 / 1024:.1f} MiB)")
            for ecosystem, count in status.by_ecosystem.items():
                print(f"  {ecosystem}: {count:,}")
            for source, when, count in status.imports[-10:]:
                print(f"imported {count:,} records from {source} at {when}")
            _print_coverage(status.coverage)
            return EXIT_CLEAN
        if args.db_command == "import":
            sources: list[tuple[str, str, str | None]] = [(s, s, None) for s in args.sources]
        else:
            sources = [(dumps.dump_url(e), e, e)
                       for e in (args.ecosystem or dumps.DEFAULT_ECOSYSTEMS)]
        for source, label, dump in sources:
            with dumps.temporary_folder() as tmp:
                path = dumps.download(source, Path(tmp)) if "://" in source else Path(source)
                report = database.import_path(path, label=source, dump=dump)
            print(f"{label}: imported {report.imported:,} records"
                  + (f", skipped {len(report.skipped):,}" if report.skipped else "")
                  + (f"; covers {', '.join(report.covered)}" if report.covered else ""))
            for line in report.warnings:
                print(f"hullscan: warning: {line}", file=sys.stderr)
            for line in report.skipped[:10]:
                print(f"hullscan: warning: skipped {line}", file=sys.stderr)
            if len(report.skipped) > 10:
                print(f"hullscan: warning: ... and {len(report.skipped) - 10:,} more skipped",
                      file=sys.stderr)
    except HullscanError as exc:
        # what `import` was given is the user's to mend (exit 2); `update` and `status` could
        # not do their work (exit 3), whatever the error's own code
        failed = HullscanError(str(exc))
        failed.exit_code = EXIT_USAGE if args.db_command == "import" else EXIT_CHECKER_FAILED
        raise failed from exc
    finally:
        database.close()
    return EXIT_CLEAN
