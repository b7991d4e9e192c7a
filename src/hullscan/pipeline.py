"""One pipeline for every entry point: discover -> checkers (in parallel) -> policy -> Report.

The CLI subcommands, each pre-commit hook and the Action differ only in which checkers run and
how the report is rendered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from hullscan.checkers import CHECKERS, get_checker
from hullscan.checkers.interface import CheckContext, Checker
from hullscan.config import Config, find_config, load_config
from hullscan.discover import Target, discover, find_root, relative
from hullscan.errors import ConfigError, UsageError
from hullscan.model import CheckerResult, Notification, NotificationLevel, Report, Severity
from hullscan.policy import apply_policy

log = logging.getLogger("hullscan")

DISCOVERY = "discovery"


@dataclass(frozen=True)
class ScanRequest:
    paths: tuple[str, ...] = (".",)
    checkers: tuple[str, ...] | None = None  # None: every checker that applies (`scan`)
    config_path: str | None = None
    fail_on: str | None = None  # overrides the configuration's fail_on
    offline: bool = False
    ignore_unfixed: bool = False


def load_request_config(request: ScanRequest, root: Path) -> Config:
    if request.config_path is not None:
        path = Path(request.config_path)
        if not path.is_file():
            raise UsageError(f"{request.config_path}: configuration file not found")
        return load_config(path, request.config_path)
    found = find_config(root)
    return load_config(found, relative(found, Path.cwd()) if found else None)


def run(request: ScanRequest) -> Report:
    root, in_git = find_root(request.paths)
    config = load_request_config(request, root)
    fail_on_text = request.fail_on or config.fail_on
    fail_on = None if fail_on_text == "never" else Severity.parse(fail_on_text)
    skipped: list[tuple[str, str]] = []
    targets = discover(request.paths, root, in_git, config.exclude, skipped)
    log.debug("root %s (git: %s), %d files", root, in_git, len(targets))

    explicit_selection = request.checkers is not None
    names = list(request.checkers) if request.checkers is not None else list(CHECKERS)
    for name in names:
        if name not in CHECKERS:
            raise UsageError(f"unknown checker {name!r}")
    checkers = {name: get_checker(name) for name in names if config.checker(name).enabled}
    for name in names:
        if name not in checkers:
            log.info("checker %s is disabled in %s", name, config.path)
    plans: list[tuple[Checker, list[Target]]] = []
    for checker in checkers.values():
        files = [t for t in targets if checker.applies(t) or (
            # A file named on the command line of a one-checker command (`hullscan dockerfile
            # base.txt`) goes to that checker even when its name does not say what it is.
            explicit_selection and t.explicit and len(checkers) == 1
        )]
        # Every enabled checker gets a run, even with no files: an empty run of a category
        # is what closes the code-scanning alerts of files that were fixed or deleted.
        plans.append((checker, files))

    context = CheckContext(
        root=root, config=config, offline=request.offline,
        ignore_unfixed=request.ignore_unfixed,
    )
    if len(plans) <= 1:
        results = [_run_checker(checker, files, context) for checker, files in plans]
    else:
        with ThreadPoolExecutor(max_workers=len(plans)) as pool:
            futures = [pool.submit(_run_checker, c, f, context) for c, f in plans]
            results = [f.result() for f in futures]
    if skipped:
        # Files no checker could be given: reported once, in a run of their own.
        results.append(CheckerResult(
            checker=DISCOVERY,
            notifications=tuple(
                Notification(DISCOVERY, NotificationLevel.WARNING, reason, rel)
                for rel, reason in skipped
            ),
        ))
    return apply_policy(results, config, root, fail_on)


def _run_checker(checker: Checker, files: Sequence[Target], context: CheckContext) -> CheckerResult:
    log.info("%s: checking %d file(s)", checker.name, len(files))
    try:
        return checker.check(files, context)
    except ConfigError:  # a checker setting that cannot work (exit 2), not a crash
        raise
    except Exception as exc:  # the run goes on: a crashing checker becomes a notification
        log.debug("checker %s crashed", checker.name, exc_info=True)
        return CheckerResult(
            checker=checker.name,
            successful=False,
            notifications=(
                Notification(
                    checker.name,
                    NotificationLevel.ERROR,
                    f"internal error: {type(exc).__name__}: {exc}",
                ),
            ),
        )
