"""Bad input gets a one-line diagnostic naming the file, never a traceback, and the other files
are still checked; a missing or crashing hadolint gives exit 3 with the own rules' findings."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from conftest import Repo

GOOD = "FROM python\n"  # HS100 + HS102 (high), HS134 (low): proof the other files were checked


def notes_and_findings(run) -> tuple[list[dict], set[str]]:
    data = run.json()
    return data["notifications"], {f["location"]["path"] for f in data["findings"]}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)), "binary file"),
        ("FROM débian\n".encode("latin-1"), "not UTF-8 text"),
        (b"FROM python\n" + b"RUN true\n" * (10 * 1024 * 1024 // 9), "over the size limit"),
        (b"", "empty file"),
        (b"   \n\n", "empty file"),
    ],
    ids=["binary", "latin-1", "10MB", "empty", "blank"],
)
def test_unusable_dockerfile_is_a_one_line_notification(hullscan, repo: Repo, content, reason):
    repo.write("bad/Dockerfile", content)
    repo.write("good/Dockerfile", GOOD)
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    assert "Traceback" not in run.err
    notes, paths = notes_and_findings(run)
    assert paths == {"good/Dockerfile"}
    # the secrets checker counts its skipped files in a note of its own
    (note,) = [n for n in notes if n["checker"] == "dockerfile"]
    assert note["path"] == "bad/Dockerfile" and reason in note["message"]
    assert run.code == 1  # the good file's findings still decide
    text = hullscan("scan", cwd=repo.root)
    line = next(x for x in text.err.splitlines() if "bad/Dockerfile" in x)
    assert line.startswith("hullscan: ") and reason in line


def test_syntax_error_is_a_finding_at_its_line(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", "FROM python:3.12\nUSER 1\nONBUILD ONBUILD\nRUN [ \"a\n")
    repo.write("good/Dockerfile", GOOD)
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    data = run.json()
    parse_errors = [f for f in data["findings"] if f["rule"]["id"] == "DL1000"]
    assert parse_errors and parse_errors[0]["location"]["path"] == "Dockerfile"
    assert parse_errors[0]["location"]["start_line"] == 3
    assert parse_errors[0]["rule"]["short_description"] == "Dockerfile could not be parsed"
    assert "good/Dockerfile" in {f["location"]["path"] for f in data["findings"]}


def test_missing_hadolint_exit_3_own_rules_still_reported(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", GOOD)
    run = hullscan("scan", cwd=repo.root, env={"HULLSCAN_HADOLINT": "/nonexistent/hadolint"})
    assert run.code == 3
    assert "HS102" in run.out and "HS100" in run.out
    errors = [x for x in run.err.splitlines() if "error" in x]
    assert len(errors) == 1 and "hadolint" in errors[0] and "/nonexistent/hadolint" in errors[0]
    assert "checker(s) failed: dockerfile" in run.out


def test_crashing_hadolint_exit_3_with_its_stderr(hullscan, repo: Repo, tmp_path: Path) -> None:
    fake = tmp_path / "hadolint"
    fake.write_text("#!/bin/sh\necho 'hadolint: out of cheese' >&2\nexit 7\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    repo.write("Dockerfile", GOOD)
    run = hullscan("scan", "--format", "json", cwd=repo.root, env={"HULLSCAN_HADOLINT": str(fake)})
    assert run.code == 3
    data = run.json()
    assert data["summary"]["failed_checkers"] == ["dockerfile"]
    (note,) = data["notifications"]
    assert note["level"] == "error"
    assert "exited with code 7: hadolint: out of cheese" in note["message"]
    assert {f["rule"]["id"] for f in data["findings"]} == {"HS100", "HS102", "HS134"}


def test_garbage_json_from_hadolint_is_a_failure(hullscan, repo: Repo, tmp_path: Path) -> None:
    fake = tmp_path / "hadolint"
    fake.write_text("#!/bin/sh\necho 'not json'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    repo.write("Dockerfile", GOOD)
    run = hullscan("scan", cwd=repo.root, env={"HULLSCAN_HADOLINT": str(fake)})
    assert run.code == 3 and "unreadable JSON output" in run.err


def test_hanging_hadolint_times_out(hullscan, repo: Repo, tmp_path: Path) -> None:
    fake = tmp_path / "hadolint"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    repo.write("Dockerfile", GOOD)
    import hullscan.core.tools as tools

    old = tools.DEFAULT_TIMEOUT
    tools.DEFAULT_TIMEOUT = 1.0
    try:
        run = hullscan("scan", cwd=repo.root, env={"HULLSCAN_HADOLINT": str(fake)})
    finally:
        tools.DEFAULT_TIMEOUT = old
    assert run.code == 3 and "timed out after 1 s" in run.err



def test_broken_symlink_is_one_warning_and_others_still_checked(hullscan, repo: Repo) -> None:
    import os

    repo.write("good/Dockerfile", GOOD)
    os.symlink("missing/Dockerfile", repo.root / "Dockerfile")
    run = hullscan("scan", "--format", "json", "--sarif", "out.sarif", cwd=repo.root)
    data = run.json()
    (note,) = [n for n in data["notifications"] if n["path"] == "Dockerfile"]
    assert note == {"checker": "discovery", "level": "warning", "path": "Dockerfile",
                    "line": None, "message": "broken symbolic link: skipped"}
    assert "good/Dockerfile" in {f["location"]["path"] for f in data["findings"]}
    assert run.code == 1
    named = hullscan("dockerfile", "Dockerfile", cwd=repo.root)
    assert "hullscan: warning: discovery: Dockerfile: broken symbolic link: skipped" in named.err
    assert "Traceback" not in run.err + named.err
