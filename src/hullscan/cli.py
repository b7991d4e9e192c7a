"""The command line, and the one error boundary that turns typed errors into exit codes.

Exit codes: 0 nothing at or above the threshold; 1 findings at or above it; 2 usage or
configuration error; 3 a checker could not run (the other checkers' findings are still written).
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec

from hullscan import __version__
from hullscan.errors import (
    HullscanError,
    InternalError,
    UsageError,
    describe_exception,
)
from hullscan.formats import FORMATS
from hullscan.model import NotificationLevel, Report

if TYPE_CHECKING:
    from hullscan.formats.interface import RenderContext
    from hullscan.image.model import ImageRequest
    from hullscan.pipeline import ScanRequest
    from hullscan.vuln.local_db import Coverage

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_CHECKER_FAILED = 3

FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "info", "never")
FORMAT_CHOICES = tuple(FORMATS)

log = logging.getLogger("hullscan")

EPILOG = """\
exit codes:
  0  nothing at or above the --fail-on threshold
  1  findings at or above the threshold
  2  usage or configuration error (also: an image path that does not exist, an unknown REF)
  3  a checker could not run, or hullscan itself failed (an internal error: one line, -v
     shows the traceback); other checkers' findings are still written, the failure is in
     the SARIF
"""


# One subcommand per checker: (help line, description). `iac` also runs the Compose checker:
# Compose files are infrastructure as code too (checkov has no framework for them).
COMMAND_CHECKERS: dict[str, tuple[str, ...]] = {"iac": ("compose", "iac")}
CHECKER_COMMANDS: dict[str, tuple[str, str]] = {
    "dockerfile": (
        "check Dockerfiles (hadolint and hullscan's container rules)",
        "Check Dockerfiles with hadolint and hullscan's own container rules.",
    ),
    "compose": (
        "check Docker Compose files (compose-lint and hullscan's workload rules)",
        "Check Docker Compose files with compose-lint and hullscan's own workload rules.",
    ),
    "deps": (
        "check dependencies in manifests and lockfiles against OSV data",
        "Match every dependency of requirements files, Python/npm/Go/Rust/Ruby/PHP/Maven/"
        "Gradle/NuGet lockfiles against OSV vulnerability data (the OSV API, or the local "
        "database with --offline); each finding on the dependency's line.",
    ),
    "iac": (
        "check infrastructure as code (checkov, with real severities)",
        "Check Terraform, CloudFormation, Kubernetes, GitHub workflows, serverless, ARM/Bicep "
        "and OpenAPI files with checkov (hullscan[iac]) and hullscan's workload rules, and "
        "Compose files with the Compose checker.",
    ),
    "secrets": (
        "check every text file for committed secrets (detect-secrets and hullscan's patterns)",
        "Find credentials in any text file: cloud keys, tokens, private keys, JWTs, basic-auth "
        "URLs, secret-named assignments and Kubernetes Secret values, with detect-secrets' "
        "plugins (checkov's bc-detect-secrets, hullscan[secrets]) and hullscan's own patterns. "
        "Secrets are reported masked.",
    ),
    "code": (
        "check source code (bandit for Python; semgrep with local rules, when configured)",
        "Check Python files with bandit (hullscan[code]), run in process; test files are "
        "skipped by default (checkers.code.exclude_tests). Other languages with semgrep "
        "(hullscan[semgrep]) and the local rule files listed in checkers.code.semgrep_rules.",
    ),
}


P = ParamSpec("P")


def _entry_point(func: Callable[P, int]) -> Callable[P, int]:
    """An entry point ends quietly when its stdout's reader has gone (`hullscan db status |
    head -1`): no traceback, the run's own exit code. For the length of the run stdout is a
    `_PipeSafe`, so a write to a closed pipe anywhere cannot interrupt the run."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> int:
        if isinstance(sys.stdout, _PipeSafe):  # an entry point inside another
            return func(*args, **kwargs)
        safe = _PipeSafe(sys.stdout)
        sys.stdout = safe
        try:
            code = func(*args, **kwargs)
            safe.flush()
        finally:
            if sys.stdout is safe:
                sys.stdout = safe.stream
        return code

    return run


class _PipeSafe:
    """stdout, except that a write or flush to a pipe whose reader has gone sends the rest of
    the output to the null device (what Python's documentation advises on SIGPIPE) instead
    of raising BrokenPipeError in the middle of the run."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self.stream.write(text))
        except BrokenPipeError:
            self._closed()
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._closed()

    def _closed(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            # the file descriptor itself, so the interpreter's final flush cannot fail again
            os.dup2(devnull, self.stream.fileno())
        except (OSError, ValueError):  # a stdout without a file descriptor (in-process runs)
            self.stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _internal_error(exc: BaseException, verbose: int) -> int:
    """Any exception that is not one of hullscan's own errors: exit 3 and one line naming what
    failed; -v adds the traceback."""
    import traceback

    from hullscan.formats.text import inline

    if isinstance(exc, InternalError):
        message, original = str(exc), exc.original
    else:
        message, original = f"internal error: {describe_exception(exc)}", exc
    hint = "" if verbose else " (-v shows the traceback)"
    print(f"hullscan: error: {inline(message)}{hint}", file=sys.stderr)
    if verbose:
        for line in "".join(traceback.format_exception(original)).splitlines():
            print(f"hullscan: {line}", file=sys.stderr)
    return EXIT_CHECKER_FAILED


def _interrupted() -> int:
    print("hullscan: interrupted", file=sys.stderr)
    return 130


def add_image_options(parser: argparse.ArgumentParser, *, with_reference: bool) -> None:
    group = parser.add_argument_group("image")
    if with_reference:
        group.add_argument(
            "--image", metavar="REF",
            help="also check a container image (see hullscan image --help for REF forms)",
        )
    group.add_argument(
        "--dockerfile", metavar="PATH",
        help="the Dockerfile the image was built from: findings point at the line of the "
        "instruction that brought each package in (default: ./Dockerfile when it exists)",
    )
    group.add_argument(
        "--anchor", metavar="PATH",
        help="without a Dockerfile: the repository file image findings point at",
    )
    group.add_argument("--platform", metavar="OS/ARCH[/VARIANT]",
                       help="the platform to pick from a multi-platform image "
                       "(default linux/amd64)")
    group.add_argument(
        "--insecure-registry", metavar="HOST[:PORT]", action="append", default=[],
        help="allow plain HTTP to this registry (loopback registries always may)",
    )


def _offline_default() -> bool:
    return os.environ.get("HULLSCAN_OFFLINE", "") not in ("", "0", "false", "no")


def add_common_options(parser: argparse.ArgumentParser) -> None:
    out = parser.add_argument_group("output and policy")
    out.add_argument(
        "--format", choices=FORMAT_CHOICES, default="text",
        help="output format (default: text)",
    )
    out.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE, not stdout")
    out.add_argument(
        "--sarif", metavar="FILE", help="also write SARIF 2.1.0 to FILE (for code scanning)"
    )

    def sarif_category(text: str) -> str:
        from hullscan.formats.sarif import category_problem

        problem = category_problem(text)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return text

    out.add_argument(
        "--sarif-category", metavar="PREFIX", type=sarif_category, default="hullscan",
        help="prefix of every SARIF run's automationDetails.id, the code-scanning category: "
        "PREFIX/dockerfile/, ... (default: hullscan; give each upload in a job its own)",
    )
    out.add_argument(
        "--summary", metavar="FILE",
        help="also append a Markdown summary to FILE (e.g. \"$GITHUB_STEP_SUMMARY\")",
    )
    out.add_argument(
        "--outputs", metavar="FILE",
        help="also append counts as name=value lines to FILE (findings, blocking, new, "
        "unchanged, suppressed; e.g. \"$GITHUB_OUTPUT\")",
    )
    out.add_argument(
        "--fail-on", choices=FAIL_ON_CHOICES, default=None, type=str.lower,
        help="exit 1 when a finding at or above this severity is not suppressed, in any case "
        "(HIGH or high; default: fail_on from the config, else high)",
    )
    out.add_argument(
        "--config", metavar="FILE",
        help="configuration file (default: .hullscan.yaml at the repository root)",
    )
    vuln = parser.add_argument_group("vulnerability data (dependencies)")
    vuln.add_argument(
        "--offline", action="store_true",
        default=_offline_default(),
        help="use only the local OSV database (hullscan db import/update), never the network "
        "(default when HULLSCAN_OFFLINE=1)",
    )
    vuln.add_argument(
        "--ignore-unfixed", action="store_true",
        help="do not report advisories that have no fixed version",
    )
    compare = parser.add_argument_group("comparison (what blocks)")
    compare.add_argument(
        "--new-only", action="store_true",
        help="block only on findings the merge base of --base and HEAD does not have (it is "
        "scanned too, in a temporary git worktree); known ones are reported as unchanged",
    )
    compare.add_argument(
        "--base", metavar="REF",
        help="the branch or commit to compare with, for --new-only (fetched from origin when "
        "missing from a shallow clone)",
    )
    compare.add_argument(
        "--trust-head-config", action="store_true",
        help="with --new-only: apply the configuration, baseline and tool configuration "
        "files of the change under review (default: those of the base commit; only for "
        "repositories that protect them with CODEOWNERS)",
    )
    compare.add_argument(
        "--baseline", metavar="FILE",
        help="findings accepted in FILE (hullscan baseline write) are unchanged, not blocking",
    )
    compare.add_argument(
        "--shard", metavar="I/N",
        help="check only the I-th of N deterministic parts of the files (for matrix jobs; "
        "combine the SARIF files with hullscan merge)",
    )
    out.add_argument("-q", "--quiet", action="store_true", help="print findings only")
    out.add_argument(
        "-v", "--verbose", action="count", default=0,
        help="more detail: suppressed findings, progress (-vv: debug log)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hullscan",
        description="Container-security checks for a repository before merge, "
        "reported as text, JSON or SARIF.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hullscan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    scan = sub.add_parser(
        "scan", help="run every checker that applies to the files under PATH",
        description="Find the files under each PATH (in a git work tree: the files git tracks "
        "or would track) and run every checker that applies.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument("paths", nargs="*", metavar="PATH", default=["."],
                      help="files or folders (default: .)")
    scan.add_argument(
        "--checkers", metavar="LIST", type=_checker_list, default=None,
        help="comma-separated checkers to run (default: every checker that applies; "
        f"known: {', '.join(_all_checkers())})",
    )
    add_common_options(scan)
    add_image_options(scan, with_reference=True)

    image = sub.add_parser(
        "image", help="check a container image: packages against OSV, configuration, layers",
        description="Inventory the OS packages (dpkg, apk, rpm) and language packages "
        "(Python, Node, Go, Java) of a container image without a Docker daemon, match them "
        "against OSV data, and audit the image (root user, secrets in Env, SSH, key files in "
        "any layer). REF: docker-archive:PATH (docker save output), oci:PATH[:TAG] (an OCI "
        "layout folder or tar), dir:PATH (an unpacked root filesystem), "
        "registry:NAME[:TAG|@DIGEST] (Registry API v2), docker:NAME (the local daemon), or a "
        "bare NAME[:TAG] (the daemon when one runs, else the registry).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    image.add_argument("reference", metavar="REF", help="the image")
    add_common_options(image)
    add_image_options(image, with_reference=False)
    image.set_defaults(checkers=("image",), paths=["."])

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
    baseline_write.add_argument("--checkers", metavar="LIST", type=_checker_list, default=None,
                                help="comma-separated checkers (default: all that apply)")
    baseline_write.add_argument("--config", metavar="FILE", help="configuration file")
    baseline_write.add_argument("--offline", action="store_true", default=_offline_default(),
                                help="use only the local OSV database")
    baseline_write.add_argument("--ignore-unfixed", action="store_true",
                                help="do not record advisories that have no fixed version")
    baseline_write.add_argument("-q", "--quiet", action="store_true", help=argparse.SUPPRESS)
    baseline_write.add_argument("-v", "--verbose", action="count", default=0,
                                help=argparse.SUPPRESS)

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
    db.set_defaults(checkers=None, paths=())

    _add_rules_command(sub)

    for name, (summary, description) in CHECKER_COMMANDS.items():
        command = sub.add_parser(
            name, help=summary, description=description,
            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
        add_common_options(command)
        command.set_defaults(checkers=COMMAND_CHECKERS.get(name, (name,)))
    return parser


def _add_rules_command(sub: Any) -> None:
    from hullscan.rules.registry import CHECKER_NAMES

    rules = sub.add_parser(
        "rules", help="list every rule: id, checker, default severity, description, help link",
        description="List the rules hullscan reports, without scanning: its own (HS...) and "
        "the wrapped tools' (checkov's checks, compose-lint's and bandit's rules; one row for "
        "the families a tool cannot list offline: hadolint, zizmor, semgrep, OSV advisories).",
    )
    rules.add_argument("--checker", metavar="NAME",
                       help=f"only this checker's rules (known: {', '.join(CHECKER_NAMES)})")
    rules.add_argument("--format", choices=("text", "json"), default="text",
                       help="text: one line per rule (default); json: a list of objects")
    rules.add_argument("-v", "--verbose", action="count", default=0, help=argparse.SUPPRESS)


def _all_checkers() -> list[str]:
    from hullscan.checkers import CHECKERS

    return sorted(CHECKERS)


def _checker_list(text: str) -> tuple[str, ...] | None:
    names = tuple(n.strip() for n in text.replace(" ", ",").split(",") if n.strip())
    if not names or names == ("all",):
        return None
    known = _all_checkers()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown checker {unknown[0]!r} (known: {', '.join(known)})"
        )
    return names


@_entry_point
def run_hook(
    argv: Sequence[str] | None, *, prog: str, description: str,
    checkers: Sequence[str] | None,
) -> int:
    """A pre-commit hook: the files pre-commit passes, the common options, the shared pipeline.
    `checkers=None` runs every checker that applies to each file. The file names are found by
    `split_hook_argv`: a committed file named `--fail-on=never` is a file, not an option."""
    given = list(sys.argv[1:] if argv is None else argv)
    parser = _hook_parser(argparse.ArgumentParser, prog, description)
    options, filenames = split_hook_argv(given)
    try:
        args = parser.parse_args(options)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if filenames:
        args.filenames = filenames
    if not args.filenames:
        return EXIT_CLEAN
    from hullscan.precommit import hook_id

    return execute(args, checkers=checkers, paths=args.filenames, hook=hook_id(prog))


def _hook_parser(
    cls: type[argparse.ArgumentParser], prog: str, description: str
) -> argparse.ArgumentParser:
    parser = cls(prog=prog, description=description)
    parser.add_argument("filenames", nargs="*", help="files to check (pre-commit passes them)")
    add_common_options(parser)
    return parser


class _ProbeFailed(Exception):
    pass


class _ProbeParser(argparse.ArgumentParser):
    """Tries a parse: prints nothing and never exits (a usage error, --help, raise)."""

    def error(self, message: str) -> NoReturn:
        raise _ProbeFailed(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _ProbeFailed(message or "")

    def _print_message(self, message: str, file: Any = None) -> None:
        pass


def split_hook_argv(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(options, file names) of a hook's argv. pre-commit runs `entry + args + filenames`, and
    the file names are paths that exist, so they are the tail of argv even when one starts
    with `-`: the longest tail of existing paths (`os.path.lexists`) whose head parses with
    the hooks' parser and leaves no positional argument is the file names, the head the
    options. `--fail-on high --fail-on=never` with a file `--fail-on=never`: options
    `--fail-on high`, files [`--fail-on=never`]. `--sarif out.sarif a.py` with out.sarif
    present: options `--sarif out.sarif`, files [a.py] (the longer tail would leave `--sarif`
    without its value). A `--` in the args ends the options as usual (the head may end with
    it); a file named `--` is a file like any other. When no tail fits, argv is parsed as it
    is (its usage error, --help, or its positional file names): (argv, [])."""
    probe = _hook_parser(_ProbeParser, "hullscan-hook", "")
    args = list(argv)
    first = len(args)
    while first > 0 and os.path.lexists(args[first - 1]):
        first -= 1
    for cut in range(first, len(args) + 1):  # the longest tail first
        head = args[:cut]
        try:
            parsed = probe.parse_args(head)
        except _ProbeFailed:
            # Only an option at the end of the head (its value is the next element) can be
            # mended by a longer head; any other error stays.
            if head and head[-1].startswith("-"):
                continue
            break
        if parsed.filenames:
            break  # a positional in the head stays in every longer head
        return head, args[cut:]
    return args, []


@_entry_point
def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version (0) or a usage error (2)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if args.command == "db":
        return run_db(args)
    if args.command == "baseline":
        return run_baseline(args)
    if args.command == "merge":
        return run_merge(args)
    if args.command == "rules":
        return run_rules(args)
    return execute(args, checkers=args.checkers, paths=args.paths)


def run_baseline(args: argparse.Namespace) -> int:
    """`hullscan baseline write`: scan, then write the accepted findings."""
    _configure_logging(args.verbose, args.quiet)
    try:
        from hullscan.baseline import count_by_rule, render_baseline
        from hullscan.formats.output import write_atomically
        from hullscan.pipeline import ScanRequest, run

        report = run(ScanRequest(
            paths=tuple(args.paths) or (".",), checkers=args.checkers, config_path=args.config,
            fail_on="never", offline=args.offline, ignore_unfixed=args.ignore_unfixed,
        ))
        for note in report.notifications:
            if note.level is NotificationLevel.ERROR or not args.quiet:
                print(f"hullscan: {note.level.value}: {note.one_line()}", file=sys.stderr)
        write_atomically(args.output, render_baseline(report.findings))
    except InternalError as exc:
        return _internal_error(exc, args.verbose)
    except HullscanError as exc:
        print(f"hullscan: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as exc:
        return _internal_error(exc, args.verbose)
    counts = count_by_rule(report.findings)
    total = sum(counts.values())
    if not args.quiet:
        _out(f"{args.output}: {total} finding{'s' if total != 1 else ''} accepted\n")
        _out("".join(f"  {rule}: {count}\n" for rule, count in counts.items()))
    if report.failed_checkers:
        print(f"hullscan: error: checker(s) failed: {', '.join(report.failed_checkers)}; the "
              "baseline lacks their findings", file=sys.stderr)
        return EXIT_CHECKER_FAILED
    return EXIT_CLEAN


def run_rules(args: argparse.Namespace) -> int:
    """`hullscan rules`: the rule registry, listed (checkov imported only when asked for)."""
    _configure_logging(args.verbose, False)
    try:
        from hullscan.rules import all_rules
        from hullscan.rules.render import render_json, render_text

        rules = all_rules(args.checker)
        text = render_json(rules) if args.format == "json" else render_text(rules)
    except HullscanError as exc:  # an unknown checker name (exit 2)
        print(f"hullscan: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as exc:
        return _internal_error(exc, args.verbose)
    _out(text)
    return EXIT_CLEAN


def run_merge(args: argparse.Namespace) -> int:
    """`hullscan merge`: one SARIF upload from many files."""
    _configure_logging(args.verbose, args.quiet)
    from hullscan.formats.sarif_merge import merge_files

    try:
        merged = merge_files([Path(p) for p in args.inputs], Path(args.output))
    except HullscanError as exc:
        print(f"hullscan: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as exc:
        return _internal_error(exc, args.verbose)
    for note in merged.notes:
        print(f"hullscan: warning: {note}", file=sys.stderr)
    if not args.quiet:
        _out(f"{args.output}: {merged.runs_in} run(s) from {len(args.inputs)} file(s) merged "
             f"into {merged.runs_out}, {merged.results_out} result(s)"
             + (f", {merged.dropped} dropped over the limit" if merged.dropped else "") + "\n")
    return EXIT_CLEAN


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
    _configure_logging(getattr(args, "verbose", 0), getattr(args, "quiet", False))
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
        print(f"hullscan: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if args.db_command == "import" else EXIT_CHECKER_FAILED
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as exc:
        return _internal_error(exc, getattr(args, "verbose", 0))
    finally:
        database.close()
    return EXIT_CLEAN


def execute(
    args: argparse.Namespace, checkers: Sequence[str] | None, paths: Sequence[str],
    hook: str | None = None,
) -> int:
    """Run the pipeline for parsed arguments and render it. The one error boundary."""
    _configure_logging(args.verbose, args.quiet)
    try:
        from dataclasses import replace

        from hullscan.pipeline import ScanRequest, parse_shard, run

        request = ScanRequest(
            image=_image_request(args),
            paths=tuple(paths) or (".",),
            checkers=tuple(checkers) if checkers is not None else None,
            config_path=args.config,
            fail_on=args.fail_on,
            offline=args.offline,
            ignore_unfixed=args.ignore_unfixed,
            new_only=args.new_only,
            base=args.base,
            trust_head_config=args.trust_head_config,
            baseline=args.baseline,
            shard=parse_shard(args.shard) if args.shard else None,
            hook=hook,
        )
        report = run(request)
        failed_outputs = _emit(report, args, replace(_context(request, args),
                                                     sarif_category=args.sarif_category))
    except InternalError as exc:
        return _internal_error(exc, args.verbose)
    except HullscanError as exc:
        from hullscan.formats.text import inline

        print(f"hullscan: error: {inline(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as exc:  # the one boundary: whatever failed, exit 3 in one line
        return _internal_error(exc, args.verbose)
    for failure in failed_outputs:
        _internal_error(failure, args.verbose)
    return EXIT_CHECKER_FAILED if failed_outputs else exit_code(report)


def _image_request(args: argparse.Namespace) -> ImageRequest | None:
    from hullscan.image.model import ImageRequest

    reference = getattr(args, "reference", None) or getattr(args, "image", None)
    if not reference:
        for option in ("dockerfile", "anchor", "platform"):
            if getattr(args, option, None):
                raise UsageError(f"--{option} is used with an image (--image REF)")
        return None
    dockerfile = args.dockerfile
    if dockerfile is None and args.anchor is None and Path("Dockerfile").is_file():
        dockerfile = "Dockerfile"
    writes_sarif = bool(args.sarif) or args.format == "sarif"
    if writes_sarif and dockerfile is None and args.anchor is None:
        raise UsageError(
            "image findings need a repository file to point at in SARIF: give --dockerfile "
            "PATH (the Dockerfile the image was built from) or --anchor PATH"
        )
    return ImageRequest(reference=reference, dockerfile=dockerfile, anchor=args.anchor,
                        platform=args.platform,
                        insecure_registries=tuple(args.insecure_registry))


def _context(request: ScanRequest, args: argparse.Namespace) -> RenderContext:
    """Links for the Markdown summary (GitHub's environment, when there is one) and the
    command that reproduces this run locally."""
    import json
    import shlex

    from hullscan.formats import RenderContext

    server = os.environ.get("GITHUB_SERVER_URL", "").rstrip("/")
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    revision = os.environ.get("GITHUB_SHA") or None
    event_path = os.environ.get("GITHUB_EVENT_PATH")
    if event_path:
        try:
            event = json.loads(Path(event_path).read_text("utf-8"))
            head = event.get("pull_request", {}).get("head", {}).get("sha")
            if isinstance(head, str) and head:
                revision = head  # the PR's head commit, not the merge commit checked out
        except (OSError, ValueError, AttributeError):
            pass
    subcommand = getattr(args, "command", None)  # None in a pre-commit hook
    command = ["hullscan", "scan", *request.paths]
    if request.checkers is not None and subcommand in ("scan", None):
        command += ["--checkers", ",".join(request.checkers)]
    elif subcommand is not None and subcommand != "scan":
        command[1] = subcommand
    if request.config_path:
        command += ["--config", request.config_path]
    if args.fail_on:
        command += ["--fail-on", args.fail_on]
    if request.new_only and request.base:
        command += ["--new-only", "--base", request.base]
        if request.trust_head_config:
            command.append("--trust-head-config")
    if request.baseline:
        command += ["--baseline", request.baseline]
    if request.image is not None:
        if subcommand == "image":
            command = ["hullscan", "image", request.image.reference]
        else:
            command += ["--image", request.image.reference]
        if request.image.dockerfile:
            command += ["--dockerfile", request.image.dockerfile]
        if request.image.anchor:
            command += ["--anchor", request.image.anchor]
    if request.offline:
        command.append("--offline")
    return RenderContext(
        repository_url=f"{server}/{repository}" if server and repository else None,
        revision=revision,
        reproduce=shlex.join(command),
    )


def exit_code(report: Report) -> int:
    if report.failed_checkers:
        return EXIT_CHECKER_FAILED
    if report.blocking:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _emit(
    report: Report, args: argparse.Namespace, context: RenderContext
) -> list[InternalError]:
    """Print the notifications and write every output. An output that fails with an internal
    error does not stop the others (the SARIF file is still written when the text listing
    cannot be rendered): the failures are returned, and the run exits 3."""
    from dataclasses import replace

    from hullscan.errors import stage
    from hullscan.formats import render, text
    from hullscan.formats.output import append, write_atomically

    failures: list[InternalError] = []

    def attempt(what: str, step: Callable[[], None]) -> None:
        try:
            with stage(what):
                step()
        except InternalError as exc:
            failures.append(exc)

    for note in report.notifications:
        if args.quiet and note.level is not NotificationLevel.ERROR:
            continue
        # One line each, always after "hullscan: ": in a GitHub Actions log a file name in a
        # message must not start a line (a workflow command).
        print(f"hullscan: {note.level.value}: {text.inline(note.one_line())}", file=sys.stderr)

    for entry in report.expiring_ignores:
        if not args.quiet:
            where = f"{entry.path}:{entry.line}: " if entry.path and entry.line else ""
            print(f"hullscan: warning: {text.inline(f'{where}{entry.description}')} expires on "
                  f"{entry.expires}", file=sys.stderr)

    if args.sarif:
        attempt(f"writing the SARIF file {args.sarif}",
                lambda: write_atomically(args.sarif, render("sarif", report, context)))
    if args.summary:
        attempt(f"writing the summary {args.summary}",
                lambda: append(args.summary, render("markdown", report, context)))
    if args.outputs:
        counts = {
            "findings": len(report.active), "blocking": len(report.blocking),
            "new": len(report.new), "unchanged": len(report.baselined),
            "suppressed": len(report.findings) - len(report.active),
        }
        append(args.outputs, "".join(f"{k}={v}\n" for k, v in counts.items()))

    def output() -> None:
        listing = context
        if args.format == "text":
            colour = args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
            listing = replace(context, colour=colour, show_suppressed=args.verbose > 0,
                              quiet=args.quiet)
        rendered = render(args.format, report, listing)
        if args.output:
            write_atomically(args.output, rendered)
            if args.format != "text" and not args.quiet:
                print(text.summary(report), file=sys.stderr)
        else:
            _out(rendered)

    attempt(f"the {args.format} output" + (f" {args.output}" if args.output else ""), output)
    return failures


class _LogFormatter(logging.Formatter):
    """Every line starts with "hullscan: ": a message on one line (a file name with a newline
    in it cannot start a line, in a GitHub Actions log a workflow command), each line of a
    traceback prefixed."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        from hullscan.formats.text import inline

        record.message = inline(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return "\n".join(f"hullscan: {line}"
                         for line in super().formatException(ei).splitlines())

    def formatStack(self, stack_info: str) -> str:
        return "\n".join(f"hullscan: {line}" for line in stack_info.splitlines())


def _configure_logging(verbose: int, quiet: bool) -> None:
    """Log to stderr. Progress (INFO) shows with -v, or on a terminal outside CI."""
    logger = logging.getLogger("hullscan")
    if logger.handlers:
        logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogFormatter("hullscan: %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    # internal errors' tracebacks (the pipeline logs them there): only with -v
    logging.getLogger("hullscan.traceback").setLevel(
        logging.DEBUG if verbose else logging.CRITICAL + 1)
    interactive = sys.stderr.isatty() and not os.environ.get("CI")
    if verbose >= 2:
        logger.setLevel(logging.DEBUG)
    elif verbose == 1 or (interactive and not quiet):
        logger.setLevel(logging.INFO)
    else:
        logger.setLevel(logging.WARNING)
