"""Which files `scan` checks: git-aware, .gitignore honoured, explicit files always scanned."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import Repo


def scanned_paths(run) -> set[str]:
    return {f["location"]["path"] for f in run.json()["findings"]}


def test_gitignore_is_honoured_in_a_work_tree(hullscan, repo: Repo) -> None:
    repo.write(".gitignore", "build/\n")
    repo.write("Dockerfile", "FROM python\n")  # tracked
    repo.commit()
    repo.write("svc/Containerfile", "FROM python\n")  # untracked, would be tracked
    repo.write("build/Dockerfile", "FROM python\n")  # ignored
    repo.write("docker/api.Dockerfile", "FROM python\n")
    repo.write("docker/Dockerfile.dev", "FROM python\n")
    repo.write("docker/Dockerfile.dockerignore", "*\n")
    repo.write("notes.txt", "FROM python\n")
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    assert scanned_paths(run) == {
        "Dockerfile", "svc/Containerfile", "docker/api.Dockerfile", "docker/Dockerfile.dev",
    }
    explicit = hullscan("scan", "build/Dockerfile", "--format", "json", cwd=repo.root)
    assert scanned_paths(explicit) == {"build/Dockerfile"}


def test_paths_are_relative_to_the_repository_root(hullscan, repo: Repo) -> None:
    repo.write("services/api/Dockerfile", "FROM python\n")
    run = hullscan("scan", ".", "--format", "json", cwd=repo.root / "services" / "api")
    assert scanned_paths(run) == {"services/api/Dockerfile"}


def test_dockerfile_subcommand_checks_any_named_file(hullscan, repo: Repo) -> None:
    repo.write("images/base.txt", "FROM python\n")
    run = hullscan("dockerfile", "images/base.txt", "--format", "json", cwd=repo.root)
    assert scanned_paths(run) == {"images/base.txt"}


def test_outside_git_walks_folders_and_skips_vcs_and_venvs(hullscan, tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM python\n")
    (tmp_path / ".venv" / "x").mkdir(parents=True)
    (tmp_path / ".venv" / "x" / "Dockerfile").write_text("FROM python\n")
    run = hullscan("scan", "--format", "json", cwd=tmp_path)
    assert scanned_paths(run) == {"app/Dockerfile"}


def test_symlinked_dockerfile_reported_at_its_real_path(hullscan, repo: Repo) -> None:
    repo.write("real/Dockerfile", "FROM python\n")
    os.symlink("real/Dockerfile", repo.root / "Dockerfile")
    run = hullscan("dockerfile", "Dockerfile", "--format", "json", cwd=repo.root)
    assert scanned_paths(run) == {"real/Dockerfile"}
