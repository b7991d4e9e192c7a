"""The GitHub Action, run for real: action.yml's own `run:` steps in a simulated GitHub
environment (tests/action_harness.py), standing in only for the `uses:` steps that need GitHub.

The install step really installs hullscan[all] from the action's checkout into a virtual
environment (pip pointed at the local wheelhouse, no network); one runner folder is shared by
the tests of this module so later runs reuse that environment, as a warm cache would.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from action_harness import (
    DUMMY_TOKEN,
    ActionRun,
    HarnessContext,
    StepFailure,
    UsesCall,
    find_expressions_in_run,
    parse_workflow_commands,
    pinned_uses,
    run_action,
)
from conftest import EXAMPLES, PROJECT, Repo, assert_github_rules, git, wheelhouse
from ruamel.yaml import YAML

SHA = re.compile(r"^[0-9a-f]{40}$")
OLD = "FROM python:3.12\nRUN pip install flask\n"
CLEAN = "FROM python:3.12@sha256:" + "a" * 64 + "\nUSER 10001\n"
CURL = "RUN curl -s https://get.example.com/install.sh | sh\n"


@dataclass
class GitHub:
    """The stand-ins for the actions that need GitHub, and what they were given."""

    sarif_validator: Any
    upload_fails: bool = False
    processing_errors: list[str] | None = None  # received (a sarif-id), then processing failed
    uploaded: list[dict[str, Any]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # upload-sarif's category input
    artifacts: list[tuple[str, str]] = field(default_factory=list)
    caches: list[dict[str, str]] = field(default_factory=list)

    def setup_python(self, call: UsesCall, ctx: HarnessContext) -> dict[str, str]:
        assert call.with_["update-environment"] == "false"  # the workflow's Python is untouched
        version = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
        return {"python-path": sys.executable, "python-version": version}

    def cache(self, call: UsesCall, ctx: HarnessContext) -> dict[str, str]:
        self.caches.append(dict(call.with_))
        return {"cache-hit": "false"}

    def upload_sarif(self, call: UsesCall, ctx: HarnessContext) -> dict[str, str]:
        log = json.loads(Path(call.with_["sarif_file"]).read_text("utf-8"))
        errors = list(self.sarif_validator.iter_errors(log))
        assert not errors, errors[:3]
        assert_github_rules(log, ctx.workspace)
        category = call.with_["category"]
        assert all(run["automationDetails"]["id"].startswith(f"{category}/")
                   for run in log["runs"])
        # As upload-sarif: one upload per tool and category in a job, marked for later steps
        # with an environment variable (CODEQL_UPLOAD_SARIF_<ID>_<TOOL>).
        marks = [upload_mark(run) for run in log["runs"]]
        if any(ctx.env.get(mark) for mark in marks):
            raise StepFailure("Aborting upload: only one run of the codeql/analyze or "
                              "codeql/upload-sarif actions is allowed per job per tool/category")
        for mark in marks:
            ctx.export_env(mark, mark)
        if self.upload_fails:
            raise StepFailure("Resource not accessible by integration")
        if self.processing_errors is not None:
            raise StepFailure("Code Scanning could not process the submitted SARIF file",
                              outputs={"sarif-id": SARIF_ID})
        self.uploaded.append(log)
        self.categories.append(category)
        return {"sarif-id": SARIF_ID}

    def upload_artifact(self, call: UsesCall, ctx: HarnessContext) -> dict[str, str]:
        assert Path(call.with_["path"]).is_file()
        if any(name == call.with_["name"] for name, _path in self.artifacts):
            # artifact names are unique in a workflow run (upload-artifact v4)
            raise StepFailure("Failed to CreateArtifact: Received non-retryable error: "
                              "(409) Conflict: an artifact with this name already exists")
        self.artifacts.append((call.with_["name"], call.with_["path"]))
        return {"artifact-id": "1"}

    def stand_ins(self) -> dict[str, Callable[[UsesCall, HarnessContext], dict[str, str]]]:
        return {
            "actions/setup-python": self.setup_python,
            "actions/cache": self.cache,
            "github/codeql-action/upload-sarif": self.upload_sarif,
            "actions/upload-artifact": self.upload_artifact,
        }


SARIF_ID = "6f0e0a3c-5d1e-11f0-9c1a-0242ac120002"


def upload_mark(run: dict[str, Any]) -> str:
    def clean(text: str) -> str:
        return re.sub(r"[^a-zA-Z0-9_]", "_", text).upper()

    ident = run["automationDetails"]["id"]
    return f"CODEQL_UPLOAD_SARIF_{clean(ident)}_{clean(run['tool']['driver']['name'])}"


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runner")


@pytest.fixture
def github(sarif_validator: Any) -> GitHub:
    return GitHub(sarif_validator)


@pytest.fixture
def act(runner_temp: Path, github: GitHub, demo_osv_db: Path) -> Callable[..., ActionRun]:
    folder = wheelhouse("checkov", "bandit", "pip_audit", "zizmor")

    def run(workspace: Path, event: dict[str, Any], event_name: str = "pull_request",
            step_id: str | None = None, job_env: dict[str, str] | None = None,
            **inputs: str) -> ActionRun:
        """One hullscan step; `step_id` its id (GITHUB_ACTION), `job_env` what earlier steps
        of the job exported (ActionRun.env_file)."""
        given = {k.replace("_", "-"): v for k, v in inputs.items()}
        given.setdefault("offline-db", str(demo_osv_db))
        return run_action(
            PROJECT, inputs=given,
            workspace=workspace, event_name=event_name, event=event, runner_temp=runner_temp,
            env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(folder), **(job_env or {})},
            stand_ins=github.stand_ins(), sha=git(workspace, "rev-parse", "HEAD").strip(),
            step_id=step_id,
        )

    return run


def pull_request(repo: Repo, base: str = "main", fork: bool = False) -> dict[str, Any]:
    return {
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": {"sha": git(repo.root, "rev-parse", base).strip(), "ref": "main"},
            "head": {"sha": git(repo.root, "rev-parse", "HEAD").strip(), "ref": "feature",
                     "repo": {"full_name": "someone/app" if fork else "octo/app",
                              "fork": fork}},
        },
        "repository": {"full_name": "octo/app"},
    }


def old_findings_repo(repo: Repo) -> None:
    """A repository full of old findings, and a feature branch."""
    repo.write("app/Dockerfile", OLD)
    repo.write("worker/Dockerfile", OLD + CURL)
    repo.write("clean/Dockerfile", CLEAN)
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")


def annotations(run: ActionRun) -> list[Any]:
    return [c for c in parse_workflow_commands(run.stdout)
            if c.command in ("error", "warning", "notice")]


def test_pr_adding_a_vulnerable_dockerfile_line_blocks(act, repo: Repo, github: GitHub) -> None:
    old_findings_repo(repo)
    repo.write("app/Dockerfile", OLD + CURL)
    repo.commit("feature: install script")
    run = act(repo.root, pull_request(repo))

    assert run.outputs["exit-code"] == "1"
    assert run.outputs["blocking"] == "1"
    assert int(run.outputs["findings"]) > 1  # the old ones are reported too
    assert run.failed and run.exit_code == 1
    # the upload ran before the verdict failed the job
    assert run.step_outcomes["upload"] == "success" and len(github.uploaded) == 1
    states = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
               r["baselineState"]) for run_ in github.uploaded[0]["runs"]
              for r in run_["results"]}
    assert ("HS121", "app/Dockerfile", "new") in states
    assert ("HS121", "worker/Dockerfile", "unchanged") in states
    # annotations: only what the PR introduced, the most severe first
    found = annotations(run)
    errors = [a for a in found if a.command == "error" and a.properties.get("file")]
    assert errors[0].properties["file"] == "app/Dockerfile"
    assert errors[0].properties["line"] == "3"
    assert errors[0].properties["title"].startswith("HS121")
    assert not any(a.properties.get("file") == "worker/Dockerfile" for a in found)
    assert any(a.command == "error" and "1 blocking finding(s) at or above high" in a.message
               for a in found)
    # the summary: blocking first, linked at the PR's head commit
    head = git(repo.root, "rev-parse", "HEAD").strip()
    assert run.summary.startswith("## hullscan: 1 blocking finding (fail-on high)")
    assert f"https://github.com/octo/app/blob/{head}/app/Dockerfile#L3" in run.summary
    assert "unchanged" in run.summary and "### Reproduce locally" in run.summary
    assert "--new-only --base" in run.summary
    assert github.artifacts == []  # uploaded: no artifact needed


def test_pr_touching_only_clean_files_passes_with_new_only(act, repo: Repo,
                                                           github: GitHub) -> None:
    old_findings_repo(repo)
    repo.write("clean/Dockerfile", CLEAN + "LABEL team=platform\n")
    repo.commit("feature: label")
    run = act(repo.root, pull_request(repo))
    assert not run.failed, run.stdout + run.stderr
    assert run.outputs["exit-code"] == "0" and run.outputs["blocking"] == "0"
    assert int(run.outputs["findings"]) >= 4
    assert not [a for a in annotations(run) if a.properties.get("file")]
    assert run.summary.startswith("## hullscan: nothing blocks (fail-on high)")
    assert "0 new, " in run.summary
    assert len(github.uploaded) == 1
    # the same repository without new-only blocks on the old findings
    full = act(repo.root, pull_request(repo), new_only="false")
    assert full.failed and full.outputs["exit-code"] == "1"


def test_fork_pr_skips_the_upload_but_annotates_and_keeps_the_sarif(
    act, repo: Repo, github: GitHub
) -> None:
    old_findings_repo(repo)
    repo.write("app/Dockerfile", OLD + CURL)
    repo.commit("feature from a fork")
    run = act(repo.root, pull_request(repo, fork=True), artifact_name="sarif-fork")
    assert run.step_outcomes["upload"] == "skipped" and github.uploaded == []
    assert github.artifacts == [("sarif-fork", run.outputs["sarif-file"])]
    notices = [a.message for a in annotations(run) if a.command == "notice"]
    assert any("a pull request from a fork gets a read-only token" in n
               and "artifact sarif-fork" in n for n in notices)
    assert any(a.properties.get("file") == "app/Dockerfile" for a in annotations(run))
    assert "## hullscan: 1 blocking finding" in run.summary
    assert run.failed and run.outputs["exit-code"] == "1"  # the verdict follows fail-on


def test_failed_upload_is_a_notice_and_the_verdict_still_follows_fail_on(
    act, repo: Repo, github: GitHub
) -> None:
    old_findings_repo(repo)
    repo.write("clean/Dockerfile", CLEAN + "LABEL x=y\n")
    repo.commit()
    github.upload_fails = True
    run = act(repo.root, pull_request(repo), step_id="hullscan")
    assert run.step_outcomes["upload"] == "failure"
    assert run.step_conclusions["upload"] == "success"  # continue-on-error
    (note,) = [a.message for a in annotations(run) if "not in code scanning" in a.message]
    # no sarif-id: the request was refused; the likely reasons, and where GitHub's message is
    assert "the upload to code scanning failed. Likely reasons: the job's token cannot write " \
           "security events (the job needs permissions: security-events: write" in note
    assert "code scanning is not enabled for this repository" in note
    assert ("GitHub's message is in the log of this job's step \"Upload SARIF to code "
            "scanning\" (https://github.com/octo/app/actions/runs/1000001)") in note
    assert github.artifacts == [("hullscan-sarif-hullscan-harness-hullscan",
                                 run.outputs["sarif-file"])]
    assert not run.failed


def test_failed_processing_quotes_githubs_errors(act, repo: Repo, github: GitHub) -> None:
    """upload-sarif's sarif-id output is set before it waits for processing: with it, the
    upload's processing errors are read back from the REST API and quoted."""
    repo.write("Dockerfile", CLEAN)
    repo.commit()
    github.processing_errors = ["locationFromSarifResult: expected artifact location",
                                "rejecting SARIF,\nas there are more runs than allowed"]
    with code_scanning_api(github.processing_errors) as (url, requests):
        run = act(repo.root, pull_request(repo), job_env={"GITHUB_API_URL": url})
    assert run.step_outcomes["upload"] == "failure" and not run.failed
    assert requests == [(f"/repos/octo/app/code-scanning/sarifs/{SARIF_ID}",
                         f"Bearer {DUMMY_TOKEN}")]
    (note,) = [a.message for a in annotations(run) if "not in code scanning" in a.message]
    assert ("code scanning received the SARIF but could not process it: locationFromSarifResult:"
            " expected artifact location; rejecting SARIF, as there are more runs than allowed. "
            "It is kept as the workflow artifact") in note
    # the API not answering: the notice says where GitHub's message is instead
    with code_scanning_api(None) as (url, requests):
        silent = act(repo.root, pull_request(repo), job_env={"GITHUB_API_URL": url})
    (note,) = [a.message for a in annotations(silent) if "not in code scanning" in a.message]
    assert f"received the SARIF (id {SARIF_ID}) but its processing did not succeed" in note
    assert "GitHub's message is in the log of this job's step" in note


@contextlib.contextmanager
def code_scanning_api(
    errors: list[str] | None,
) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """GitHub's REST API for one failed SARIF processing (errors None: every request 404s)."""
    requests: list[tuple[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append((self.path, self.headers.get("Authorization", "")))
            if errors is None:
                self.send_error(404)
                return
            body = json.dumps({"processing_status": "failed", "errors": errors}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def test_two_hullscan_steps_in_one_job_keep_their_own_sarif_artifact_and_category(
    act, repo: Repo, github: GitHub
) -> None:
    """Two steps without ids (the runner names them __hullscan_hullscan and
    __hullscan_hullscan_2), different paths and categories, SARIF kept as artifacts: two SARIF
    files, two artifacts (no 409), two categories, each with its own results."""
    repo.write("frontend/Dockerfile", OLD)
    repo.write("backend/Dockerfile", OLD + CURL)
    repo.commit()
    push = {"ref": "refs/heads/main", "before": "0" * 40}
    first = act(repo.root, push, event_name="push", step_id="__hullscan_hullscan",
                paths="frontend", category="frontend", upload_sarif="false", fail_on="never")
    second = act(repo.root, push, event_name="push", step_id="__hullscan_hullscan_2",
                 job_env=first.env_file, paths="backend", category="backend",
                 upload_sarif="false", fail_on="never")
    assert not first.failed and not second.failed, second.stderr[-2000:]
    files = [Path(first.outputs["sarif-file"]), Path(second.outputs["sarif-file"])]
    assert [f.name for f in files] == ["hullscan-frontend-__hullscan_hullscan.sarif",
                                       "hullscan-backend-__hullscan_hullscan_2.sarif"]
    assert github.artifacts == [
        ("hullscan-sarif-frontend-harness-__hullscan_hullscan", str(files[0])),
        ("hullscan-sarif-backend-harness-__hullscan_hullscan_2", str(files[1])),
    ]
    logs = [json.loads(f.read_text("utf-8")) for f in files]  # the first not overwritten
    for log, category, folder in zip(logs, ("frontend", "backend"), ("frontend", "backend"),
                                     strict=True):
        assert_github_rules(log, repo.root)
        assert {run["automationDetails"]["id"].split("/")[0] for run in log["runs"]} == {
            category}
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for run in log["runs"] for r in run["results"]}
        assert uris == {f"{folder}/Dockerfile"}
    rules = [{r["ruleId"] for run in log["runs"] for r in run["results"]} for log in logs]
    assert "HS121" in rules[1] and "HS121" not in rules[0]
    assert int(first.outputs["findings"]) == sum(len(run["results"]) for run in logs[0]["runs"])


def test_a_category_already_uploaded_in_the_job_is_kept_not_uploaded(
    act, repo: Repo, github: GitHub
) -> None:
    """Two categories in a job upload side by side; a third step repeating a category would be
    refused by upload-sarif, so it is not uploaded, says why, and keeps its SARIF."""
    repo.write("frontend/Dockerfile", OLD)
    repo.write("backend/Dockerfile", OLD + CURL)
    repo.commit()
    push = {"ref": "refs/heads/main", "before": "0" * 40}
    first = act(repo.root, push, event_name="push", step_id="frontend", paths="frontend",
                category="frontend", fail_on="never")
    second = act(repo.root, push, event_name="push", step_id="backend", paths="backend",
                 category="backend", fail_on="never", job_env=first.env_file)
    assert github.categories == ["frontend", "backend"]
    assert [log["runs"][0]["automationDetails"]["id"] for log in github.uploaded] == [
        "frontend/dockerfile/", "backend/dockerfile/"]
    again = act(repo.root, push, event_name="push", step_id="again", paths="frontend",
                category="frontend", fail_on="never",
                job_env={**first.env_file, **second.env_file})
    assert again.step_outcomes["upload"] == "skipped" and len(github.uploaded) == 2
    (note,) = [a.message for a in annotations(again) if "not in code scanning" in a.message]
    assert "an earlier upload in this job already used the category frontend/dockerfile/" in note
    assert "give each hullscan step its own category input" in note
    assert github.artifacts == [("hullscan-sarif-frontend-harness-again",
                                 again.outputs["sarif-file"])]
    assert not again.failed


def test_expired_ignore_blocks(act, repo: Repo) -> None:
    config = ("ignore:\n  - rule: HS121\n    reason: vendor installer, reviewed\n"
              "    expires: {date}\n")
    # the base commit's exception has run out (the policy comes from the base commit)
    repo.write("app/Dockerfile", CLEAN + CURL)
    repo.write(".hullscan.yaml", config.format(date="2020-06-30"))
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("README.md", "docs\n")
    repo.commit("unrelated")
    run = act(repo.root, pull_request(repo))
    assert run.failed and run.outputs["exit-code"] == "1"
    assert "### Expired ignores" in run.summary
    assert "expired on 2020-06-30" in run.summary
    assert any(a.properties.get("title", "").startswith("HS121") for a in annotations(run))


def test_pr_config_that_ignores_everything_does_not_open_the_gate(act, repo: Repo) -> None:
    old_findings_repo(repo)
    repo.write("app/Dockerfile", OLD + CURL)
    repo.write(".hullscan.yaml", 'ignore:\n  - rule: "*"\n    reason: ship it\n')
    repo.commit("feature: install script, and an exception for everything")
    run = act(repo.root, pull_request(repo))
    assert run.failed and run.outputs["exit-code"] == "1"
    titles = [a.properties.get("title", "") for a in annotations(run)]
    assert any(t.startswith("HS121") for t in titles)
    assert any(t.startswith("HS002") for t in titles)
    assert "### Changes to the check (not applied in pull-request mode)" in run.summary
    # a repository that protects its policy files with CODEOWNERS can opt out
    trusted = act(repo.root, pull_request(repo), trust_head_config="true")
    assert not trusted.failed and trusted.outputs["exit-code"] == "0"


def test_push_event_scans_everything_by_default(act, repo: Repo, github: GitHub) -> None:
    repo.write("Dockerfile", CLEAN)
    repo.commit()
    run = act(repo.root, {"ref": "refs/heads/main", "before": "0" * 40}, event_name="push")
    assert not run.failed and run.outputs["exit-code"] == "0"
    assert "Compared with" not in run.summary
    assert len(github.uploaded) == 1


def test_shallow_clone_gets_the_base_commit(act, repo: Repo, tmp_path: Path) -> None:
    old_findings_repo(repo)
    repo.write("clean/Dockerfile", CLEAN + "LABEL x=y\n")
    repo.commit()
    event = pull_request(repo)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "feature", f"file://{repo.root}",
        str(clone))
    run = act(clone, event)
    assert not run.failed, run.stderr[-2000:]
    assert "fetched base" in run.stderr
    assert "0 new, " in run.summary


@pytest.mark.parametrize(("inputs", "message"), [
    ({"checkers": "dockerfile,containers"}, "unknown checker 'containers'"),
    ({"fail_on": "hgh"}, "invalid choice: 'hgh'"),
    ({"new_only": "maybe"}, "new-only: 'maybe' is not auto, true or false"),
])
def test_bad_inputs_stop_with_one_error_and_exit_2(act, repo: Repo, github: GitHub,
                                                   inputs: dict[str, str],
                                                   message: str) -> None:
    repo.write("Dockerfile", OLD)
    repo.commit()
    run = act(repo.root, pull_request(repo), **inputs)
    assert run.outputs["exit-code"] == "2"
    assert run.failed and run.exit_code == 2
    errors = [a.message for a in annotations(run) if a.command == "error"]
    assert any(message in e for e in errors), errors
    assert "## hullscan could not run" in run.summary
    assert github.uploaded == [] and github.artifacts == []  # no half-baked SARIF


def test_base_commit_that_does_not_exist_is_exit_2(act, repo: Repo) -> None:
    repo.write("Dockerfile", OLD)
    repo.commit()
    event = pull_request(repo)
    event["pull_request"]["base"]["sha"] = "1" * 40
    run = act(repo.root, event)
    assert run.outputs["exit-code"] == "2"
    assert any("no such commit in this repository" in a.message
               for a in annotations(run) if a.command == "error")


def test_scripts_get_inputs_only_through_env() -> None:
    assert find_expressions_in_run(PROJECT) == []


@pytest.mark.parametrize("path", [PROJECT / "action.yml",
                                  *sorted((EXAMPLES / "workflows").glob("*.yml"))],
                         ids=lambda p: p.name)
def test_every_uses_is_pinned_to_a_full_sha_with_a_comment(path: Path) -> None:
    uses = [u for u in pinned_uses(path) if not u[0].startswith("./")]
    assert uses
    for action, ref, comment in uses:
        assert SHA.match(ref), f"{path.name}: {action}@{ref} is not pinned to a commit"
        assert comment, f"{path.name}: {action}@{ref} has no version comment"


def test_examples_pin_a_commit_of_this_repository_that_has_the_action() -> None:
    import subprocess

    pins = {ref for path in (EXAMPLES / "workflows").glob("*.yml")
            for action, ref, _ in pinned_uses(path) if action == "hullscan/hullscan"}
    assert len(pins) == 1
    pin = pins.pop()
    probe = subprocess.run(["git", "cat-file", "-e", f"{pin}:action.yml"], cwd=PROJECT,
                           capture_output=True, check=False)
    if probe.returncode != 0:
        shallow = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=PROJECT,
                                 capture_output=True, text=True, check=False).stdout.strip()
        if shallow == "true":
            pytest.skip("a shallow clone of hullscan does not have the pinned commit")
    assert probe.returncode == 0, f"{pin} is not a commit of this repository with action.yml"
    pinned = YAML(typ="safe").load(subprocess.run(
        ["git", "show", f"{pin}:action.yml"], cwd=PROJECT, capture_output=True, text=True,
        check=True).stdout)
    for path in (EXAMPLES / "workflows").glob("*.yml"):
        workflow = YAML(typ="safe").load(path.read_text("utf-8"))
        for job in workflow["jobs"].values():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("hullscan/hullscan@"):
                    unknown = set(step.get("with", {})) - set(pinned["inputs"])
                    assert not unknown, f"{path.name}: the pinned action has no input {unknown}"
    for path in (EXAMPLES / "workflows").glob("*.yml"):
        text = path.read_text("utf-8")
        assert "hullscan/hullscan@" not in text.replace(f"hullscan/hullscan@{pin}", "")


def test_offline_db_as_a_cache_key(act, repo: Repo, github: GitHub, demo_osv_db: Path) -> None:
    """offline-db names a cache: restored (here: a hit holding the demo data) and used offline;
    a miss tries `hullscan db update`, and a failed download is a warning, not a crash."""
    import shutil

    repo.write("requirements.txt", (EXAMPLES / "insecure-app" / "requirements.txt").read_text())
    repo.commit()
    restored: list[str] = []

    def cache_hit(call: UsesCall, ctx: HarnessContext) -> dict[str, str]:
        if call.with_["path"].endswith("osv.sqlite3"):
            assert call.with_["key"].startswith("hullscan-osv-demo-")
            assert call.with_["restore-keys"] == "hullscan-osv-demo-"
            Path(call.with_["path"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(demo_osv_db, call.with_["path"])
            restored.append(call.with_["path"])
            return {"cache-hit": "true"}
        return {"cache-hit": "false"}

    github.cache = cache_hit  # type: ignore[method-assign]
    run = act(repo.root, pull_request(repo), offline_db="demo", checkers="deps",
              new_only="false", fail_on="never")
    assert restored and not run.failed, run.stderr[-2000:]
    assert int(run.outputs["findings"]) >= 1
    assert "x_HULLSCAN-DEMO" in json.dumps(github.uploaded[0])

    github.cache = GitHub.cache.__get__(github)  # type: ignore[method-assign]
    Path(restored[0]).unlink()  # a miss restores nothing
    missed = act(repo.root, pull_request(repo), offline_db="demo", checkers="deps",
                 new_only="false", fail_on="never")
    assert any("could not download OSV data" in a.message for a in annotations(missed))
    assert missed.outputs["exit-code"] == "3"  # fails closed: nothing to check against
    assert missed.failed


def test_offline_db_path_that_does_not_exist_is_an_error(act, repo: Repo) -> None:
    repo.write("Dockerfile", CLEAN)
    repo.commit()
    run = act(repo.root, pull_request(repo), offline_db="data/osv.sqlite3")
    assert run.failed and run.exit_code == 2
    assert any("offline-db: data/osv.sqlite3: no such file" in a.message
               for a in annotations(run))


def test_image_input_annotates_the_dockerfile_line(act, repo: Repo, github: GitHub,
                                                   tmp_path: Path) -> None:
    """`image` after a build step: the image's findings land on the Dockerfile's lines, in the
    annotations, the summary and the uploaded SARIF."""
    from image_builder import DEBIAN_OS_RELEASE, Layer, TestImage, docker_archive_legacy

    repo.write("Dockerfile", "FROM debian:12\nRUN apt-get install -y openssh-server\n"
               "EXPOSE 22\nUSER 10001\n")
    repo.commit("base")
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.write("README.md", "docs\n")
    repo.commit("feature")
    image = TestImage([
        Layer({"usr/lib/os-release": DEBIAN_OS_RELEASE}, "ADD rootfs.tar /"),
        Layer({"etc/ssh/ssh_host_rsa_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n"
                                           "-----END OPENSSH PRIVATE KEY-----\n"},
              "RUN /bin/sh -c apt-get install -y openssh-server # buildkit"),
    ], config={"User": "10001", "ExposedPorts": {"22/tcp": {}}},
        empty_history=[(2, "EXPOSE map[22/tcp:{}]"), (3, "USER 10001")])
    archive = docker_archive_legacy(image, tmp_path / "app.tar")
    run = act(repo.root, pull_request(repo), image=f"docker-archive:{archive}",
              dockerfile="Dockerfile")
    assert run.failed and run.outputs["exit-code"] == "1", run.stderr[-2000:]
    errors = [a for a in annotations(run) if a.command == "error" and a.properties.get("file")]
    assert any(a.properties["file"] == "Dockerfile" and a.properties["line"] == "2"
               and a.properties["title"].startswith("HS303") for a in errors)
    assert "[Dockerfile:2](https://github.com/octo/app/blob/" in run.summary
    image_runs = [r for r in github.uploaded[0]["runs"]
                  if r["automationDetails"]["id"] == "hullscan/image/"]
    assert image_runs and image_runs[0]["results"]


PUSH = {"ref": "refs/heads/main", "before": "0" * 40}


@pytest.mark.parametrize("annotate", ["true", "false"])
def test_paths_starting_with_a_dash_and_folders_named_like_commands(act, repo: Repo,
                                                                     annotate: str) -> None:
    """`paths` go after `--`; a folder named like a workflow command forms none, in the github
    format (its own stop-commands) and in the text format (the scan step's)."""
    repo.write("-app/Dockerfile", CLEAN + CURL)
    repo.write("::warning::pwned/Dockerfile", CLEAN + CURL)
    repo.commit()
    run = act(repo.root, PUSH, event_name="push", paths="-app ::warning::pwned",
              annotations=annotate)
    assert run.outputs["exit-code"] == "1", run.stderr[-2000:]
    found = annotations(run)
    assert all(a.properties.get("title") for a in found), found  # none without hullscan's title
    files = {a.properties["file"] for a in found if a.properties.get("file")}
    assert files == ({"-app/Dockerfile", "::warning::pwned/Dockerfile"} if annotate == "true"
                     else set())
    assert "-app/Dockerfile:3:1 high HS121" in run.stdout
    assert all(line.startswith("hullscan: ") for line in run.stderr.splitlines()
               if "pwned" in line)


def test_usage_error_text_forms_no_command_and_no_markdown(act, repo: Repo) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    repo.write("Dockerfile", CLEAN)
    repo.commit()
    value = "x\n::warning::forged\n```\n<img src=x> [l](https://e.example) # h"
    run = act(repo.root, pull_request(repo), new_only=value)
    assert run.outputs["exit-code"] == "2"
    found = annotations(run)
    assert not any(a.command == "warning" for a in found), found
    message = f"new-only: '{value}' is not auto, true or false"
    assert message in [a.message for a in found if a.command == "error"]
    assert f"## hullscan could not run\n\n````\n{message}\n````\n" in run.summary
    html = markdown_it.MarkdownIt("commonmark").render(run.summary)
    assert "<img" not in html and "<a " not in html and "<h1" not in html
