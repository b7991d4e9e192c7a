"""SARIF as GitHub code scanning ingests it: schema-valid, one category per checker, stable
content fingerprints, deterministic bytes, suppressions kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import EXAMPLES, PROJECT, Repo

from hullscan.checkers import CHECKERS


def sarif_of(hullscan, cwd: Path, *args: str) -> dict:
    out = cwd / "hullscan-test.sarif"
    hullscan("scan", *args, "--sarif", str(out), "-q", cwd=cwd)
    data = json.loads(out.read_text("utf-8"))
    out.unlink()
    return data


def results_by_rule(log: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for run in log["runs"]:
        for result in run["results"]:
            out.setdefault(result["ruleId"], []).append(result)
    return out


def test_examples_sarif_is_valid_for_github(hullscan, check_sarif) -> None:
    log = sarif_of(hullscan, PROJECT, "examples")
    check_sarif(log, PROJECT)
    run = log["runs"][0]
    assert run["automationDetails"]["id"] == "hullscan/dockerfile/"
    assert run["tool"]["driver"]["name"] == "hullscan"
    assert run["tool"]["driver"]["version"]
    assert run["tool"]["extensions"][0]["name"] == "hadolint"
    assert run["invocations"][0]["executionSuccessful"] is True
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["HS100"]["properties"]["security-severity"] == "8.0"
    assert rules["HS101"]["properties"]["security-severity"] == "5.5"
    assert rules["DL3008"]["helpUri"] == "https://github.com/hadolint/hadolint/wiki/DL3008"
    by_rule = results_by_rule(log)
    assert by_rule["HS121"][0]["level"] == "error"
    assert by_rule["HS101"][0]["level"] == "warning"
    assert by_rule["DL3015"][0]["level"] == "note"
    region = by_rule["HS121"][0]["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == "examples/insecure-app/Dockerfile"
    assert region["region"]["startLine"] == 4


def test_two_runs_are_byte_identical(hullscan, tmp_path: Path) -> None:
    a, b = tmp_path / "a.sarif", tmp_path / "b.sarif"
    hullscan("scan", "examples", "--sarif", str(a), "-q", cwd=PROJECT)
    hullscan("scan", "examples", "--sarif", str(b), "-q", cwd=PROJECT)
    assert a.read_bytes() == b.read_bytes()


def test_fingerprints_survive_code_moving(hullscan, repo: Repo) -> None:
    original = (EXAMPLES / "insecure-app" / "Dockerfile").read_text()
    repo.write("Dockerfile", original)
    before = {
        (r["ruleId"], r["partialFingerprints"]["primaryLocationLineHash"]): r
        for rs in results_by_rule(sarif_of(hullscan, repo.root)).values() for r in rs
    }
    repo.write("Dockerfile", "# a new comment\n\n\n" + original.replace("\nRUN", "\n  RUN"))
    after = {
        (r["ruleId"], r["partialFingerprints"]["primaryLocationLineHash"]): r
        for rs in results_by_rule(sarif_of(hullscan, repo.root)).values() for r in rs
    }
    assert before.keys() == after.keys()
    moved = next(iter(after.values()))["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert moved > 3


def test_identical_lines_get_distinct_fingerprints(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", "FROM debian:12\nRUN sudo true\nRUN sudo true\nUSER 1\n")
    sudo = results_by_rule(sarif_of(hullscan, repo.root))["HS131"]
    prints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in sudo]
    assert len(prints) == 2 and prints[0] != prints[1]
    assert prints[0].split(":")[0] == prints[1].split(":")[0]


def test_suppressed_findings_stay_with_justification(hullscan, repo: Repo, check_sarif) -> None:
    repo.write(
        "Dockerfile",
        "# hullscan: ignore[HS101] base image pinned by the platform team's mirror\n"
        "FROM python:3.12-slim\nUSER 1\n",
    )
    log = sarif_of(hullscan, repo.root)
    check_sarif(log, repo.root)
    (result,) = results_by_rule(log)["HS101"]
    assert result["suppressions"] == [{
        "kind": "inSource",
        "status": "accepted",
        "justification": "base image pinned by the platform team's mirror",
    }]


def test_missing_hadolint_is_recorded_in_invocation(hullscan, repo: Repo, check_sarif) -> None:
    shutil.copy(EXAMPLES / "insecure-app" / "Dockerfile", repo.root / "Dockerfile")
    out = repo.root / "x.sarif"
    run = hullscan("scan", "--sarif", str(out), cwd=repo.root,
                   env={"HULLSCAN_HADOLINT": str(repo.root / "no-hadolint")})
    assert run.code == 3
    log = json.loads(out.read_text())
    out.unlink()
    check_sarif(log, repo.root)
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    note = invocation["toolExecutionNotifications"][0]
    assert note["level"] == "error" and "hadolint" in note["message"]["text"]
    rules = set(results_by_rule(log))
    assert "HS100" in rules and not any(r.startswith("DL") for r in rules)


def test_cwe_in_rule_tags_and_result_properties(hullscan) -> None:
    log = sarif_of(hullscan, PROJECT, "examples/insecure-app")
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert "external/cwe/cwe-250" in rules["HS100"]["properties"]["tags"]
    assert rules["HS100"]["properties"]["cwe"] == ["CWE-250"]
    (result,) = results_by_rule(log)["HS100"]
    assert result["properties"]["cwe"] == ["CWE-250"]


def test_every_enabled_checker_has_a_run_even_without_files(hullscan, repo: Repo) -> None:
    repo.write("README.md", "# nothing to check\n")
    log = sarif_of(hullscan, repo.root)
    # the image checker runs (and closes its alerts) only when an image is named
    assert [r["automationDetails"]["id"] for r in log["runs"]] == [
        f"hullscan/{name}/" for name in CHECKERS if name != "image"
    ]
    for run in log["runs"]:
        assert run["results"] == []
        assert run["invocations"][0]["executionSuccessful"] is True
