"""What blocks: --new-only against a base commit, baseline files, shards, expired ignores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Repo, git

CLEAN = "FROM python:3.12@sha256:" + "a" * 64 + "\nUSER 10001\n"
OLD = "FROM python:3.12\nRUN pip install flask\n"  # unpinned image, pip without pins
NEW_LINE = "RUN curl -s https://get.example.com/install.sh | sh\n"


@pytest.fixture
def tmpdir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A TMPDIR of its own, to check that the base worktree leaves nothing behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    return folder


def _base_repo(repo: Repo) -> None:
    repo.write("app/Dockerfile", OLD)
    repo.write("clean/Dockerfile", CLEAN)
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")


def _sarif_states(path: Path) -> dict[str, set[str]]:
    states: dict[str, set[str]] = {}
    for run in json.loads(path.read_text("utf-8"))["runs"]:
        for result in run["results"]:
            states.setdefault(result["baselineState"], set()).add(result["ruleId"])
    return states


def test_pr_adding_a_vulnerable_line_blocks_on_that_line_only(
    hullscan, repo: Repo, tmpdir_env: Path
) -> None:
    _base_repo(repo)
    repo.write("app/Dockerfile", OLD + NEW_LINE)
    repo.commit("head")
    run = hullscan("dockerfile", ".", "--new-only", "--base", "main", "--sarif", "out.sarif",
                   "--format", "json", cwd=repo.root)
    assert run.code == 1, run.err
    data = run.json()
    blocking = [f for f in data["findings"] if f["baseline_state"] == "new"
                and f["severity"] in ("high", "critical")]
    assert [(f["rule"]["id"], f["location"]["path"], f["location"]["start_line"])
            for f in blocking] == [("HS121", "app/Dockerfile", 3)]
    assert data["summary"]["blocking"] == 1
    assert data["summary"]["unchanged"] >= 2  # HS101 and DL3013 were there before
    assert data["summary"]["compared_with"][0].startswith("base commit ")
    states = _sarif_states(repo.root / "out.sarif")
    assert "HS121" in states["new"] and "HS101" in states["unchanged"]
    # the temporary worktree is gone, from disk and from git's records
    assert list(tmpdir_env.iterdir()) == []
    assert len(git(repo.root, "worktree", "list").splitlines()) == 1


def test_pr_touching_only_clean_files_passes_in_a_repository_full_of_old_findings(
    hullscan, repo: Repo
) -> None:
    _base_repo(repo)
    repo.write("clean/Dockerfile", CLEAN + "LABEL team=platform\n")
    repo.commit("head")
    full = hullscan("dockerfile", ".", "--fail-on", "medium", cwd=repo.root)
    assert full.code == 1
    new_only = hullscan("dockerfile", ".", "--fail-on", "medium", "--new-only",
                        "--base", "main", cwd=repo.root)
    assert new_only.code == 0, new_only.out + new_only.err
    assert "unchanged (not blocking)" in new_only.out
    # unchanged findings are listed with -v, marked as such
    verbose = hullscan("dockerfile", ".", "--new-only", "--base", "main", "-v", cwd=repo.root)
    assert "app/Dockerfile:1:1 medium HS101" in verbose.out
    assert "[unchanged: known before]" in verbose.out


def test_second_copy_of_a_known_problem_is_new(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", "FROM python:3.12\n" + NEW_LINE)
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("Dockerfile", "FROM python:3.12\n" + NEW_LINE + NEW_LINE)
    repo.commit("head")
    run = hullscan("dockerfile", ".", "--new-only", "--base", "main", "--format", "json",
                   cwd=repo.root)
    states = [(f["rule"]["id"], f["location"]["start_line"], f["baseline_state"])
              for f in run.json()["findings"] if f["rule"]["id"] == "HS121"]
    assert states == [("HS121", 2, "unchanged"), ("HS121", 3, "new")]
    assert run.code == 1


def test_merge_base_is_used_not_the_tip_of_the_base_branch(hullscan, repo: Repo) -> None:
    _base_repo(repo)
    repo.write("app/Dockerfile", OLD + NEW_LINE)
    repo.commit("head")
    # main moves on and gets the same line: the PR still introduced it relative to its base
    git(repo.root, "checkout", "-q", "main")
    repo.write("app/Dockerfile", OLD + NEW_LINE)
    repo.commit("main moves on")
    git(repo.root, "checkout", "-q", "feature")
    run = hullscan("dockerfile", ".", "--new-only", "--base", "main", cwd=repo.root)
    assert run.code == 1
    assert "HS121" in run.out


def test_expired_ignore_blocks_even_when_the_finding_is_old(hullscan, repo: Repo) -> None:
    config = (
        "ignore:\n"
        "  - rule: HS121\n"
        "    reason: vendor installer, reviewed\n"
        "    expires: {date}\n"
    )
    # the base commit's exception has run out by now (pull-request mode reads the
    # configuration from the base commit); the change under review touches something else
    repo.write("Dockerfile", CLEAN + NEW_LINE)
    repo.write(".hullscan.yaml", config.format(date="2020-01-01"))
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("README.md", "docs\n")
    repo.commit("unrelated")
    run = hullscan("dockerfile", ".", "--new-only", "--base", "main", "--format", "json",
                   cwd=repo.root)
    assert run.code == 1
    findings = {f["rule"]["id"]: f for f in run.json()["findings"]}
    assert findings["HS121"]["baseline_state"] == "new"
    assert findings["HS121"]["properties"]["expiredIgnore"] == "2020-01-01"
    assert findings["HS001"]["location"] == {
        "path": ".hullscan.yaml", "start_line": 2, "start_column": None, "end_line": None,
        "end_column": None,
    }


def test_ignore_expiring_soon_is_listed(hullscan, repo: Repo) -> None:
    import datetime as dt

    soon = dt.date.today() + dt.timedelta(days=5)
    later = dt.date.today() + dt.timedelta(days=60)
    repo.write(".hullscan.yaml", (
        "ignore:\n"
        f"  - rule: HS121\n    reason: vendor installer\n    expires: {soon}\n"
        f"  - rule: DL4006\n    reason: busybox shell\n    expires: {later}\n"
    ))
    repo.write("Dockerfile", CLEAN + NEW_LINE)
    repo.commit()
    run = hullscan("dockerfile", ".", "--format", "json", "--summary", "summary.md",
                   cwd=repo.root)
    assert run.code == 0
    assert run.json()["expiring_ignores"] == [{
        "ignore": "ignore entry for HS121", "expires": soon.isoformat(),
        "reason": "vendor installer", "path": ".hullscan.yaml", "line": 2,
    }]
    assert f".hullscan.yaml:2: ignore entry for HS121 expires on {soon}" in run.err
    summary = (repo.root / "summary.md").read_text("utf-8")
    assert "### Ignores expiring within 14 days" in summary
    assert f"ignore entry for HS121 expires on {soon}" in summary
    assert "DL4006" not in summary.split("### Ignores expiring")[1]


def test_base_ref_that_does_not_exist_is_exit_2(hullscan, repo: Repo) -> None:
    _base_repo(repo)
    run = hullscan("dockerfile", ".", "--new-only", "--base", "no-such-branch", cwd=repo.root)
    assert run.code == 2
    assert run.err.strip() == ("hullscan: error: --base no-such-branch: no such commit in "
                               "this repository")


@pytest.mark.parametrize(("args", "message"), [
    (("--new-only",), "--new-only needs --base REF"),
    (("--base", "main"), "--base needs --new-only"),
    (("--shard", "3/2"), "--shard '3/2': expected I/N"),
    (("--shard", "x"), "--shard 'x': expected I/N"),
])
def test_comparison_usage_errors(hullscan, repo: Repo, args: tuple[str, ...],
                                 message: str) -> None:
    _base_repo(repo)
    run = hullscan("dockerfile", ".", *args, cwd=repo.root)
    assert run.code == 2
    assert message in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_unknown_checker_is_exit_2(hullscan, repo: Repo) -> None:
    _base_repo(repo)
    run = hullscan("scan", ".", "--checkers", "dockerfile,containers", cwd=repo.root)
    assert run.code == 2
    assert "unknown checker 'containers'" in run.err


def _clone_shallow(origin: Repo, tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "feature",
        f"file://{origin.root}", str(clone))
    git(clone, "config", "user.email", "test@example.invalid")
    git(clone, "config", "user.name", "hullscan tests")
    return clone


def test_shallow_clone_fetches_the_base_commit(hullscan, repo: Repo, tmp_path: Path) -> None:
    _base_repo(repo)
    base_sha = git(repo.root, "rev-parse", "main").strip()
    repo.write("app/Dockerfile", OLD + NEW_LINE)
    repo.commit("head")
    clone = _clone_shallow(repo, tmp_path)
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    run = hullscan("dockerfile", ".", "--new-only", "--base", base_sha, "--format", "json",
                   cwd=clone)
    assert run.code == 1, run.err
    data = run.json()
    assert data["summary"]["blocking"] == 1
    assert data["summary"]["unchanged"] >= 2
    assert f"fetched base {base_sha} from origin" in run.err


def test_shallow_clone_without_the_base_falls_back_with_a_notice(
    hullscan, repo: Repo, tmp_path: Path
) -> None:
    _base_repo(repo)
    base_sha = git(repo.root, "rev-parse", "main").strip()
    repo.write("clean/Dockerfile", CLEAN + "LABEL x=y\n")
    repo.commit("head")
    clone = _clone_shallow(repo, tmp_path)
    git(clone, "remote", "remove", "origin")
    run = hullscan("dockerfile", ".", "--new-only", "--base", base_sha, "--format", "json",
                   cwd=clone)
    # nothing to compare with: every finding is new, and the verdict follows fail-on
    assert run.code == 1
    assert run.json()["summary"]["unchanged"] == 0
    assert ("is not in this shallow clone and could not be fetched: every finding counts as "
            "new") in run.err


def test_baseline_write_then_scan(hullscan, repo: Repo) -> None:
    repo.write("app/Dockerfile", OLD + NEW_LINE)
    repo.commit()
    written = hullscan("baseline", "write", cwd=repo.root)
    assert written.code == 0, written.err
    assert ".hullscan-baseline.json: " in written.out and "HS121: 1" in written.out
    baseline = (repo.root / ".hullscan-baseline.json").read_text("utf-8")
    data = json.loads(baseline)
    assert data["hullscan_baseline"] == 1
    assert data["counts"]["HS121"] == 1
    entries = data["findings"]
    assert entries == sorted(entries, key=lambda e: (e["path"], e["rule"], e["fingerprint"]))
    # one finding per line, so a review diff shows each accepted finding
    assert sum(1 for line in baseline.splitlines() if '"fingerprint"' in line) == len(entries)
    # writing again gives the same bytes
    assert hullscan("baseline", "write", cwd=repo.root).code == 0
    assert (repo.root / ".hullscan-baseline.json").read_text("utf-8") == baseline

    repo.commit("accept the baseline")
    scan = hullscan("scan", ".", "--baseline", ".hullscan-baseline.json", "--sarif", "b.sarif",
                    cwd=repo.root)
    assert scan.code == 0, scan.out
    assert set(_sarif_states(repo.root / "b.sarif")) == {"unchanged"}
    # code moves: still known; a new problem: blocks
    repo.write("app/Dockerfile", "# moved\n" + OLD + NEW_LINE + "USER root\n")
    scan = hullscan("scan", ".", "--baseline", ".hullscan-baseline.json", "--format", "json",
                    cwd=repo.root)
    assert scan.code == 1
    new = [f["rule"]["id"] for f in scan.json()["findings"] if f["baseline_state"] == "new"]
    assert "HS100" in new and "HS121" not in new


@pytest.mark.parametrize(("content", "message"), [
    (None, "baseline file not found"),
    ("{not json", "not a hullscan baseline (invalid JSON)"),
    ('{"findings": []}', 'expected "hullscan_baseline": 1'),
    ('{"hullscan_baseline": 1, "findings": [{"rule": "X"}]}', "findings[0] has no fingerprint"),
])
def test_bad_baseline_is_exit_2(hullscan, repo: Repo, content: str | None, message: str) -> None:
    repo.write("Dockerfile", OLD)
    if content is not None:
        repo.write("base.json", content)
    run = hullscan("dockerfile", "Dockerfile", "--baseline", "base.json", cwd=repo.root)
    assert run.code == 2
    assert message in run.err and "base.json" in run.err


def test_shards_split_the_files_deterministically(hullscan, repo: Repo) -> None:
    for i in range(12):
        repo.write(f"svc{i}/Dockerfile", OLD if i % 2 else OLD + NEW_LINE)
    repo.commit()
    full = hullscan("dockerfile", ".", "--format", "json", cwd=repo.root).json()
    everything = sorted(f["fingerprint"] + f["location"]["path"] for f in full["findings"])
    parts = []
    for index in (1, 2, 3):
        shard = hullscan("dockerfile", ".", "--shard", f"{index}/3", "--format", "json",
                         cwd=repo.root).json()
        again = hullscan("dockerfile", ".", "--shard", f"{index}/3", "--format", "json",
                         cwd=repo.root).json()
        assert shard["findings"] == again["findings"]
        parts.append({f["location"]["path"] for f in shard["findings"]})
    assert all(parts)  # 12 files over 3 shards: none is empty
    assert not (parts[0] & parts[1]) and not (parts[1] & parts[2]) and not (parts[0] & parts[2])
    assert set().union(*parts) == {f"svc{i}/Dockerfile" for i in range(12)}
    merged: list[str] = []
    for index in (1, 2, 3):
        shard = hullscan("dockerfile", ".", "--shard", f"{index}/3", "--format", "json",
                         cwd=repo.root).json()
        merged += [f["fingerprint"] + f["location"]["path"] for f in shard["findings"]]
    assert sorted(merged) == everything
