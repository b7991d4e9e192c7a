"""Pull-request mode: the change under review cannot switch the check off.

Each test builds a base commit and a pull request in a temporary git repository and scans it
the way the Action does on a pull request (`--new-only --base main`). Every bypass below made a
blocking pull request pass before the policy was read from the base commit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Repo, git

# a Dockerfile line that blocks (HS121: curl piped to a shell, high)
CLEAN = "FROM python:3.12@sha256:" + "a" * 64 + "\nUSER 10001\n"
BAD_LINE = "RUN curl -s https://get.example.com/install.sh | sh\n"


@pytest.fixture
def pr(repo: Repo) -> Repo:
    """main: a clean Dockerfile; branch feature: adds a blocking line to it."""
    repo.write("Dockerfile", CLEAN)
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("Dockerfile", CLEAN + BAD_LINE)
    return repo


def _scan(hullscan, repo: Repo, *extra: str):
    return hullscan("scan", ".", "--checkers", "dockerfile,code", "--new-only", "--base",
                    "main", "--format", "json", "--sarif", "out.sarif", *extra, cwd=repo.root)


def _rules(run) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for finding in run.json()["findings"]:
        found.setdefault(finding["rule"]["id"], []).append(finding)
    return found


_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


def _blocks(finding: dict, threshold: str = "high") -> bool:
    return (finding["suppression"] is None and finding["baseline_state"] != "unchanged"
            and _RANK[finding["severity"]] >= _RANK[threshold])


def _blocking(run, threshold: str = "high") -> set[str]:
    return {f["rule"]["id"] for f in run.json()["findings"] if _blocks(f, threshold)}


@pytest.mark.parametrize(("config", "line", "what"), [
    ('ignore:\n  - rule: "*"\n    reason: trust me\n', 2, "ignores every rule everywhere"),
    ('ignore:\n  - rule: HS121\n    paths: [Dockerfile]\n    reason: later\n', 2,
     "ignores rule HS121 in Dockerfile"),
    ("checkers:\n  dockerfile:\n    disable_rules: [HS121]\n", 3,
     "disables rule(s) HS121 of the dockerfile checker"),
    ("checkers:\n  dockerfile:\n    enabled: false\n", 3, "disables the dockerfile checker"),
    ('exclude: ["**"]\n', 1, "excludes '**' from every checker"),
    ("severity:\n  HS121: low\n", 2, "lowers the severity of HS121 to low"),
    ("fail_on: never\n", 1, "sets fail_on to never"),
    ("max_file_size: 1\n", 1, "lowers max_file_size"),
])
def test_config_added_by_the_pr_is_not_applied_and_is_reported(
    hullscan, pr: Repo, config: str, line: int, what: str
) -> None:
    pr.write(".hullscan.yaml", config)
    pr.commit("pr")
    run = _scan(hullscan, pr)
    assert run.code == 1, run.err
    found = _rules(run)
    # the finding the configuration tried to hide still blocks
    assert "HS121" in _blocking(run)
    # and the change to the policy is a blocking finding of its own, on the changed line
    [weakened] = [f for f in found["HS002"] if what in f["message"]]
    assert weakened["location"]["path"] == ".hullscan.yaml"
    assert weakened["location"]["start_line"] == line
    assert weakened["severity"] == "high"
    assert _blocks(weakened)
    assert "not applied in pull-request mode" in weakened["message"]
    sarif = json.loads((pr.root / "out.sarif").read_text("utf-8"))
    hs002 = [r for run_ in sarif["runs"] for r in run_["results"] if r["ruleId"] == "HS002"]
    assert hs002 and all(r["baselineState"] == "new" for r in hs002)


def test_what_a_weakening_would_hide_is_listed_in_the_summary(hullscan, pr: Repo) -> None:
    pr.write(".hullscan.yaml", 'ignore:\n  - rule: "*"\n    paths: [Dockerfile]\n'
             "    reason: trust me\n")
    pr.commit("pr")
    run = hullscan("scan", ".", "--checkers", "dockerfile", "--new-only", "--base", "main",
                   "--summary", "summary.md", cwd=pr.root)
    assert run.code == 1
    summary = (pr.root / "summary.md").read_text("utf-8")
    assert "### Changes to the check (not applied in pull-request mode)" in summary
    section = summary.split("### Changes to the check")[1].split("###")[0]
    assert "ignores every rule in Dockerfile" in section
    assert "would have hidden:" in section and "HS121 Dockerfile" in section


def test_a_weakened_base_config_is_still_applied(hullscan, repo: Repo) -> None:
    """The base commit's own exceptions are the policy: they keep working."""
    repo.write("Dockerfile", CLEAN)
    repo.write(".hullscan.yaml", "ignore:\n  - rule: HS121\n    reason: vendor installer\n")
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("Dockerfile", CLEAN + BAD_LINE)
    repo.commit("pr")
    run = _scan(hullscan, repo)
    assert run.code == 0, run.out
    assert "HS002" not in _rules(run)


def test_a_pr_that_edits_the_config_without_weakening_gets_a_note(hullscan, pr: Repo) -> None:
    pr.write(".hullscan.yaml", "fail_on: medium\n")  # stricter: fine, takes effect on merge
    pr.commit("pr")
    run = _scan(hullscan, pr)
    assert run.code == 1
    assert "HS002" not in _rules(run)
    assert ".hullscan.yaml is new in this change" in run.err


def test_trust_head_config_opts_out(hullscan, pr: Repo) -> None:
    pr.write(".hullscan.yaml", "checkers:\n  dockerfile:\n    disable_rules: [HS121]\n")
    pr.commit("pr")
    run = _scan(hullscan, pr, "--trust-head-config")
    assert run.code == 0
    assert "HS002" not in _rules(run)


def test_config_named_with_config_inside_the_repo_comes_from_the_base(
    hullscan, repo: Repo
) -> None:
    repo.write("Dockerfile", CLEAN)
    repo.write("ci/hullscan.yaml", "fail_on: high\n")
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("Dockerfile", CLEAN + BAD_LINE)
    repo.write("ci/hullscan.yaml", "fail_on: never\n")
    repo.commit("pr")
    run = _scan(hullscan, repo, "--config", "ci/hullscan.yaml")
    assert run.code == 1
    [weakened] = _rules(run)["HS002"]
    assert weakened["location"] == {"path": "ci/hullscan.yaml", "start_line": 1,
                                    "start_column": None, "end_line": None,
                                    "end_column": None}


def test_baseline_edited_by_the_pr_is_not_applied(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", CLEAN)
    repo.commit("base")
    assert hullscan("baseline", "write", ".", cwd=repo.root).code == 0
    repo.commit("empty baseline")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("Dockerfile", CLEAN + BAD_LINE)
    # the PR accepts its own new finding in the baseline
    assert hullscan("baseline", "write", ".", cwd=repo.root).code == 0
    repo.commit("pr")
    run = _scan(hullscan, repo, "--baseline", ".hullscan-baseline.json")
    assert run.code == 1
    assert "HS121" in _blocking(run)
    [weakened] = _rules(run)["HS002"]
    assert weakened["location"]["path"] == ".hullscan-baseline.json"
    assert "accepts 2 more finding(s) in the baseline" in weakened["message"]
    assert "it would hide 2 finding(s)" in weakened["message"]


def test_hadolint_config_added_by_the_pr_is_not_applied(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", CLEAN)
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("Dockerfile", CLEAN + "RUN apt-get install -y curl\n")
    repo.write(".hadolint.yaml", "ignored:\n  - DL3008\n  - DL3015\n")
    repo.commit("pr")
    run = _scan(hullscan, repo, "--fail-on", "medium")
    assert run.code == 1
    found = _rules(run)
    assert "DL3008" in found  # hadolint did not read the PR's .hadolint.yaml
    [weakened] = found["HS002"]
    assert weakened["location"]["path"] == ".hadolint.yaml"
    assert weakened["location"]["start_line"] == 2
    assert "makes hadolint ignore DL3008, DL3015" in weakened["message"]
    # outside pull-request mode the repository's hadolint settings apply as before
    plain = hullscan("dockerfile", "Dockerfile", "--format", "json", cwd=repo.root)
    assert "DL3008" not in {f["rule"]["id"] for f in plain.json()["findings"]}


def test_base_hadolint_config_still_applies(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", CLEAN)
    repo.write(".hadolint.yaml", "ignored: [DL3008]\n")
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("Dockerfile", CLEAN + "RUN apt-get install -y --no-install-recommends curl\n")
    repo.commit("pr")
    run = _scan(hullscan, repo, "--fail-on", "medium")
    assert "DL3008" not in _rules(run)
    assert run.code == 0, run.out


@pytest.mark.parametrize(("comment", "blocks", "reason"), [
    ("# hullscan: ignore[HS121]\n", True, None),
    ("# hullscan: ignore[HS121] the installer is pinned by checksum upstream\n", False,
     "the installer is pinned by checksum upstream"),
])
def test_inline_ignore_added_by_the_pr(
    hullscan, pr: Repo, comment: str, blocks: bool, reason: str | None
) -> None:
    pr.write("Dockerfile", CLEAN + comment + BAD_LINE)
    pr.commit("pr")
    run = _scan(hullscan, pr)
    assert run.code == (1 if blocks else 0), run.out
    [finding] = _rules(run)["HS121"]
    assert finding["baseline_state"] == "new"
    if blocks:
        assert finding["suppression"] is None
        assert "gives no reason" in finding["message"]
    else:
        assert finding["suppression"]["justification"] == reason
    sarif = json.loads((pr.root / "out.sarif").read_text("utf-8"))
    [result] = [r for run_ in sarif["runs"] for r in run_["results"] if r["ruleId"] == "HS121"]
    assert result["baselineState"] == "new"
    assert ("suppressions" in result) is not blocks


def test_inline_ignores_block_makes_every_new_suppression_block(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", CLEAN)
    repo.write(".hullscan.yaml", "inline_ignores: block\n")
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("Dockerfile", CLEAN + "# hullscan: ignore[HS121] reviewed\n" + BAD_LINE)
    repo.commit("pr")
    run = _scan(hullscan, repo, "--summary", "summary.md")
    assert run.code == 1
    summary = (repo.root / "summary.md").read_text("utf-8")
    assert "### Inline suppressions this change adds" in summary
    assert "need a review" in summary.split("### Inline suppressions")[1]


def test_existing_inline_ignore_keeps_working(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", CLEAN + "# hullscan: ignore[HS121]\n" + BAD_LINE)
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("README.md", "docs\n")
    repo.commit("pr")
    run = _scan(hullscan, repo)
    assert run.code == 0, run.out


def test_nosec_added_by_the_pr(hullscan, repo: Repo) -> None:
    repo.write("app.py", "import subprocess\n\n\ndef run(cmd):\n    return cmd\n")
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("app.py", (
        "import subprocess\n\n\ndef run(cmd):\n"
        "    subprocess.call(cmd, shell=True)  # nosec\n"
        "    subprocess.call(cmd, shell=True)  # nosec B602 -- cmd is a constant list\n"
    ))
    repo.commit("pr")
    run = _scan(hullscan, repo, "--summary", "summary.md")
    assert run.code == 1
    by_line = {f["location"]["start_line"]: f for f in _rules(run)["B602"]}
    assert by_line[5]["suppression"] is None and _blocks(by_line[5])
    assert by_line[6]["suppression"]["justification"] == "cmd is a constant list"
    summary = (repo.root / "summary.md").read_text("utf-8")
    assert "cmd is a constant list" in summary.split("### Inline suppressions")[1]
    # outside pull-request mode `# nosec` suppresses as bandit's own would
    plain = hullscan("code", "app.py", "--format", "json", cwd=repo.root)
    assert plain.code == 0
    assert all(f["suppression"] for f in plain.json()["findings"] if f["rule"]["id"] == "B602")


def test_shallow_clone_without_base_fails_closed_when_policy_files_exist(
    hullscan, pr: Repo, tmp_path: Path
) -> None:
    pr.write(".hullscan.yaml", 'ignore:\n  - rule: "*"\n    reason: x\n')
    pr.commit("pr")
    run = hullscan("scan", ".", "--checkers", "dockerfile", "--new-only", "--base",
                   "0" * 40, cwd=pr.root)
    assert run.code == 2  # an unknown base in a full clone is a usage error
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature",
        f"file://{pr.root}", str(shallow))
    git(shallow, "remote", "remove", "origin")
    base = git(pr.root, "rev-parse", "main").strip()
    run = hullscan("scan", ".", "--checkers", "dockerfile", "--new-only", "--base", base,
                   cwd=shallow)
    assert run.code == 3
    assert "could not be read from it" in run.err and ".hullscan.yaml" in run.err


def test_hadolint_pragma_added_by_the_pr(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", CLEAN)
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("Dockerfile", CLEAN + "# hadolint ignore=DL3008\nRUN apt-get install -y curl\n"
               "# hadolint ignore=DL3008 pinned by the snapshot mirror\n"
               "RUN apt-get install -y --no-install-recommends wget\n")
    repo.commit("pr")
    run = _scan(hullscan, repo, "--fail-on", "medium")
    assert run.code == 1
    by_line = {f["location"]["start_line"]: f for f in _rules(run)["DL3008"]}
    assert by_line[4]["suppression"] is None and _blocks(by_line[4], "medium")
    assert by_line[6]["suppression"]["justification"] == "pinned by the snapshot mirror"


def test_zizmor_ignore_comment_added_by_the_pr(hullscan, repo: Repo) -> None:
    workflow = (
        "on: pull_request\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ok\n"
    )
    repo.write(".github/workflows/ci.yml", workflow)
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write(".github/workflows/ci.yml", workflow + (
        '      - run: echo "${{ github.event.pull_request.title }}"'
        " # zizmor: ignore[template-injection]\n"
    ))
    repo.commit("pr")
    run = hullscan("iac", ".", "--new-only", "--base", "main", "--format", "json", cwd=repo.root)
    found = [f for f in run.json()["findings"]
             if f["rule"]["id"] == "zizmor/template-injection"]
    assert found and all(f["suppression"] is None for f in found)
    assert "gives no reason" in found[0]["message"]
    assert run.code == 1


COMPOSE = "services:\n  web:\n    image: nginx:1.27\n"


def test_compose_lint_config_added_by_the_pr_is_not_applied(hullscan, repo: Repo) -> None:
    repo.write("app/compose.yaml", COMPOSE)
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("app/compose.yaml", "services:\n  api:\n    image: nginx:1.27\n")
    repo.write("app/.compose-lint.yml",
               "rules:\n  CL-0003:\n    enabled: false\n    reason: we need it\n")
    repo.commit("pr")
    run = hullscan("compose", "app", "--new-only", "--base", "main", "--format", "json",
                   cwd=repo.root)
    assert run.code == 1, run.err
    found = _rules(run)
    # compose-lint did not read the PR's .compose-lint.yml
    assert found["CL-0003"] and all(f["suppression"] is None for f in found["CL-0003"])
    [weakened] = found["HS002"]
    assert weakened["location"]["path"] == "app/.compose-lint.yml"
    # outside pull-request mode the repository's compose-lint settings apply, and the findings
    # they disable are still listed as suppressed, with the reason
    plain = hullscan("compose", "app", "--format", "json", cwd=repo.root)
    suppressed = [f for f in plain.json()["findings"] if f["rule"]["id"] == "CL-0003"]
    assert suppressed
    assert all(f["suppression"]["justification"].endswith("we need it") for f in suppressed)


def test_exclude_and_disable_rules_leave_a_trace(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", CLEAN + BAD_LINE)
    repo.write("vendor/Dockerfile", CLEAN + BAD_LINE)
    repo.write(".hullscan.yaml", 'exclude: ["vendor/**"]\n'
               "checkers:\n  dockerfile:\n    disable_rules: [HS121]\n")
    repo.commit("base")
    run = hullscan("dockerfile", ".", "--format", "json", cwd=repo.root)
    notes = [n["message"] for n in run.json()["notifications"]]
    assert ("1 file(s) not scanned: excluded by `exclude:` in .hullscan.yaml "
            "(vendor/Dockerfile)") in notes
    assert any(n.startswith("1 finding(s) not reported: rules disabled in "
                            "checkers.dockerfile.disable_rules of .hullscan.yaml: HS121 (1)")
               for n in notes)
    assert "excluded by `exclude:`" in run.err
