"""`hullscan rules`: every rule hullscan can report, without scanning."""

from __future__ import annotations

import argparse
from typing import Any

from hullscan.cli.common import EXIT_CLEAN, out


def register(sub: Any) -> None:
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
    rules.set_defaults(handler=run_rules)


def run_rules(args: argparse.Namespace) -> int:
    """`hullscan rules`: the rule registry, listed (checkov imported only when asked for). An
    unknown checker name is a UsageError (exit 2)."""
    from hullscan.rules import all_rules
    from hullscan.rules.render import render_json, render_text

    rules = all_rules(args.checker)
    out(render_json(rules) if args.format == "json" else render_text(rules))
    return EXIT_CLEAN
