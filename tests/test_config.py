""".hullscan.yaml: validation errors name file, line and key; every setting does what it says."""

from __future__ import annotations

import json

import pytest
from conftest import Repo

INSECURE = "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y curl\n"


def findings(run) -> list[dict]:
    return run.json()["findings"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fail_on: high\nchekers: {}\n", ".hullscan.yaml:2: chekers: unknown key"),
        (
            "checkers:\n  dockerfile:\n    enabeld: false\n",
            ".hullscan.yaml:3: checkers.dockerfile.enabeld: unknown key",
        ),
        ("fail_on: severe\n", ".hullscan.yaml:1: fail_on: 'severe' is not one of"),
        ("exclude: tests\n", ".hullscan.yaml:1: exclude: 'tests' is not of type 'array'"),
        (
            "ignore:\n  - rule: DL3008\n    paths: [a]\n",
            ".hullscan.yaml:2: ignore.0: 'reason' is a required property",
        ),
        (
            "ignore:\n  - rule: DL3008\n    reason: x\n    expires: tomorrow\n",
            ".hullscan.yaml:4: ignore.0.expires: expected a date YYYY-MM-DD",
        ),
        ("fail_on: [high\n", ".hullscan.yaml:2: invalid YAML"),
        ("severity:\n  DL3008: urgent\n", ".hullscan.yaml:2: severity.DL3008: 'urgent' is not"),
    ],
)
def test_bad_config_exits_2_with_file_line_key(hullscan, repo: Repo, text, expected) -> None:
    repo.write("Dockerfile", INSECURE)
    repo.write(".hullscan.yaml", text)
    run = hullscan("scan", cwd=repo.root)
    assert run.code == 2
    assert run.out == ""
    assert run.err.startswith(f"hullscan: error: {expected}"), run.err
    assert len(run.err.strip().splitlines()) == 1
    assert "Traceback" not in run.err


def test_explicit_config_path_and_missing_config(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", INSECURE)
    repo.write("ci/hullscan.yaml", "fail_on: never\n")
    assert hullscan("scan", "--config", "ci/hullscan.yaml", "--fail-on", "low",
                    cwd=repo.root).code == 1  # the flag beats the file
    assert hullscan("scan", "--config", "ci/hullscan.yaml", cwd=repo.root).code == 0
    run = hullscan("scan", "--config", "nope.yaml", cwd=repo.root)
    assert run.code == 2 and "nope.yaml: configuration file not found" in run.err


def test_config_found_at_repository_root_from_a_subfolder(hullscan, repo: Repo) -> None:
    repo.write("app/Dockerfile", "FROM python\n")
    repo.write(".hullscan.yaml", "fail_on: never\n")
    assert hullscan("scan", ".", cwd=repo.root / "app").code == 0


def test_severity_override_and_disable_rules(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", INSECURE)
    repo.write(
        ".hullscan.yaml",
        "severity:\n  HS101: critical\n"
        "checkers:\n  dockerfile:\n    disable_rules: [DL3008, HS100]\n",
    )
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    by_rule = {f["rule"]["id"]: f for f in findings(run)}
    assert by_rule["HS101"]["severity"] == "critical"
    assert by_rule["HS101"]["rule"]["default_severity"] == "critical"
    assert "DL3008" not in by_rule and "HS100" not in by_rule
    assert run.code == 1


def test_checker_disabled(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", INSECURE)
    repo.write(".hullscan.yaml", "checkers:\n  dockerfile:\n    enabled: false\n")
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    assert run.code == 0 and findings(run) == []


def test_exclude_applies_to_walked_and_explicit_files(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", "FROM python:3.12\nUSER 1\n")
    repo.write("vendor/lib/Dockerfile", "FROM python\n")
    repo.write(".hullscan.yaml", "exclude: [vendor]\n")
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    assert {f["location"]["path"] for f in findings(run)} == {"Dockerfile"}
    run = hullscan("dockerfile", "vendor/lib/Dockerfile", "--format", "json", cwd=repo.root)
    assert findings(run) == []


def test_trusted_registries(hullscan, repo: Repo) -> None:
    digest = "@sha256:" + "a" * 64
    repo.write(
        "Dockerfile",
        f"FROM quay.io/acme/base:1{digest}\nFROM ghcr.io/acme/app:2{digest}\nUSER 1\n",
    )
    repo.write(".hullscan.yaml", "trusted_registries: [ghcr.io/acme]\n")
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    hs103 = [f for f in findings(run) if f["rule"]["id"] == "HS103"]
    assert [(f["location"]["start_line"], f["severity"]) for f in hs103] == [(1, "high")]
    assert "quay.io" in hs103[0]["message"]


def test_ignore_entries_suppress_with_reason(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", INSECURE)
    repo.write("other/Dockerfile", INSECURE)
    repo.write(
        ".hullscan.yaml",
        "ignore:\n"
        "  - rule: DL3008\n    paths: ['other/**']\n    reason: vendored image, tracked in JIRA-1\n"
        "    expires: 2999-12-31\n",
    )
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    dl3008 = {f["location"]["path"]: f for f in findings(run) if f["rule"]["id"] == "DL3008"}
    assert dl3008["other/Dockerfile"]["suppression"] == {
        "kind": "external", "justification": "vendored image, tracked in JIRA-1"}
    assert dl3008["Dockerfile"]["suppression"] is None
    assert run.json()["summary"]["suppressed"] == 1


def test_ignore_by_fingerprint(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", INSECURE)
    first = hullscan("scan", "--format", "json", cwd=repo.root)
    target = next(f for f in findings(first) if f["rule"]["id"] == "HS101")
    repo.write(".hullscan.yaml",
               f"ignore:\n  - fingerprint: '{target['fingerprint']}'\n    reason: accepted\n")
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    hs101 = next(f for f in findings(run) if f["rule"]["id"] == "HS101")
    assert hs101["suppression"]["justification"] == "accepted"


def test_expired_ignore_stops_suppressing_and_is_reported(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", "FROM python\n")
    repo.write(
        ".hullscan.yaml",
        "fail_on: high\nignore:\n  - rule: HS102\n    reason: waiting for upstream\n"
        "    expires: 2020-01-31\n",
    )
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    by_rule = {f["rule"]["id"]: f for f in findings(run)}
    assert by_rule["HS102"]["suppression"] is None
    expired = by_rule["HS001"]
    assert expired["location"] == {"path": ".hullscan.yaml", "start_line": 3,
                                   "start_column": None, "end_line": None, "end_column": None}
    assert "expired on 2020-01-31" in expired["message"]
    assert run.code == 1


def test_inline_suppression_on_the_flagged_line_or_above(hullscan, repo: Repo) -> None:
    repo.write(
        "Dockerfile",
        "FROM python:3.12\n"
        "# hullscan: ignore[DL3008,DL3015] apt pinning handled by snapshot.debian.org\n"
        "RUN apt-get update && apt-get install -y curl\n"
        "USER 1\n",
    )
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    by_rule = {f["rule"]["id"]: f for f in findings(run)}
    assert by_rule["DL3008"]["suppression"]["kind"] == "inSource"
    assert by_rule["DL3015"]["suppression"]["justification"].startswith("apt pinning")
    assert by_rule["DL3009"]["suppression"] is None  # not listed
    text = hullscan("scan", cwd=repo.root)
    assert "DL3008" not in text.out and "2 suppressed" in text.out
    verbose = hullscan("scan", "-v", cwd=repo.root)
    assert "DL3008" in verbose.out and "[suppressed: apt pinning" in verbose.out


def test_max_file_size(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", INSECURE + "# padding\n" * 200)
    repo.write(".hullscan.yaml", "max_file_size: 1KB\n")
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    assert findings(run) == []
    (note,) = [n for n in run.json()["notifications"] if n["checker"] == "dockerfile"]
    assert note["path"] == "Dockerfile" and "over the size limit" in note["message"]
    assert json.dumps(note).count("\n") == 0


def test_expired_ignore_in_a_config_outside_the_repository(hullscan, repo: Repo, tmp_path) -> None:
    repo.write("Dockerfile", "FROM python\n")
    outside = tmp_path / "shared-hullscan.yaml"
    outside.write_text("ignore:\n  - rule: HS102\n    reason: old\n    expires: 2020-01-01\n")
    sarif = repo.root / "out.sarif"
    run = hullscan("scan", "--config", str(outside), "--format", "json", "--sarif", str(sarif),
                   cwd=repo.root)
    data = run.json()
    assert "HS001" not in {f["rule"]["id"] for f in data["findings"]}
    (note,) = data["notifications"]
    assert note["level"] == "warning" and "line 2: The ignore entry for HS102 expired" in note[
        "message"]
    log = json.loads(sarif.read_text())
    assert all(r["results"] == [] or r["automationDetails"]["id"] != "hullscan/policy/"
               for r in log["runs"])
