"""The summary counts each repository file once, however many checkers read it."""

from __future__ import annotations

import json

from conftest import Repo

COMPOSE = """\
services:
  web:
    image: nginx:1.27
    user: "1000"
"""


def test_a_file_several_checkers_read_counts_once(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", "FROM python:3.12\nUSER 1000\n")
    repo.write("compose.yaml", COMPOSE)
    repo.write("notes.txt", "nothing secret\n")
    repo.commit()
    args = ("scan", "--checkers", "dockerfile,compose,secrets", "--fail-on", "never")
    text = hullscan(*args, cwd=repo.root)
    assert text.code == 0, text.err
    # three files: the Dockerfile and compose.yaml are read by two checkers each
    assert "; 3 files checked;" in text.out.splitlines()[-1], text.out
    data = hullscan(*args, "--format", "json", "--summary", "../summary.md",
                    "--sarif", "../out.sarif", cwd=repo.root).json()
    assert data["summary"]["files_checked"] == 3
    assert data["summary"]["image_files"] == 0
    per_checker = {c["name"]: c["files_scanned"] for c in data["checkers"]}
    assert per_checker == {"dockerfile": 1, "compose": 1, "secrets": 3}
    markdown = (repo.root.parent / "summary.md").read_text()
    assert " in 3 checked files." in markdown and "in 5 checked" not in markdown
    # each SARIF run keeps its own checker's count
    runs = json.loads((repo.root.parent / "out.sarif").read_text())["runs"]
    assert {r["properties"]["checker"]: r["properties"]["filesScanned"] for r in runs} == \
        per_checker
    github = hullscan(*args, "--format", "github", cwd=repo.root)
    assert "; 3 files checked;" in github.out + github.err


def test_a_file_every_checker_skipped_is_not_counted_as_checked(hullscan, repo: Repo) -> None:
    """The secrets checker reads neither binary nor lock files: they are counted as skipped,
    not as checked."""
    repo.write("notes.txt", "nothing secret\n")
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0data")
    repo.write("package-lock.json", "{}\n")
    repo.commit()
    data = hullscan("scan", "--checkers", "secrets", "--fail-on", "never", "--format", "json",
                    cwd=repo.root).json()
    assert data["summary"]["files_checked"] == 1
    assert [c["files_scanned"] for c in data["checkers"]] == [1]


def test_an_image_counts_its_own_files_apart(hullscan, repo: Repo) -> None:
    from image_builder import Layer, TestImage, docker_archive_legacy

    repo.write("Dockerfile", "FROM scratch\nCOPY app /app\nUSER 1000\n")
    repo.commit()
    image = TestImage([Layer({"app/a.txt": "a\n", "app/b.txt": "b\n"},
                             "COPY app /app # buildkit")], config={"User": "1000"})
    archive = docker_archive_legacy(image, repo.root.parent / "app.tar")
    alone = hullscan("image", f"docker-archive:{archive}", "--dockerfile", "Dockerfile",
                     "--fail-on", "never", cwd=repo.root)
    entries = hullscan("image", f"docker-archive:{archive}", "--dockerfile", "Dockerfile",
                       "--format", "json", cwd=repo.root).json()["checkers"][0]["files_scanned"]
    assert entries >= 2
    assert f"; {entries} files checked in the image;" in alone.out, alone.out
    summary = repo.root.parent / "image.md"
    hullscan("image", f"docker-archive:{archive}", "--dockerfile", "Dockerfile",
             "--fail-on", "never", "--summary", str(summary), cwd=repo.root)
    assert f"in {entries} files of the image." in summary.read_text()
    both = hullscan("scan", "--checkers", "dockerfile", "--image", f"docker-archive:{archive}",
                    "--dockerfile", "Dockerfile", "--fail-on", "never", cwd=repo.root)
    assert f"; 1 file checked (and {entries} in the image);" in both.out, both.out
