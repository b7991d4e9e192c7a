"""Merge SARIF 2.1.0 logs into one file that GitHub code scanning accepts in a single upload.

GitHub rejects an upload holding several runs of the same tool and category, more than 20 runs,
or more than 25,000 results in a run. `merge_files` reads every input (each validated against
the SARIF 2.1.0 JSON schema shipped in the package), merges the runs that share a tool
(`tool.driver.name`) and a category (`automationDetails.id` up to and including its last `/`),
drops duplicated results, keeps a run within 25,000 results and the file within GitHub's upload
size (`fit_for_upload`, which `hullscan scan`'s SARIF uses too: unsuppressed, new and most severe
results first), and writes the merged log atomically: on any error the output file is neither
created nor changed.

Merging runs: the rules (and notification descriptors and taxa) of the driver and of every
extension are united by id, the first description winning, and every reference to them is
recomputed (`ruleIndex`, `rule.index`, `rule.toolComponent.index`, taxa, notifications). The
run-level arrays that results point into by index (`artifacts`, `logicalLocations`,
`threadFlowLocations`, `addresses`, `webRequests`, `webResponses`) are dropped after copying what
each reference points at into the reference. The invocations become one, successful only if
all were. Other run-level fields come from the first run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hullscan.core.errors import OutputError, UsageError
from hullscan.formats import sarif_limits
from hullscan.formats.output import write_atomically
from hullscan.formats.sarif_limits import MAX_RUNS, Cut, fit_for_upload
from hullscan.formats.sarif_log import (
    DEFAULT_SCHEMA_URI,
    SARIF_VERSION,
    RunView,
    as_list,
    as_mapping,
    load_sarif,
    render,
)
from hullscan.formats.sarif_runs import Member, merge_group


@dataclass(frozen=True)
class MergeSummary:
    """What a merge did: runs read and written, results written, results dropped to stay within
    GitHub's 25,000 results per run, and notes worth a warning (duplicates dropped, results over
    the limit, merged runs that disagreed, results pointing at undescribed rules)."""

    runs_in: int
    runs_out: int
    results_out: int
    dropped: int
    notes: tuple[str, ...] = ()


def merge_files(inputs: Sequence[Path], output: Path) -> MergeSummary:
    """Merge the SARIF logs `inputs` into `output` (written atomically).

    Raises UsageError (one line, naming the file) for an input that is missing, unreadable,
    not JSON, not valid SARIF 2.1.0 or of another version; for an output that is also an input;
    and when the merged log would hold more than 20 runs. Raises OutputError when the output
    cannot be written. On any error the output file is left as it was."""
    inputs = [Path(p) for p in inputs]
    output = Path(output)
    if not inputs:
        raise UsageError("no SARIF files to merge")
    for path in inputs:
        if _same_file(path, output):
            raise UsageError(f"{output}: the output is also an input; write to another file")
    if output.is_dir():
        raise OutputError(f"{output}: cannot write: is a folder")
    logs = [load_sarif(path) for path in inputs]
    log, summary = merge_logs(logs)
    write_atomically(output, render(log))
    return summary


def merge_logs(logs: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], MergeSummary]:
    """Merge parsed, valid SARIF 2.1.0 logs (see `load_sarif`). Their objects are reused (and
    changed) in the result: pass copies to keep the originals. UsageError over 20 runs."""
    members = [Member(run) for log in logs for run in log.get("runs") or []]
    groups: dict[tuple[str, str], list[Member]] = {}
    for member in members:
        groups.setdefault(member.key, []).append(member)
    if len(groups) > MAX_RUNS:
        raise UsageError(
            f"the merged log would have {len(groups)} runs, one per tool and category "
            f"({len(groups)} categories); GitHub code scanning accepts at most {MAX_RUNS} "
            "runs per SARIF file"
        )
    notes: list[str] = []
    runs: list[dict[str, Any]] = []
    labels: list[str] = []
    for key in sorted(groups):
        group = groups[key]
        label = f"{key[0]} ({key[1] or 'no category'})"
        run = merge_group(group, label, notes) if len(group) > 1 else group[0].run
        duplicates = _drop_duplicates(run)
        if duplicates:
            notes.append(f"{label}: dropped {duplicates:,} duplicated results")
        runs.append(run)
        labels.append(label)
    first = logs[0] if logs else {}
    merged: dict[str, Any] = {
        "$schema": first.get("$schema") or DEFAULT_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": runs,
    }
    for name, value in first.items():
        if name not in merged and name != "inlineExternalProperties":
            merged[name] = value
    _text, cuts = fit_for_upload(merged, _merge_notification)
    for cut in cuts:
        notes.append(
            f"{labels[cut.run]}: kept the {cut.kept:,} most severe results, "
            f"dropped {cut.dropped:,}" + (" (GitHub's upload size limit)" if cut.for_size else "")
        )
    dropped = sum(cut.dropped for cut in cuts)
    summary = MergeSummary(
        runs_in=len(members),
        runs_out=len(runs),
        results_out=sum(len(run.get("results") or []) for run in runs),
        dropped=dropped,
        notes=tuple(notes),
    )
    return merged, summary


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.resolve() == b.resolve():
            return True
    except (OSError, RuntimeError):
        pass
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _merge_notification(cut: Cut) -> str:
    size = " and 10 MB gzip-compressed per file" if cut.for_size else ""
    return (
        f"hullscan merge: dropped {cut.dropped:,} of {cut.total:,} results: GitHub code "
        f"scanning accepts at most {sarif_limits.MAX_RESULTS_PER_RUN:,} results per run{size}; the "
        "unsuppressed, new and most severe were kept"
    )


# --- duplicates and the results limit ------------------------------------------------------


def _drop_duplicates(run: dict[str, Any]) -> int:
    """Keep the first of results that share rule, primaryLocationLineHash, file and line
    (results without that fingerprint: only exact copies). Returns how many were dropped."""
    results = run.get("results")
    if not isinstance(results, list):
        return 0
    view = RunView(run)
    artifacts = as_list(run.get("artifacts"))
    seen: set[Any] = set()
    kept: list[Any] = []
    for result in results:
        key = _identity(result, view, artifacts) if isinstance(result, Mapping) else None
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        kept.append(result)
    run["results"] = kept
    return len(results) - len(kept)


def _identity(result: Mapping[str, Any], view: RunView, artifacts: list[Any]) -> Any:
    fingerprints = result.get("partialFingerprints")
    fingerprint = (
        fingerprints.get("primaryLocationLineHash") if isinstance(fingerprints, Mapping) else None
    )
    if not isinstance(fingerprint, str):
        return json.dumps(result, sort_keys=True, ensure_ascii=False)
    ref = as_mapping(result.get("rule"))
    rule_id = result.get("ruleId", ref.get("id"))
    if rule_id is None:
        rule = view.rule_of(result)
        rule_id = rule.get("id") if rule is not None else None
    uri = base = line = None
    locations = as_list(result.get("locations"))
    physical = locations[0].get("physicalLocation") if locations and isinstance(
        locations[0], Mapping) else None
    if isinstance(physical, Mapping):
        artifact = physical.get("artifactLocation")
        if isinstance(artifact, Mapping):
            uri, base = artifact.get("uri"), artifact.get("uriBaseId")
            index = artifact.get("index")
            if uri is None and isinstance(index, int) and 0 <= index < len(artifacts):
                entry = artifacts[index]
                target = entry.get("location") if isinstance(entry, Mapping) else None
                if isinstance(target, Mapping):
                    uri, base = target.get("uri"), base or target.get("uriBaseId")
        region = physical.get("region")
        if isinstance(region, Mapping):
            line = region.get("startLine")
    return ("fingerprint", str(rule_id), fingerprint, str(base), str(uri), str(line))
