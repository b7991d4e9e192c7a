"""GitHub code scanning's limits on one SARIF upload: at most 20 runs, 25,000 results per run
and 10 MB gzip-compressed. `fit_for_upload` keeps a log within them (the unsuppressed, new and
most severe results first), for `hullscan scan`'s SARIF and for `hullscan merge` alike."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hullscan.core.model import Severity
from hullscan.formats.sarif_log import RunView, as_list, render

MAX_RUNS = 20
MAX_RESULTS_PER_RUN = 25_000
# GitHub rejects an upload over 10 MB gzip-compressed; upload-sarif compresses the file as it
# re-serialises it (more compactly than `render`). Stay below with a margin.
UPLOAD_BUDGET = 9_500_000

_LEVEL_SEVERITY = {
    "error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.LOW,
    "none": Severity.INFO,
}


@dataclass(frozen=True)
class Cut:
    """Results left out of one run (`run`: its index in the log's runs) to stay within GitHub's
    limits: `dropped` of the `total` it had; `for_size` when some went to keep the file within
    the upload size budget, not only the results-per-run limit."""

    run: int
    total: int
    dropped: int
    for_size: bool = False

    @property
    def kept(self) -> int:
        return self.total - self.dropped


def fit_for_upload(
    log: dict[str, Any], describe: Callable[[Cut], str],
    render: Callable[[Mapping[str, Any]], str] = render,
) -> tuple[str, list[Cut]]:
    """Keep `log` within what GitHub code scanning accepts in one upload, in place: at most
    MAX_RESULTS_PER_RUN results per run, and the file as `render` writes it at most
    UPLOAD_BUDGET bytes gzip-compressed (GitHub: 10 MB). The results kept are the first in the
    order of `rank_results`; their order in the run stays. A run that loses results gets a
    warning notification with the text `describe` gives (`invocations[0]`, created when there
    is none; `executionSuccessful` untouched). Returns the rendered log and the cuts made."""
    runs = [run for run in as_list(log.get("runs")) if isinstance(run, dict)]
    results = [list(as_list(run.get("results"))) for run in runs]
    ranked = [rank_results(run) for run in runs]
    invocations = [run.get("invocations") for run in runs]
    limit = [min(len(r), MAX_RESULTS_PER_RUN) for r in results]

    def apply(keep: list[int]) -> tuple[str, list[Cut]]:
        cuts: list[Cut] = []
        for i, run in enumerate(runs):
            if "results" not in run and not results[i]:
                continue
            chosen = sorted(index for _key, index in ranked[i][: keep[i]])
            run["results"] = [results[i][j] for j in chosen]
            if invocations[i] is None:
                run.pop("invocations", None)
            else:
                run["invocations"] = invocations[i]
            if keep[i] < len(results[i]):
                cut = Cut(i, len(results[i]), len(results[i]) - keep[i], keep[i] < limit[i])
                _notify(run, describe(cut))
                cuts.append(cut)
        return render(log), cuts

    text, cuts = apply(limit)
    size = _compressed_size(text)
    if size <= UPLOAD_BUDGET:
        return text, cuts
    # Over the budget: drop the least important results of the whole file, across runs.
    order = sorted((key, i, position) for i, run_ranks in enumerate(ranked)
                   for position, (key, _index) in enumerate(run_ranks[: limit[i]]))
    total = len(order)
    seen: list[tuple[int, int]] = [(total, size)]
    while size > UPLOAD_BUDGET and total > 0:
        total = _next_total(seen)
        keep = [0] * len(runs)
        for _key, i, _position in order[:total]:
            keep[i] += 1
        text, cuts = apply(keep)
        size = _compressed_size(text)
        seen.append((total, size))
    return text, cuts


def rank_results(run: Mapping[str, Any]) -> list[tuple[tuple[int, int, float], int]]:
    """The run's results, the ones to keep first: unsuppressed before suppressed, then new
    (or never compared) before unchanged, updated and absent, then the most severe (see
    `_severity_score`), then in their order. Each as (sort key, index in results)."""
    results = as_list(run.get("results"))
    view = RunView(run)
    keyed = [(_priority(r, view) if isinstance(r, Mapping) else (1, 1, 0.0), i)
             for i, r in enumerate(results)]
    keyed.sort()
    return keyed


def _priority(result: Mapping[str, Any], view: RunView) -> tuple[int, int, float]:
    suppressed = any(
        isinstance(s, Mapping) and s.get("status", "accepted") == "accepted"
        for s in as_list(result.get("suppressions"))
    )
    known = result.get("baselineState") in ("unchanged", "updated", "absent")
    return (int(suppressed), int(known), -_severity_score(result, view))


def _notify(run: dict[str, Any], text: str) -> None:
    """Add a warning to the run's first invocation (copied, so the input stays as it was)."""
    invocations = run.get("invocations")
    if isinstance(invocations, list) and invocations and isinstance(invocations[0], dict):
        first = dict(invocations[0])
        invocations = [first, *invocations[1:]]
    else:
        first = {"executionSuccessful": True}
        invocations = [first]
    notifications = first.get("toolExecutionNotifications")
    first["toolExecutionNotifications"] = [
        *(notifications if isinstance(notifications, list) else []),
        {"level": "warning", "message": {"text": text}},
    ]
    run["invocations"] = invocations


def _compressed_size(text: str) -> int:
    """The size of `text` gzip-compressed as upload-sarif compresses it (zlib's default level
    6); text no longer than the budget cannot compress to more than it."""
    data = text.encode("utf-8")
    if len(data) <= UPLOAD_BUDGET:
        return len(data)
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def _next_total(seen: list[tuple[int, int]]) -> int:
    """How many results to try next, from the (results, compressed size) pairs measured so
    far: the size taken as linear in the results (through the last two measurements; through
    zero at first), aiming 2% under the budget, and always fewer than the last try."""
    total, size = seen[-1]
    target = UPLOAD_BUDGET * 0.98
    if len(seen) >= 2 and seen[-2][0] != total and seen[-2][1] > size:
        per_result = (seen[-2][1] - size) / (seen[-2][0] - total)
        guess = total - (size - target) / per_result
    else:
        guess = total * target / size
    return max(0, min(total - 1, int(guess)))


def _severity_score(result: Mapping[str, Any], view: RunView) -> float:
    """A result's severity as a security-severity score: its properties.severity, else its
    rule's security-severity, else its level."""
    properties = result.get("properties")
    if isinstance(properties, Mapping) and isinstance(properties.get("severity"), str):
        try:
            return float(Severity.parse(properties["severity"]).security_severity)
        except ValueError:
            pass
    rule = view.rule_of(result)
    rule_properties = rule.get("properties") if rule is not None else None
    if isinstance(rule_properties, Mapping):
        score = rule_properties.get("security-severity")
        if isinstance(score, str | int | float) and not isinstance(score, bool):
            try:
                return float(score)
            except ValueError:
                pass
    return _level_score(result, rule)


def _level_score(result: Mapping[str, Any], rule: Mapping[str, Any] | None) -> float:
    level = result.get("level")
    if not isinstance(level, str):
        kind = result.get("kind", "fail")
        level = "warning" if kind == "fail" else "none"
        configuration = rule.get("defaultConfiguration") if rule is not None else None
        if kind == "fail" and isinstance(configuration, Mapping):
            default = configuration.get("level")
            level = default if isinstance(default, str) else level
    severity = _LEVEL_SEVERITY.get(level, Severity.INFO)
    return float(severity.security_severity)
