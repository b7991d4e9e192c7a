"""The policy on its own: what the configuration does to checkers' findings (disabled rules,
severity overrides, inline and configured ignores, expiry), fingerprints and comparison, and a
policy step that fails on one checker's results."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from hullscan.core.catalog import make_rule
from hullscan.core.config import CheckerConfig, Config, IgnoreEntry
from hullscan.core.model import (
    BaselineState,
    CheckerResult,
    Finding,
    Location,
    Severity,
    SuppressionKind,
)
from hullscan.policy.apply import apply_policy, compare

TODAY = dt.date(2026, 12, 4)
RULE_A = make_rule("HS100", "container-runs-as-root", "Runs as root", "full", "fix",
                   Severity.HIGH, ())
RULE_B = make_rule("HS101", "image-not-pinned-by-digest", "Not pinned", "full", "fix",
                   Severity.MEDIUM, ())


def _finding(rule=RULE_A, path: str = "Dockerfile", line: int = 1, message: str = "m") -> Finding:
    return Finding(rule=rule, checker="dockerfile", severity=rule.default_severity,
                   message=message, location=Location(path, line, 1))


def _run(root: Path, findings: list[Finding], config: Config | None = None,
         fail_on: Severity | None = Severity.HIGH):
    result = CheckerResult(checker="dockerfile", findings=tuple(findings))
    return apply_policy([result], config or Config(), root, fail_on, today=TODAY)


def test_disabled_rules_leave_a_note_and_overrides_change_severity(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\n")
    config = Config(path=".hullscan.yaml", severity={"HS100": Severity.LOW},
                    checkers={"dockerfile": CheckerConfig(disable_rules=frozenset({"HS101"}))})
    report = _run(tmp_path, [_finding(), _finding(RULE_B), _finding(RULE_B, line=2)], config)
    (result,) = report.results
    assert [(f.rule.id, f.severity, f.rule.default_severity) for f in result.findings] == [
        ("HS100", Severity.LOW, Severity.LOW)]
    (note,) = result.notifications
    assert "2 finding(s) not reported" in note.message and "HS101 (2)" in note.message
    assert not report.blocking  # low is under the high threshold


def test_inline_ignore_with_and_without_reason(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "# hullscan: ignore[HS100] runs as root on purpose: init container\nFROM a\n"
        "FROM b  # hullscan: ignore[HS100]\n\nFROM c\n")  # the line or the line above
    report = _run(tmp_path, [_finding(line=2), _finding(line=3), _finding(line=5)])
    by_line = {f.location.start_line: f for f in report.findings}
    assert by_line[2].suppression is not None
    assert by_line[2].suppression.kind is SuppressionKind.IN_SOURCE
    assert by_line[2].suppression.reasoned
    assert "init container" in by_line[2].suppression.justification
    assert by_line[3].suppression is not None and not by_line[3].suppression.reasoned
    assert by_line[5].suppression is None
    assert [f.location.start_line for f in report.blocking] == [5]


def test_configured_ignores_by_rule_path_and_expiry(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM a\n")
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "Dockerfile").write_text("FROM a\n")
    (tmp_path / ".hullscan.yaml").write_text("ignore: []\n")
    config = Config(path=str(tmp_path / ".hullscan.yaml"), ignore=(
        IgnoreEntry("legacy image, replaced in Q1", rule="HS100", paths=("legacy/**",)),
        IgnoreEntry("accepted until the base image moves", rule="HS101",
                    expires=TODAY - dt.timedelta(days=1), line=1),
    ))
    report = _run(tmp_path, [_finding(path="legacy/Dockerfile"), _finding(),
                             _finding(RULE_B)], config)
    findings = {(f.rule.id, f.location.path): f for f in report.findings}
    legacy = findings["HS100", "legacy/Dockerfile"]
    assert legacy.suppression is not None
    assert legacy.suppression.kind is SuppressionKind.EXTERNAL
    assert findings["HS100", "Dockerfile"].suppression is None
    # the expired entry suppresses nothing and is itself a finding (HS001) at its line
    assert findings["HS101", "Dockerfile"].suppression is None
    assert ("HS001", ".hullscan.yaml") in findings


def test_fingerprints_count_occurrences_and_compare_marks_new(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM a\nFROM a\n")
    first = _run(tmp_path, [_finding(line=1), _finding(line=2)])
    prints = sorted(f.fingerprint for f in first.findings)
    assert prints[0].rsplit(":", 1)[0] == prints[1].rsplit(":", 1)[0]  # same content
    assert {p.rsplit(":", 1)[1] for p in prints} == {"1", "2"}
    compared = compare(first, {prints[0]}, "base commit abc")
    states = sorted(f.baseline_state.value for f in compared.findings
                    if f.baseline_state is not None)
    assert states == [BaselineState.NEW.value, BaselineState.UNCHANGED.value]
    assert compared.compared_with == ("base commit abc",)


def test_a_policy_step_that_fails_fails_that_checker_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hullscan.policy import apply as policy

    (tmp_path / "Dockerfile").write_text("FROM a\n")
    real = policy._fingerprint

    def broken(findings, lines):  # type: ignore[no-untyped-def]
        if findings and findings[0].checker == "dockerfile":
            raise ValueError("boom")
        return real(findings, lines)

    monkeypatch.setattr(policy, "_fingerprint", broken)
    other = CheckerResult(checker="secrets", findings=(replace(_finding(), checker="secrets"),))
    report = apply_policy([CheckerResult(checker="dockerfile", findings=(_finding(),)), other],
                          Config(), tmp_path, Severity.HIGH, today=TODAY)
    dockerfile, secrets = report.results
    assert not dockerfile.successful and dockerfile.findings == ()
    assert "internal error" in dockerfile.notifications[-1].message
    assert secrets.successful and len(secrets.findings) == 1
