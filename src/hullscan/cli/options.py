"""The options several subcommands and every hook share: output and policy, vulnerability data,
comparison, and the image options."""

from __future__ import annotations

import argparse
import os

from hullscan.formats import FORMATS

FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "info", "never")
FORMAT_CHOICES = tuple(FORMATS)


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


def offline_default() -> bool:
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
        default=offline_default(),
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


def all_checkers() -> list[str]:
    from hullscan.checkers import CHECKERS

    return sorted(CHECKERS)


def checker_list(text: str) -> tuple[str, ...] | None:
    names = tuple(n.strip() for n in text.replace(" ", ",").split(",") if n.strip())
    if not names or names == ("all",):
        return None
    known = all_checkers()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown checker {unknown[0]!r} (known: {', '.join(known)})"
        )
    return names
