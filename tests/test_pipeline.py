"""The pipeline on its own (`hullscan.pipeline.run`, real checkers): which checkers run on which
files, option combinations it refuses, shards, and discovery's own notifications."""

from __future__ import annotations

import pytest
from conftest import Repo

from hullscan.core.errors import UsageError
from hullscan.pipeline import DISCOVERY, ScanRequest, in_shard, parse_shard, run


@pytest.fixture
def tree(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> Repo:
    repo.write("Dockerfile", "FROM python:3.12\nUSER 1000\nHEALTHCHECK NONE\n")
    repo.write("compose.yaml", "services:\n  web:\n    image: nginx:1.27\n    user: '1000'\n")
    repo.write("notes.txt", "nothing here\n")
    repo.commit()
    monkeypatch.chdir(repo.root)
    return repo


@pytest.mark.parametrize(("request_", "message"), [
    (ScanRequest(new_only=True), "--new-only needs --base"),
    (ScanRequest(base="main"), "--base needs --new-only"),
    (ScanRequest(trust_head_config=True), "--trust-head-config is used with --new-only"),
    (ScanRequest(checkers=("image",)), "the image checker needs an image"),
])
def test_refused_option_combinations(tree: Repo, request_: ScanRequest, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        run(request_)


def test_each_checker_gets_its_files_and_a_run_even_without_any(tree: Repo) -> None:
    report = run(ScanRequest(checkers=("dockerfile", "compose", "secrets", "iac")))
    by_checker = {r.checker: r for r in report.results}
    assert by_checker["dockerfile"].paths == ("Dockerfile",)
    assert by_checker["compose"].paths == ("compose.yaml",)
    assert set(by_checker["secrets"].paths or ()) == {"Dockerfile", "compose.yaml", "notes.txt"}
    # no IaC file: an empty run all the same (it closes the alerts of fixed or deleted files)
    assert by_checker["iac"].paths == () and by_checker["iac"].successful
    assert report.files_checked == 3


def test_a_checker_disabled_in_the_configuration_does_not_run(tree: Repo) -> None:
    tree.write(".hullscan.yaml", "checkers:\n  compose:\n    enabled: false\n")
    report = run(ScanRequest(checkers=("dockerfile", "compose")))
    assert [r.checker for r in report.results] == ["dockerfile"]


def test_shards_split_the_files_and_cover_them_all(tree: Repo) -> None:
    for n in range(20):
        tree.write(f"pkg/notes{n}.txt", f"note {n}\n")
    whole = run(ScanRequest(checkers=("secrets",)))
    parts = [run(ScanRequest(checkers=("secrets",), shard=(i, 3))) for i in (1, 2, 3)]
    seen = [set(p.results[0].paths or ()) for p in parts]
    assert set().union(*seen) == set(whole.results[0].paths or ())
    assert sum(len(s) for s in seen) == len(whole.results[0].paths or ())
    assert all(in_shard(rel, (i + 1, 3)) for i, s in enumerate(seen) for rel in s)
    assert parse_shard("2/3") == (2, 3)
    with pytest.raises(UsageError):
        parse_shard("4/3")


def test_excluded_files_leave_a_discovery_note(tree: Repo) -> None:
    tree.write(".hullscan.yaml", "exclude:\n  - notes.txt\n")
    report = run(ScanRequest(checkers=("secrets",)))
    (discovery,) = [r for r in report.results if r.checker == DISCOVERY]
    assert any("excluded by `exclude:`" in n.message and "notes.txt" in n.message
               for n in discovery.notifications)
    secrets = next(r for r in report.results if r.checker == "secrets")
    assert "notes.txt" not in (secrets.paths or ())
