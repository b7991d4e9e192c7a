"""SARIF GitHub accepts whatever the number of findings: `scan` keeps each run within 25,000
results and the file within the upload size budget (the same code as `hullscan merge`), says
what it left out, and keeps every finding in the other formats and the exit code; the SARIF
category prefix (--sarif-category)."""

from __future__ import annotations

import gzip
import json
import random
import string
from pathlib import Path

import pytest
from conftest import Repo

from hullscan.core.model import (
    BaselineState,
    CheckerResult,
    Finding,
    Location,
    Report,
    Rule,
    Severity,
    Suppression,
    SuppressionKind,
)
from hullscan.formats import RenderContext, sarif, sarif_limits

HIGH_SECRETS = 600
SUPPRESSED_SECRETS = 50
LABELS = 25_600
REASON = "a fixture value, not a credential"


def big_dockerfile() -> str:
    """Each ENV line is one HS110 (high), each LABEL line one hadolint DL3048 (style: info),
    and hadolint reads both kinds quickly; a reasoned inline ignore suppresses some HS110."""
    lines = ["FROM python:3.12@sha256:" + "a" * 64, "USER 10001", "HEALTHCHECK NONE"]
    for i in range(HIGH_SECRETS + SUPPRESSED_SECRETS):
        if i >= HIGH_SECRETS:
            lines.append(f"# hullscan: ignore[HS110] {REASON}")
        lines.append(f"ENV K{i}_PASSWORD=Zq9vX{i}tLm2Rw")
    lines += [f"LABEL Bad_Key{i}=x" for i in range(LABELS)]
    return "\n".join(lines) + "\n"


def test_scan_keeps_each_run_within_25000_results(hullscan, repo: Repo) -> None:
    """26,250 real findings through `scan`: the SARIF (validated against the schema and
    GitHub's rules by the hullscan fixture) holds 25,000, the unsuppressed most severe first;
    the JSON output and the exit code keep them all."""
    repo.write("Dockerfile", big_dockerfile())
    run = hullscan("scan", "--checkers", "dockerfile", "--format", "json", "-o", "all.json",
                   "--sarif", "out.sarif", cwd=repo.root)
    assert run.code == 1  # the high findings block
    everything = json.loads((repo.root / "all.json").read_text("utf-8"))["findings"]
    total = HIGH_SECRETS + SUPPRESSED_SECRETS + LABELS
    assert len(everything) == total

    log = json.loads((repo.root / "out.sarif").read_text("utf-8"))
    (dockerfile,) = log["runs"]
    results = dockerfile["results"]
    assert len(results) == sarif_limits.MAX_RESULTS_PER_RUN
    by_rule: dict[str, list[dict]] = {}
    for result in results:
        by_rule.setdefault(result["ruleId"], []).append(result)
    # every unsuppressed high finding is kept; the suppressed ones count toward the limit and
    # go first, then the least severe
    assert len(by_rule["HS110"]) == HIGH_SECRETS
    assert not any("suppressions" in r for r in results)
    assert len(by_rule["DL3048"]) == sarif_limits.MAX_RESULTS_PER_RUN - HIGH_SECRETS
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results]
    assert lines == sorted(lines)  # in their order
    invocation = dockerfile["invocations"][0]
    assert invocation["executionSuccessful"] is True
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "warning"
    text = note["message"]["text"]
    left_out = total - sarif_limits.MAX_RESULTS_PER_RUN
    assert f"left {left_out:,} of {total:,} results out of this run" in text
    assert "at most 25,000 results per run" in text
    assert "The full list is in hullscan's JSON and text output" in text
    assert f"holds 25,000 of the {total:,} results of the dockerfile checker" in run.err


# --- the same limits at the format level, with findings built in memory ----------------------


def _rule(rule_id: str, severity: Severity) -> Rule:
    return Rule(rule_id, rule_id.lower(), f"{rule_id} short", f"{rule_id} full", "help",
                severity)


def _finding(checker: str, rule: Rule, line: int, message: str = "m", *,
             suppressed: bool = False, state: BaselineState | None = None) -> Finding:
    suppression = (Suppression(SuppressionKind.IN_SOURCE, "reviewed") if suppressed
                   else None)
    return Finding(rule, checker, rule.default_severity, message, Location("Dockerfile", line),
                   fingerprint=f"{rule.id}-{line}", suppression=suppression,
                   baseline_state=state)


def _report(*results: CheckerResult) -> Report:
    return Report(results=results, fail_on=Severity.HIGH, root=".")


def _kept(run: dict) -> list[str]:
    return [r["partialFingerprints"]["primaryLocationLineHash"] for r in run["results"]]


def test_unsuppressed_new_and_severe_are_kept_first(monkeypatch: pytest.MonkeyPatch,
                                                    check_sarif, tmp_path: Path) -> None:
    monkeypatch.setattr(sarif_limits, "MAX_RESULTS_PER_RUN", 4)
    high, low = _rule("HS100", Severity.HIGH), _rule("HS112", Severity.LOW)
    crit = _rule("HS201", Severity.CRITICAL)
    findings = (
        _finding("dockerfile", crit, 1, suppressed=True, state=BaselineState.NEW),
        _finding("dockerfile", low, 2, state=BaselineState.NEW),
        _finding("dockerfile", high, 3, state=BaselineState.UNCHANGED),
        _finding("dockerfile", high, 4, state=BaselineState.NEW),
        _finding("dockerfile", low, 5, state=BaselineState.UNCHANGED),
        _finding("dockerfile", crit, 6, state=BaselineState.NEW),
    )
    report = _report(CheckerResult("dockerfile", findings))
    log = json.loads(sarif.render(report))
    (tmp_path / "Dockerfile").write_text("x\n" * 6)
    check_sarif(log, tmp_path)
    (run,) = log["runs"]
    # new before unchanged, unsuppressed before suppressed: the suppressed critical goes first
    assert _kept(run) == ["HS112-2", "HS100-3", "HS100-4", "HS201-6"]
    note = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert "left 2 of 6 results out of this run" in note
    assert "at most 4 results per run" in note and "10 MB" not in note


def test_the_file_stays_under_the_compressed_size_budget(monkeypatch: pytest.MonkeyPatch,
                                                         check_sarif, tmp_path: Path) -> None:
    """Over the budget, the least severe results of the whole file go (here the compose run's
    low ones before the dockerfile run's high ones), until it fits."""
    budget = 40_000
    monkeypatch.setattr(sarif_limits, "UPLOAD_BUDGET", budget)
    rng = random.Random(7)

    def noise() -> str:  # incompressible messages, so the size grows with the results
        return "".join(rng.choice(string.ascii_letters) for _ in range(200))

    high, low = _rule("HS100", Severity.HIGH), _rule("HS145", Severity.LOW)
    dockerfile = CheckerResult("dockerfile", tuple(
        _finding("dockerfile", high, i + 1, noise()) for i in range(100)))
    compose = CheckerResult("compose", tuple(
        _finding("compose", low, i + 1, noise()) for i in range(400)))
    report = _report(dockerfile, compose)
    assert sarif.to_sarif(report, "x")["runs"][1]["automationDetails"]["id"] == "x/compose/"
    text = sarif.render(report)
    assert len(gzip.compress(text.encode(), compresslevel=6)) <= budget
    log = json.loads(text)
    (tmp_path / "Dockerfile").write_text("x\n" * 400)
    check_sarif(log, tmp_path)
    docker_run, compose_run = log["runs"]
    assert len(docker_run["results"]) == 100  # the high ones all fit
    assert "invocations" in docker_run and "toolExecutionNotifications" not in (
        docker_run["invocations"][0])
    kept = len(compose_run["results"])
    assert 0 < kept < 400
    assert _kept(compose_run) == [f"HS145-{i + 1}" for i in range(kept)]  # the first ones
    note = compose_run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert f"left {400 - kept:,} of 400 results out of this run" in note
    assert "and 10 MB gzip-compressed per file" in note


def test_sarif_category_prefixes_every_run(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", "FROM debian:12\nUSER 1\n")
    run = hullscan("scan", "--checkers", "dockerfile,compose", "--sarif-category", "frontend",
                   "--format", "sarif", "-q", cwd=repo.root)
    assert [r["automationDetails"]["id"] for r in run.json()["runs"]] == [
        "frontend/dockerfile/", "frontend/compose/"]
    nested = hullscan("scan", "--checkers", "dockerfile", "--sarif-category", "web/app",
                      "--sarif", "out.sarif", "-q", cwd=repo.root)
    assert nested.code == 0
    log = json.loads((repo.root / "out.sarif").read_text("utf-8"))
    assert log["runs"][0]["automationDetails"]["id"] == "web/app/dockerfile/"
    default = json.loads(sarif.render(_report(CheckerResult("dockerfile")), RenderContext()))
    assert default["runs"][0]["automationDetails"]["id"] == "hullscan/dockerfile/"


@pytest.mark.parametrize(("category", "message"), [
    ("", "must not be empty"),
    ("front end", "must not contain spaces"),
    ("front\tend", "must not contain spaces"),
    ("frontend/", "must not end with '/'"),
])
def test_bad_sarif_category_is_a_usage_error(hullscan, repo: Repo, category: str,
                                             message: str) -> None:
    repo.write("Dockerfile", "FROM debian:12\nUSER 1\n")
    run = hullscan("scan", "--sarif-category", category, "--sarif", "out.sarif", cwd=repo.root)
    assert run.code == 2
    assert "--sarif-category" in run.err and message in run.err
    assert not (repo.root / "out.sarif").exists()


def test_one_run_per_checker_is_within_githubs_20_runs() -> None:
    from hullscan.checkers import CHECKERS

    assert len(CHECKERS) <= sarif_limits.MAX_RUNS
