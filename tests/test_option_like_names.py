"""Files named like options are files: every argv hullscan builds for a wrapped tool ends its
options with `--` before the repository's paths."""

from __future__ import annotations

from conftest import Repo

WORKFLOW = ("on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n")


def test_hadolint_and_zizmor_check_files_named_like_their_options(hullscan, repo: Repo) -> None:
    # As options, these would make hadolint read the Dockerfile as its configuration and
    # zizmor the workflow as its own (a usage error): both must be checked as files.
    repo.write("--config=x.Dockerfile",
               f"FROM python:3.12@sha256:{'0' * 64}\nUSER 10001\nRUN cd /tmp && echo hi\n")
    repo.write("--config=x/.github/workflows/ci.yml", WORKFLOW)
    repo.commit()
    run = hullscan("scan", "--checkers", "dockerfile,iac", ".", cwd=repo.root)
    assert run.code == 1, run.out + run.err
    assert "--config=x.Dockerfile:3:1 medium DL3003 Use WORKDIR" in run.out  # hadolint's
    assert "--config=x/.github/workflows/ci.yml:7:15 high zizmor/unpinned-uses" in run.out
    assert "failed" not in run.out + run.err


def test_hullscan_takes_paths_after_double_dash(hullscan, repo: Repo) -> None:
    repo.write("-app/Dockerfile", "FROM python:3.12\nUSER 10001\n")
    repo.commit()
    run = hullscan("scan", "--fail-on", "medium", "--", "-app", cwd=repo.root)
    assert run.code == 1, run.err
    assert "-app/Dockerfile:1:1 medium HS101" in run.out
