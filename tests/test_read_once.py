"""Discovery reads each file once: however many checkers, the policy and the formats use a file,
hullscan opens it once per scan (the wrapped tools that read files themselves aside)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from conftest import Repo

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:latest
          env:
            - name: DB_PASSWORD
              value: "Tr0ub4dor-and-3-horses"
          securityContext:
            privileged: true
"""


def test_each_file_is_opened_once_per_scan(
    hullscan, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write("Dockerfile", "FROM python:latest\nENV API_TOKEN=Zq3Rt9Lm2Xv8Bn4Kp7Wd\n")
    repo.write("compose.yaml", "services:\n  web:\n    image: nginx:latest\n    privileged: true\n")
    repo.write("k8s/deploy.yaml", DEPLOY)
    repo.write("app.py", 'import subprocess\nsubprocess.call(input(), shell=True)\n')
    repo.commit()
    opened: Counter[str] = Counter()
    real_open = Path.open

    def counting_open(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        mode = args[0] if args else kwargs.get("mode", "r")
        if "r" in mode and self.is_relative_to(repo.root):
            opened[self.relative_to(repo.root).as_posix()] += 1
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counting_open)
    run = hullscan("scan", "--checkers", "dockerfile,compose,iac,secrets,code",
                   "--format", "json", "--fail-on", "never", cwd=repo.root)
    assert run.code == 0, run.err
    rules = {(f["location"]["path"], f["rule"]["id"]) for f in run.json()["findings"]}
    # every file had findings from several checkers (so the policy read their lines too)
    assert {p for p, _ in rules} >= {"Dockerfile", "compose.yaml", "k8s/deploy.yaml", "app.py"}
    scanned = {rel: n for rel, n in opened.items()
               if rel in ("Dockerfile", "compose.yaml", "k8s/deploy.yaml", "app.py")}
    assert scanned == {"Dockerfile": 1, "compose.yaml": 1, "k8s/deploy.yaml": 1, "app.py": 1}


def test_past_the_cache_budget_files_are_read_again_with_the_same_results(
    hullscan, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared content is bounded (CACHE_BUDGET): a huge repository does not hold every file
    in memory for the whole scan; past the budget each reader reads the file, and the findings
    are the same."""
    from hullscan.core import textfile

    repo.write("Dockerfile", "FROM python:latest\nENV API_TOKEN=Zq3Rt9Lm2Xv8Bn4Kp7Wd\n")
    repo.write("k8s/deploy.yaml", DEPLOY)
    repo.commit()
    args = ("scan", "--checkers", "dockerfile,iac,secrets", "--format", "json",
            "--fail-on", "never")
    cached = hullscan(*args, cwd=repo.root).json()["findings"]
    opened: Counter[str] = Counter()
    real_open = Path.open

    def counting_open(self: Path, *a, **kw):  # type: ignore[no-untyped-def]
        if self.is_relative_to(repo.root):
            opened[self.relative_to(repo.root).as_posix()] += 1
        return real_open(self, *a, **kw)

    monkeypatch.setattr(textfile, "CACHE_BUDGET", 0)
    monkeypatch.setattr(Path, "open", counting_open)
    uncached = hullscan(*args, cwd=repo.root).json()["findings"]
    assert uncached == cached and cached
    assert opened["k8s/deploy.yaml"] > 1  # nothing kept: each reader read it
