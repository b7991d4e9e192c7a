"""The dependency checker never runs the scanned project's code (issue 11, point 3): a local
package whose setup.py writes a canary file, beside an unpinned requirement, with the real
pip-audit, online (a fake OSV server on 127.0.0.1 and a package index in a local folder, so that
resolving *would* build the package) and offline. Only `checkers.deps.resolve: true` outside
pull-request mode lets pip-audit resolve, and then the build code still gets no job secrets."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import Repo, git
from test_deps import RESOLVE, build_wheel, db, local_index  # noqa: F401 - fixtures
from test_vuln_sources import osv_server  # noqa: F401 - the fixture

# What a GitHub Actions job has in its environment and no tool hullscan runs may see.
JOB_ENV = {
    "GITHUB_TOKEN": "ghs_notarealtokennotarealtoken0000000",
    "ACTIONS_RUNTIME_TOKEN": "not-a-real-runtime-token",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "not-a-real-oidc-token",
    "NPM_TOKEN": "npm_notarealtoken",
    "AWS_SECRET_ACCESS_KEY": "not/a/real/key",
}


def evil_project(repo: Repo, canary: Path) -> None:
    """requirements.txt: a local path (line 1), an unpinned name (line 2), a pin (line 3)."""
    repo.write("evilpkg/setup.py", (
        "import os, pathlib\n"
        f"pathlib.Path({str(canary)!r}).write_text(\n"
        "    os.environ.get('GITHUB_OUTPUT', 'no GITHUB_OUTPUT'), 'utf-8')\n"
        "from setuptools import setup\n"
        "setup(name='evilpkg', version='1.0')\n"
    ))
    repo.write("requirements.txt", "./evilpkg\nrequests\njinja2==3.1.3\n")


@pytest.fixture
def job_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    output = tmp_path / "github-output"
    output.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    for key, value in JOB_ENV.items():
        monkeypatch.setenv(key, value)
    return output


@pytest.fixture
def pip_audit_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real pip-audit behind a wrapper that records each run's arguments, environment and
    the requirements file it was given."""
    real = Path(sys.executable).parent / "pip-audit"
    if not real.is_file():
        pytest.skip("pip-audit is not installed (hullscan[deps])")
    log = tmp_path / "pip-audit-runs.jsonl"
    wrapper = tmp_path / "pip-audit-wrapper"
    wrapper.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "args = sys.argv[1:]\n"
        "listed = open(args[args.index('-r') + 1], encoding='utf-8').read()\n"
        f"with open({str(log)!r}, 'a', encoding='utf-8') as out:\n"
        "    out.write(json.dumps({'argv': args, 'env': dict(os.environ),\n"
        "                          'requirements': listed}) + '\\n')\n"
        f"os.execv({str(real)!r}, [{str(real)!r}, *args])\n"
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("HULLSCAN_PIP_AUDIT", str(wrapper))
    return log


def runs(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def not_resolved(run) -> dict[int, str]:
    return {n["line"]: n["message"] for n in run.json()["notifications"]
            if n["path"] == "requirements.txt" and n["line"] in (1, 2)}


def test_online_pip_audit_gets_only_the_pins(
    hullscan, repo: Repo, tmp_path: Path, local_index: Path, job_env: Path,  # noqa: F811
    pip_audit_log: Path,
) -> None:
    # the index could build ./evilpkg and serve requests: resolving would run setup.py
    build_wheel(local_index, "requests", "2.31.0")
    canary = tmp_path / "canary"
    evil_project(repo, canary)
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    assert not canary.exists()
    assert run.code == 3
    notes = not_resolved(run)
    assert notes[1].startswith("./evilpkg cannot be audited without resolving: URL or local path")
    assert notes[2].startswith("requests cannot be audited without resolving: no version pinned")
    assert "checkers.deps.resolve: true" in notes[2]
    # the pin was still audited, through pip-audit, on its line
    (finding,) = run.json()["findings"]
    assert (finding["location"]["start_line"], finding["properties"]["package"]) == (3, "jinja2")
    (audit,) = runs(pip_audit_log)
    assert audit["requirements"] == "jinja2==3.1.3\n"  # hullscan's pins, not the repo's file
    assert "--no-deps" in audit["argv"] and "--disable-pip" in audit["argv"]
    leaked = [k for k in audit["env"] if k.startswith(("GITHUB_", "ACTIONS_", "RUNNER_"))
              or "TOKEN" in k or "SECRET" in k or k.startswith("PIP_")]
    assert leaked == ["PIP_DISABLE_PIP_VERSION_CHECK"]  # hullscan's own; pip does not run
    assert job_env.read_text() == ""


def test_offline_never_resolves(hullscan, repo: Repo, tmp_path: Path, db, job_env: Path,  # noqa: F811
                                pip_audit_log: Path) -> None:
    canary = tmp_path / "canary"
    evil_project(repo, canary)
    run = hullscan("deps", ".", "--offline", "--format", "json", cwd=repo.root)
    assert not canary.exists()
    assert run.code == 3
    notes = not_resolved(run)
    assert set(notes) == {1, 2}
    assert all("resolving it needs pip-audit online and checkers.deps.resolve: true" in m
               for m in notes.values())
    assert runs(pip_audit_log) == []
    text = hullscan("deps", ".", "--offline", cwd=repo.root)
    assert "requirements.txt:1: ./evilpkg cannot be audited without resolving" in text.err


def test_resolve_opt_in_runs_the_build_code_without_the_job_secrets(
    hullscan, repo: Repo, tmp_path: Path, local_index: Path, job_env: Path,  # noqa: F811
    pip_audit_log: Path,
) -> None:
    build_wheel(local_index, "requests", "2.31.0")
    build_wheel(local_index, "jinja2", "3.1.3")
    canary = tmp_path / "canary"
    evil_project(repo, canary)
    repo.write(".hullscan.yaml", RESOLVE)
    run = hullscan("deps", ".", "--format", "json", cwd=repo.root)
    # what the README warns about: resolving builds the local package, running its setup.py
    assert canary.exists()
    # ... but not with the job's environment
    assert canary.read_text() == "no GITHUB_OUTPUT"
    (audit,) = runs(pip_audit_log)
    assert "--disable-pip" not in audit["argv"]
    assert audit["requirements"] == (repo.root / "requirements.txt").read_text()
    assert not [k for k in audit["env"] if k.startswith(("GITHUB_", "ACTIONS_")) or "TOKEN" in k]
    assert audit["env"]["PIP_NO_INDEX"] == "1"  # pip's own settings apply when it resolves
    packages = {f["properties"]["package"] for f in run.json()["findings"]}
    assert "jinja2" in packages
    assert not not_resolved(run), run.json()["notifications"]


def test_pull_request_mode_ignores_the_opt_in(
    hullscan, repo: Repo, tmp_path: Path, local_index: Path, job_env: Path,  # noqa: F811
    pip_audit_log: Path,
) -> None:
    build_wheel(local_index, "requests", "2.31.0")
    # the base commit (the trusted policy) opts in; the change adds the local package
    repo.write(".hullscan.yaml", RESOLVE)
    repo.write("requirements.txt", "jinja2==3.1.3\n")
    repo.commit("base")
    base = git(repo.root, "rev-parse", "HEAD").strip()
    canary = tmp_path / "canary"
    evil_project(repo, canary)
    repo.commit("the change under review")
    run = hullscan("deps", ".", "--new-only", "--base", base, "--format", "json", cwd=repo.root)
    assert not canary.exists()
    assert run.code == 3
    notes = not_resolved(run)
    assert all("never resolved in pull-request mode" in m for m in notes.values()) and notes
    (ignored,) = [n for n in run.json()["notifications"]
                  if "checkers.deps.resolve is ignored" in n["message"]]
    assert ignored["level"] == "note" and "pull-request mode" in ignored["message"]
    assert all("--disable-pip" in audit["argv"] for audit in runs(pip_audit_log))


def test_includes_are_followed_inside_the_repository_only(
    hullscan, repo: Repo, tmp_path: Path, db  # noqa: F811
) -> None:
    canary = tmp_path / "canary"
    evil_project(repo, canary)
    repo.write("requirements.txt", "-r deps/common.txt\n-r ../../outside.txt\n"
               "-r https://example.invalid/r.txt\n-c deps/constraints.txt\n")
    repo.write("deps/common.txt", "./../evilpkg\njinja2==3.1.3\n")
    repo.write("deps/constraints.txt", "flask==0.1\n")
    run = hullscan("deps", ".", "--offline", "--format", "json", cwd=repo.root)
    assert not canary.exists()
    assert run.code == 3
    notes = {(n["path"], n["line"]): n["message"] for n in run.json()["notifications"]}
    assert notes[("requirements.txt", 2)] == (
        "../../outside.txt cannot be audited: included from outside the repository, which is "
        "not read")
    assert notes[("requirements.txt", 3)].endswith("included from a URL, which is never fetched")
    assert notes[("deps/common.txt", 1)].startswith("./../evilpkg cannot be audited")
    findings = {(f["location"]["path"], f["properties"]["package"])
                for f in run.json()["findings"]}
    assert ("deps/common.txt", "jinja2") in findings
    assert not any(p == "flask" for _, p in findings)  # constraints are not installs
