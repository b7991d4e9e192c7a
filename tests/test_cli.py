"""The command line as a user sees it: output lines, summary, exit codes, formats."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

from conftest import EXAMPLES, PROJECT, Repo, hullscan_exe, run_subprocess

from hullscan import __version__

LINE = re.compile(
    r"^(?P<path>\S+):(?P<line>\d+):(?P<col>\d+) (?P<sev>critical|high|medium|low|info) "
    r"(?P<rule>[A-Z]+[0-9]+) (?P<msg>.+)$"
)


def finding_lines(out: str) -> list[re.Match[str]]:
    return [m for m in (LINE.match(line) for line in out.splitlines()) if m]


def test_insecure_example_reports_findings_and_exits_1(hullscan) -> None:
    run = hullscan("scan", "examples/insecure-app", cwd=PROJECT)
    assert run.code == 1, run.err
    found = {(m["path"], int(m["line"]), m["rule"], m["sev"]) for m in finding_lines(run.out)}
    path = "examples/insecure-app/Dockerfile"
    # own rules, at the line where the instruction starts
    assert (path, 2, "HS102", "high") in found  # FROM python:latest
    assert (path, 4, "HS121", "high") in found  # curl | sh
    assert (path, 7, "HS100", "high") in found  # final stage without USER
    assert (path, 8, "HS110", "high") in found  # ENV DB_PASSWORD=... (continued on line 9)
    assert (path, 12, "HS111", "high") in found  # COPY id_rsa
    assert (path, 7, "HS101", "medium") in found  # ubuntu:22.04 without digest
    # hadolint's rules, with its ids and mapped severities
    assert (path, 11, "DL3008", "medium") in found
    assert (path, 11, "DL3015", "low") in found
    # superseded hadolint duplicates are gone
    assert not any(rule in ("DL3007", "DL3064") for _, _, rule, _ in found)
    summary = run.out.strip().splitlines()[-1]
    assert summary.startswith("hullscan: ") and "high" in summary and "at or above high" in summary


def test_most_severe_first_within_a_file(hullscan) -> None:
    run = hullscan("dockerfile", "examples/insecure-app/Dockerfile", cwd=PROJECT)
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    severities = [ranks[m["sev"]] for m in finding_lines(run.out)]
    assert severities == sorted(severities, reverse=True)


def test_hardened_example_is_clean(hullscan) -> None:
    run = hullscan("scan", "examples/hardened-app", cwd=PROJECT)
    assert run.code == 0, run.out + run.err
    assert finding_lines(run.out) == []
    assert "0 findings" in run.out


def test_fail_on_threshold(hullscan) -> None:
    args = ("dockerfile", "examples/insecure-app/Dockerfile")
    assert hullscan(*args, "--fail-on", "never", cwd=PROJECT).code == 0
    assert hullscan(*args, "--fail-on", "critical", cwd=PROJECT).code == 0
    assert hullscan(*args, "--fail-on", "high", cwd=PROJECT).code == 1
    assert hullscan(*args, "--fail-on", "low", cwd=PROJECT).code == 1


def test_medium_only_file_passes_default_threshold(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", "FROM python:3.12-slim\nUSER 10001\nHEALTHCHECK NONE\n")
    run = hullscan("scan", cwd=repo.root)
    assert run.code == 0
    assert [(m["rule"], m["sev"]) for m in finding_lines(run.out)] == [("HS101", "medium")]
    assert hullscan("scan", "--fail-on", "medium", cwd=repo.root).code == 1


def test_usage_errors_exit_2(hullscan, tmp_path: Path) -> None:
    assert hullscan("scan", "--fail-on", "bogus", cwd=tmp_path).code == 2
    assert hullscan("frobnicate", cwd=tmp_path).code == 2
    missing = hullscan("scan", "no/such/path", cwd=tmp_path)
    assert missing.code == 2
    assert missing.err.strip() == "hullscan: error: no/such/path: no such file or directory"
    assert hullscan("dockerfile", cwd=tmp_path).code == 2  # needs a FILE


def test_version_and_help(hullscan, tmp_path: Path, capsys) -> None:
    run = hullscan("--version", cwd=tmp_path)
    assert run.code == 0 and run.out.strip() == f"hullscan {__version__}"
    helped = hullscan("--help", cwd=tmp_path)
    assert helped.code == 0
    for word in ("scan", "dockerfile", "exit codes"):
        assert word in helped.out


def test_json_format_is_the_model(hullscan) -> None:
    run = hullscan("dockerfile", "examples/insecure-app/Dockerfile", "--format", "json",
                   cwd=PROJECT)
    data = run.json()
    assert data["format_version"] == 1
    assert data["summary"]["blocking"] == sum(
        1
        for f in data["findings"]
        if f["severity"] in ("critical", "high") and not f["suppression"]
    )
    first = next(f for f in data["findings"] if f["rule"]["id"] == "HS121")
    assert first["location"] == {"path": "examples/insecure-app/Dockerfile", "start_line": 4,
                                 "start_column": 1, "end_line": None, "end_column": None}
    assert first["checker"] == "dockerfile" and first["severity"] == "high"
    assert re.fullmatch(r"[0-9a-f]{32}:\d+", first["fingerprint"])
    assert data["checkers"][0]["tools"][0]["name"] == "hadolint"


def test_output_and_sarif_files(hullscan, repo: Repo, check_sarif) -> None:
    shutil.copy(EXAMPLES / "insecure-app" / "Dockerfile", repo.root / "Dockerfile")
    run = hullscan("scan", "--format", "json", "-o", "out.json", "--sarif", "out.sarif",
                   cwd=repo.root)
    assert run.code == 1
    assert run.out == ""  # everything went to the files
    assert "hullscan:" in run.err  # the one-line summary
    data = json.loads((repo.root / "out.json").read_text())
    sarif = json.loads((repo.root / "out.sarif").read_text())
    check_sarif(sarif, repo.root)
    assert sum(len(r["results"]) for r in sarif["runs"]) == len(data["findings"])


def test_unwritable_output_is_a_usage_error(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", "FROM python:3.12-slim\nUSER 1\n")
    run = hullscan("scan", "-o", "missing-dir/out.txt", cwd=repo.root)
    assert run.code == 2
    assert run.err.startswith("hullscan: error: missing-dir/out.txt: cannot write")


def test_console_script_and_module_entry_points(repo: Repo) -> None:
    repo.write("Dockerfile", "FROM python\n")
    via_module = run_subprocess([*hullscan_exe(), "scan", "--format", "json"], repo.root)
    assert via_module.code == 1, via_module.err
    rules = {f["rule"]["id"] for f in json.loads(via_module.out)["findings"]}
    assert {"HS100", "HS102"} <= rules
    exe = Path(sys.executable).parent / "hullscan"
    assert exe.is_file()
    via_script = run_subprocess([str(exe), "scan", "--format", "json"], repo.root)
    assert via_script.out == via_module.out


def test_quiet_prints_findings_only(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", "FROM python\n")
    run = hullscan("scan", "-q", cwd=repo.root)
    lines = run.out.strip().splitlines()
    assert len(lines) == len(finding_lines(run.out)) >= 2
