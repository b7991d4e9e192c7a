"""One pipeline for every entry point: discover -> checkers (in parallel) -> policy -> Report.

The CLI subcommands, each pre-commit hook and the Action differ only in which checkers run and
how the report is rendered.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from hullscan.checkers import CHECKERS, get_checker
from hullscan.checkers.interface import CheckContext, Checker
from hullscan.core.config import Config, find_config, load_config
from hullscan.core.errors import ConfigError, UsageError, describe_exception, stage
from hullscan.core.model import (
    BaselineState,
    CheckerResult,
    Notification,
    NotificationLevel,
    Report,
    Severity,
    SuppressionKind,
)
from hullscan.discover import Target, discover, find_root, real_path, relative
from hullscan.policy.apply import Elsewhere, apply_policy, compare, review_inline_suppressions

if TYPE_CHECKING:
    from hullscan.image.model import ImageRequest

log = logging.getLogger("hullscan")
# Tracebacks of internal errors: shown with -v (the CLI lowers its level), never otherwise.
tracebacks = logging.getLogger("hullscan.traceback")
tracebacks.setLevel(logging.CRITICAL + 1)

DISCOVERY = "discovery"
IMAGE = "image"
COMPARISON = "comparison"


@dataclass(frozen=True)
class ScanRequest:
    paths: tuple[str, ...] = (".",)
    checkers: tuple[str, ...] | None = None  # None: every checker that applies (`scan`)
    config_path: str | None = None
    fail_on: str | None = None  # overrides the configuration's fail_on
    offline: bool = False
    ignore_unfixed: bool = False
    new_only: bool = False  # compare with the merge base of `base` and HEAD
    base: str | None = None
    baseline: str | None = None  # a baseline file (hullscan baseline write)
    shard: tuple[int, int] | None = None  # (index from 1, count)
    image: ImageRequest | None = None  # an image for the image checker
    # with --new-only: apply the head's configuration instead of the base commit's (for
    # repositories that protect their policy files with CODEOWNERS)
    trust_head_config: bool = False
    # the pre-commit hook this run is (`hullscan-secrets`): findings that yield to a rule a
    # sibling hook of the repository's .pre-commit-config.yaml reports are left to it
    hook: str | None = None


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` with 1 <= I <= N."""
    index, sep, count = text.partition("/")
    if sep and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count):
        return int(index), int(count)
    raise UsageError(f"--shard {text!r}: expected I/N with 1 <= I <= N, e.g. 2/4")


def in_shard(rel: str, shard: tuple[int, int]) -> bool:
    """Deterministic: the same file lands in the same shard on every machine and run."""
    index, count = shard
    digest = hashlib.sha256(rel.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count == index - 1


def load_request_config(request: ScanRequest, root: Path) -> Config:
    if request.config_path is not None:
        path = Path(request.config_path)
        if not path.is_file():
            raise UsageError(f"{request.config_path}: configuration file not found")
        return load_config(path, request.config_path)
    found = find_config(root)
    return load_config(found, relative(found, Path.cwd()) if found else None)


def run(request: ScanRequest) -> Report:
    if request.new_only and not request.base:
        raise UsageError("--new-only needs --base REF (the branch or commit to compare with)")
    if request.base and not request.new_only:
        raise UsageError("--base needs --new-only (--new-only --base REF blocks only on "
                         "findings REF does not have)")
    if request.trust_head_config and not request.new_only:
        raise UsageError("--trust-head-config is used with --new-only --base REF")
    if request.image is not None:
        from hullscan.image.resolve import reference_problem

        problem = reference_problem(request.image.reference)
        if problem:
            raise UsageError(problem)
    with stage("finding the repository root"):
        root, in_git = find_root(request.paths)
    if request.new_only and request.base and not request.trust_head_config:
        return _run_pull_request(request, root, in_git)
    with stage("configuration"):
        config = load_request_config(request, root)
    known: set[str] = set()
    if request.baseline is not None:
        from hullscan.policy.baseline import load_baseline

        known |= load_baseline(request.baseline)
    report = _scan(request, request.paths, root, in_git, config)
    compared: list[str] = []
    if request.baseline is not None:
        compared.append(f"baseline {request.baseline}")
    notes: list[str] = []
    base_suppressed: set[str] | None = None
    if request.new_only and request.base:
        from hullscan.policy.gitbase import resolve_base, worktree

        base = resolve_base(root, request.base, in_git)
        notes.extend(base.notes)
        if base.commit is not None:
            with worktree(root, base.commit) as tree:
                base_report, base_notes = _scan_base(request, root, tree, base.label, config)
            notes.extend(base_notes)
            known |= {f.fingerprint for f in base_report.findings}
            base_suppressed = _inline_suppressed(base_report)
            compared.append(f"base commit {base.commit[:12]}")
    return _finish(report, config, known, compared, notes, base_suppressed)


def _run_pull_request(request: ScanRequest, root: Path, in_git: bool) -> Report:
    """--new-only --base REF: the policy (configuration, baseline, tool configuration files)
    comes from the merge base; what the change does to it is reported, not applied."""
    from hullscan.policy import trusted
    from hullscan.policy.gitbase import resolve_base, worktree

    assert request.base is not None
    base = resolve_base(root, request.base, in_git)
    notes = list(base.notes)
    if base.commit is None:
        # Nothing to compare with, and nothing trusted to read the policy from. Without any
        # policy file in the tree the defaults are what the base would give too; with one,
        # the results are still written but the run cannot pass.
        config = load_request_config(request, root)
        report = _scan(request, request.paths, root, in_git, config, pull_request=True)
        report = _finish(report, config, set(), [], notes, None)
        present = trusted.policy_files_present(root, request.config_path, request.baseline)
        if not present:
            return report
        return replace(report, results=(*report.results, CheckerResult(
            checker=COMPARISON, successful=False, notifications=(Notification(
                COMPARISON, NotificationLevel.ERROR,
                "the base commit is not available, so the policy files "
                f"({', '.join(present)}) could not be read from it (pull-request mode never "
                "trusts the change's own): check out with fetch-depth: 0",
            ),),
        )))
    with worktree(root, base.commit) as tree:
        policy = trusted.load(root, tree, request.config_path, request.baseline)
        config = policy.config
        report = _scan(request, request.paths, root, in_git, config,
                       pull_request=True, policy_root=tree)
        base_report, base_notes = _scan_base(request, root, tree, base.label, config)
    notes.extend(base_notes)
    notes.extend(policy.notes)
    known = set(policy.known) | {f.fingerprint for f in base_report.findings}
    compared = [f"base commit {base.commit[:12]}"]
    if request.baseline is not None:
        compared.append(f"baseline {request.baseline} (as in the base commit)")
    report = _finish(report, config, known, compared, notes, _inline_suppressed(base_report))
    if policy.weakenings:
        findings = trusted.weakening_findings(policy.weakenings, report.active)
        checked = apply_policy(
            [CheckerResult(checker=trusted.POLICY_CHECKER, findings=tuple(findings))],
            config, root, report.fail_on,
        )
        extra = tuple(
            replace(result, findings=tuple(
                replace(f, baseline_state=BaselineState.NEW) for f in result.findings
            ))
            for result in checked.results
        )
        report = replace(report, results=(*report.results, *extra))
    return report


def _inline_suppressed(report: Report) -> set[str]:
    return {f.fingerprint for f in report.findings
            if f.suppression is not None and f.suppression.kind is SuppressionKind.IN_SOURCE}


def _finish(
    report: Report, config: Config, known: set[str], compared: list[str], notes: list[str],
    base_suppressed: set[str] | None,
) -> Report:
    if compared:
        report = compare(report, known, "; ".join(compared))
    if base_suppressed is not None:
        report = review_inline_suppressions(report, base_suppressed, config.inline_ignores)
    if notes:
        report = replace(report, results=(*report.results, CheckerResult(
            checker=COMPARISON,
            notifications=tuple(
                Notification(COMPARISON, NotificationLevel.WARNING, n) for n in notes
            ),
        )))
    return report


def _scan_base(
    request: ScanRequest, root: Path, tree: Path, label: str, config: Config
) -> tuple[Report, list[str]]:
    """Scan the merge base the same way (same paths, configuration and checkers) in its
    worktree `tree`. Returns its report and notes for the user."""
    log.info("scanning the %s", label)
    notes: list[str] = []
    paths = []
    for given in request.paths:
        rel = relative(real_path(given), root)
        if rel.startswith("../"):
            raise UsageError(f"{given}: outside the repository, cannot compare with --base")
        if (tree / rel).exists():
            paths.append(str(tree / rel))
    if not paths:
        return Report(results=(), fail_on=None, root=str(tree)), notes
    # the image is the same on both sides: its findings are always judged on their own
    report = _scan(replace(request, image=None), paths, tree, True, config,
                   pull_request=not request.trust_head_config, policy_root=tree)
    for result in report.results:
        if not result.successful and result.checker != DISCOVERY:
            notes.append(f"the {result.checker} checker failed on the {label}: its "
                         "findings all count as new")
    return report, notes


def _scan(
    request: ScanRequest, paths: Sequence[str], root: Path, in_git: bool, config: Config,
    *, pull_request: bool = False, policy_root: Path | None = None,
) -> Report:
    fail_on_text = (request.fail_on or config.fail_on).strip().lower()
    fail_on = None if fail_on_text == "never" else Severity.parse(fail_on_text)
    explicit_selection = request.checkers is not None
    names = list(request.checkers) if request.checkers is not None else list(CHECKERS)
    for name in names:
        if name not in CHECKERS:
            raise UsageError(
                f"unknown checker {name!r} (known: {', '.join(sorted(CHECKERS))})"
            )
    if request.image is None:
        if explicit_selection and IMAGE in names and len(names) == 1:
            raise UsageError("the image checker needs an image: hullscan image REF, or "
                             "--image REF")
        names = [n for n in names if n != IMAGE]
    elif IMAGE not in names:
        names.append(IMAGE)
    checkers = {name: get_checker(name) for name in names if config.checker(name).enabled}
    for name in names:
        if name not in checkers:
            log.info("checker %s is disabled in %s", name, config.path)

    skipped: list[tuple[str, str]] = []
    excluded: list[str] = []
    targets: list[Target] = []
    # The image checker takes no files: `hullscan image` does not walk the current folder.
    if any(name != IMAGE for name in checkers):
        with stage("discovery"):
            targets = discover(paths, root, in_git, config.exclude, skipped, excluded)
    if request.shard is not None:
        shard = request.shard
        targets = [t for t in targets if in_shard(t.rel, shard)]
        skipped = [(rel, why) for rel, why in skipped if in_shard(rel, shard)]
        excluded = [rel for rel in excluded if in_shard(rel, shard)]
    log.debug("root %s (git: %s), %d files", root, in_git, len(targets))

    plans: list[tuple[Checker, list[Target]]] = []
    results: list[CheckerResult] = []
    for checker in checkers.values():
        try:
            files = [t for t in targets if checker.applies(t) or (
                # A file named on the command line of a one-checker command (`hullscan
                # dockerfile base.txt`) goes to that checker even when its name does not say
                # what it is.
                explicit_selection and t.explicit and len(checkers) == 1
            )]
        except Exception as exc:  # this checker fails, the others run
            results.append(_crashed(checker.name, exc))
            continue
        # Every enabled checker gets a run, even with no files: an empty run of a category
        # is what closes the code-scanning alerts of files that were fixed or deleted.
        plans.append((checker, files))

    handed: list[Notification] = []
    if request.hook is not None:
        plans = _leave_to_siblings(request.hook, plans, root, handed)
    readers = Counter(t.rel for _, files in plans for t in files)
    for target in targets:  # a file one checker reads is not kept for the others
        target.content.readers = readers[target.rel]
    context = CheckContext(
        root=root, config=config, offline=request.offline,
        ignore_unfixed=request.ignore_unfixed, image=request.image,
        pull_request=pull_request, policy_root=policy_root,
    )
    if len(plans) <= 1:
        results += [_run_checker(checker, files, context) for checker, files in plans]
    else:
        with ThreadPoolExecutor(max_workers=len(plans)) as pool:
            futures = [pool.submit(_run_checker, c, f, context) for c, f in plans]
            results += [f.result() for f in futures]
    order = list(checkers)
    results.sort(key=lambda r: order.index(r.checker) if r.checker in order else len(order))
    if skipped or excluded or handed:
        # Files no checker could be given: reported once, in a run of their own. Files the
        # configuration excludes leave a trace too (a note: the configuration asked for it),
        # and so do files a more specific pre-commit hook checks.
        notes = [Notification(DISCOVERY, NotificationLevel.WARNING, reason, rel)
                 for rel, reason in skipped]
        notes += handed
        if excluded:
            sample = ", ".join(excluded[:3]) + (", ..." if len(excluded) > 3 else "")
            notes.append(Notification(
                DISCOVERY, NotificationLevel.NOTE,
                f"{len(excluded)} file(s) not scanned: excluded by `exclude:` in "
                f"{config.path or 'the configuration'} ({sample})",
            ))
        results.append(CheckerResult(checker=DISCOVERY, notifications=tuple(notes)))
    elsewhere: list[Elsewhere] = []
    if request.hook is not None:
        with stage("sibling hooks"):
            elsewhere = _sibling_results(request.hook, results, targets, checkers, root,
                                         context)
    with stage("policy"):
        return apply_policy(results, config, root, fail_on, elsewhere=elsewhere,
                            targets=targets)


def _leave_to_siblings(
    hook: str, plans: list[tuple[Checker, list[Target]]], root: Path,
    notes: list[Notification],
) -> list[tuple[Checker, list[Target]]]:
    """A pre-commit hook's plan without the files a more specific sibling hook of the
    repository's configuration checks with the same checker (`hullscan-iac` leaves Compose
    files to `hullscan-compose`): one finding per problem across hooks. A note per checker
    says how many files were left to which hook."""
    from hullscan.policy.precommit import checked_elsewhere, sibling_hooks

    siblings = sibling_hooks(root, hook)
    if not siblings:
        return plans
    kept: list[tuple[Checker, list[Target]]] = []
    for checker, files in plans:
        mine: list[Target] = []
        left: dict[str, list[str]] = {}
        for target in files:
            other = checked_elsewhere(hook, checker.name, target.rel, siblings)
            if other is None:
                mine.append(target)
            else:
                left.setdefault(other, []).append(target.rel)
        for other, rels in sorted(left.items()):
            sample = ", ".join(rels[:3]) + (", ..." if len(rels) > 3 else "")
            notes.append(Notification(
                DISCOVERY, NotificationLevel.NOTE,
                f"{len(rels)} file(s) left to the {other} hook, which runs the {checker.name} "
                f"checker on them ({sample})",
            ))
        kept.append((checker, mine))
    return kept


def _sibling_results(
    hook: str, results: Sequence[CheckerResult], targets: Sequence[Target],
    running: dict[str, Checker], root: Path, context: CheckContext,
) -> list[Elsewhere]:
    """What the repository's other hullscan hooks will report on the files where this hook
    found something that yields to another rule (`hullscan.policy.overlaps`): their checkers
    run here on those files only, so the policy can leave each such finding to the sibling hook."""
    from hullscan.policy import overlaps
    from hullscan.policy.precommit import sibling_hooks

    yielding = overlaps.yielding()
    # the files each checker would have to report on: those of this hook's findings that
    # yield to a rule the checker reports
    concerned: dict[str, set[str]] = {}
    for result in results:
        for finding in result.findings:
            for overlap in yielding.get(finding.rule.id, ()):
                for name in overlaps.REPORTED_BY.get(overlap.yields_to, ()):
                    concerned.setdefault(name, set()).add(finding.location.path)
    if not concerned:
        return []
    out: list[Elsewhere] = []
    done: set[str] = set(running)
    for sibling in sibling_hooks(root, hook):
        names = sibling.checkers if sibling.checkers is not None else tuple(CHECKERS)
        for name in names:
            if (name in done or name not in concerned
                    or not context.config.checker(name).enabled):
                continue
            checker = get_checker(name)
            files = [t for t in targets if t.rel in concerned[name] and sibling.covers(t.rel)
                     and checker.applies(t)]
            if not files:
                continue
            done.add(name)
            log.info("%s: checking %d file(s) as the %s hook will", name, len(files),
                     sibling.hook_id)
            out.append(Elsewhere(_run_checker(checker, files, context),
                                 f"the {sibling.hook_id} hook"))
    return out


def _run_checker(checker: Checker, files: Sequence[Target], context: CheckContext) -> CheckerResult:
    log.info("%s: checking %d file(s)", checker.name, len(files))
    try:
        result = checker.check(files, context)
    except (ConfigError, UsageError):  # a setting or argument that cannot work (exit 2)
        raise
    except Exception as exc:  # the run goes on: a crashing checker becomes a notification
        result = _crashed(checker.name, exc)
    return result if result.paths is not None else replace(result, paths=_paths(result, files))


def _paths(result: CheckerResult, files: Sequence[Target]) -> tuple[str, ...]:
    """The files a checker checked, when it did not say: all it was given when its count says
    so, none when it checked none, else those it was given that no notification of its names
    (a file it skipped is named in a warning)."""
    given = tuple(dict.fromkeys(t.rel for t in files))
    if result.files_scanned == 0 or result.subject is not None:
        return ()
    if result.files_scanned == len(given):
        return given
    named = {n.path for n in result.notifications if n.path}
    return tuple(p for p in given if p not in named)


def _crashed(name: str, exc: Exception) -> CheckerResult:
    """A checker that raised: a failed run (exit 3) with one error line; the traceback only
    with -v."""
    tracebacks.error("the %s checker crashed", name, exc_info=exc)
    return CheckerResult(
        checker=name,
        successful=False,
        notifications=(
            Notification(name, NotificationLevel.ERROR,
                          f"internal error: {describe_exception(exc)}"),
        ),
    )
