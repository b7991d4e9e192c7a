"""`hullscan scan`, one subcommand per checker (`hullscan dockerfile`, ...), and the pipeline
run behind them, the image subcommand and the hooks: the scan request from the options, the
outputs written."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hullscan.cli.common import (
    EPILOG,
    EXIT_CHECKER_FAILED,
    EXIT_CLEAN,
    EXIT_FINDINGS,
    internal_error,
    out,
)
from hullscan.cli.options import add_common_options, add_image_options, all_checkers, checker_list
from hullscan.core.errors import InternalError, UsageError
from hullscan.core.model import NotificationLevel, Report

if TYPE_CHECKING:
    from hullscan.formats.interface import RenderContext
    from hullscan.image.model import ImageRequest
    from hullscan.pipeline import ScanRequest


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



def register(sub: Any) -> None:
    """`hullscan scan`."""
    scan = sub.add_parser(
        "scan", help="run every checker that applies to the files under PATH",
        description="Find the files under each PATH (in a git work tree: the files git tracks "
        "or would track) and run every checker that applies.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument("paths", nargs="*", metavar="PATH", default=["."],
                      help="files or folders (default: .)")
    scan.add_argument(
        "--checkers", metavar="LIST", type=checker_list, default=None,
        help="comma-separated checkers to run (default: every checker that applies; "
        f"known: {', '.join(all_checkers())})",
    )
    add_common_options(scan)
    add_image_options(scan, with_reference=True)
    scan.set_defaults(handler=run_scan)


def register_checkers(sub: Any) -> None:
    """One subcommand per checker."""
    for name, (summary, description) in CHECKER_COMMANDS.items():
        command = sub.add_parser(
            name, help=summary, description=description,
            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
        add_common_options(command)
        command.set_defaults(checkers=COMMAND_CHECKERS.get(name, (name,)), handler=run_scan)


def run_scan(args: argparse.Namespace) -> int:
    return execute(args, checkers=args.checkers, paths=args.paths)


def execute(
    args: argparse.Namespace, checkers: Sequence[str] | None, paths: Sequence[str],
    hook: str | None = None,
) -> int:
    """Run the pipeline for parsed arguments and write every output (inside the error boundary,
    `hullscan.cli.guarded`). An output that fails is reported, and the run exits 3."""
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
    for failure in failed_outputs:
        internal_error(failure, args.verbose)
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

    from hullscan.core.errors import stage
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
            out(rendered)

    attempt(f"the {args.format} output" + (f" {args.output}" if args.output else ""), output)
    return failures
