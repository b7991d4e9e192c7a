"""Fail closed, never crash (issue 12): symbolic link loops in the scanned tree, any exception
anywhere in a run, a stdout closed early, and the exit codes users rely on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo
from image_builder import DEBIAN_OS_RELEASE, Layer, TestImage, docker_archive_legacy

DOCKERFILE = "FROM python\n"  # HS100 (root) and HS102 (no tag): high findings
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: nginx
      securityContext:
        privileged: true
"""
AWS_ID = "AKIA" + "Z7QW3RTY5UIOPLKJ"
SECRET = f'key_id = "{AWS_ID}"\n'


def make_loops(root: Path) -> None:
    """Every shape of loop real repositories commit."""
    os.symlink("latest", root / "latest")  # a self link
    os.symlink("b", root / "a")  # a -> b -> a
    os.symlink("a", root / "b")
    (root / "charts" / "sub").mkdir(parents=True)
    os.symlink("..", root / "charts" / "sub" / "up")  # a folder link to its own parent
    os.symlink(".", root / "here")  # a folder link to the folder that holds it


LOOP_WARNINGS = {
    "latest": "symbolic link loop (to latest): skipped",
    "a": "symbolic link loop (to b): skipped",
    "b": "symbolic link loop (to a): skipped",
    "charts/sub/up": "symbolic link loop (to .., a folder that contains it): skipped",
    "here": "symbolic link loop (to ., a folder that contains it): skipped",
}


def sarif_runs(path: Path) -> dict[str, dict[str, Any]]:
    log = json.loads(path.read_text("utf-8"))
    return {run["automationDetails"]["id"].split("/")[1]: run for run in log["runs"]}


def discovery_warnings(data: dict[str, Any]) -> dict[str, str]:
    return {n["path"]: n["message"] for n in data["notifications"]
            if n["checker"] == "discovery" and n["level"] == "warning"}


@pytest.mark.parametrize("in_git", [True, False], ids=["git", "no-git"])
@pytest.mark.parametrize(("command", "files", "rule"), [
    ("scan", {"Dockerfile": DOCKERFILE}, "HS100"),
    ("iac", {"k8s/pod.yaml": POD}, "CKV_K8S_16"),  # privileged
    ("secrets", {"settings.py": SECRET}, "HS200"),
])
def test_symlink_loops_are_skipped_with_a_warning_naming_each(
    hullscan, tmp_path: Path, in_git: bool, command: str, files: dict[str, str], rule: str
) -> None:
    root = tmp_path / "repo"
    if in_git:
        repo = Repo(root)
        for rel, content in files.items():
            repo.write(rel, content)
        make_loops(root)
        repo.commit()  # git tracks the links themselves
    else:
        for rel, content in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(content)
        make_loops(root)
    run = hullscan(command, ".", "--format", "json", "--sarif", "out.sarif", cwd=root)
    assert "Traceback" not in run.err and "RuntimeError" not in run.err
    assert run.code == 1, run.err  # the findings block; nothing crashed
    data = run.json()
    assert discovery_warnings(data) == LOOP_WARNINGS
    for link, message in LOOP_WARNINGS.items():
        assert f"hullscan: warning: discovery: {link}: {message}" in run.err
    assert rule in {f["rule"]["id"] for f in data["findings"]}
    runs = sarif_runs(root / "out.sarif")  # written, with the findings and the warnings
    assert any(r["ruleId"] == rule for checker in runs.values() for r in checker["results"])
    notes = runs["discovery"]["invocations"][0]["toolExecutionNotifications"]
    assert {n["message"]["text"] for n in notes} >= set(LOOP_WARNINGS.values())


def test_excluded_loops_are_never_followed(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", DOCKERFILE)
    repo.write(".hullscan.yaml", "exclude:\n  - latest\n  - a\n  - b\n  - charts/**\n  - here\n")
    make_loops(repo.root)
    repo.commit()
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    assert run.code == 1
    assert discovery_warnings(run.json()) == {}
    assert "symbolic link loop" not in run.err
    assert "5 file(s) not scanned: excluded by `exclude:` in .hullscan.yaml" in run.err


def test_loops_named_on_the_command_line(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", DOCKERFILE)
    make_loops(repo.root)
    repo.commit()
    run = hullscan("dockerfile", "latest", "a", "Dockerfile", "--format", "json", cwd=repo.root)
    assert run.code == 1
    assert discovery_warnings(run.json()) == {
        "latest": LOOP_WARNINGS["latest"], "a": LOOP_WARNINGS["a"]}
    # a path through a loop cannot be scanned at all: a usage error in one line
    through = hullscan("dockerfile", "latest/Dockerfile", cwd=repo.root)
    assert through.code == 2
    assert through.err == ("hullscan: error: latest/Dockerfile: too many levels of symbolic "
                           "links\n")


def test_special_files_are_skipped_with_a_warning(hullscan, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    os.mkfifo(tmp_path / "queue")
    os.symlink("/dev/zero", tmp_path / "zero")  # reading it would never end
    run = hullscan("scan", "--format", "json", cwd=tmp_path)
    assert run.code == 1, run.err
    assert discovery_warnings(run.json()) == {
        "queue": "a fifo, not a regular file: skipped",
        "zero": "symbolic link to a character device: skipped",
    }


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_an_unreadable_folder_is_a_warning(hullscan, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "private").mkdir()
    (tmp_path / "private").chmod(0)
    try:
        run = hullscan("scan", "--format", "json", cwd=tmp_path)
    finally:
        (tmp_path / "private").chmod(0o755)
    assert run.code == 1
    assert discovery_warnings(run.json()) == {
        "private": "folder cannot be read (Permission denied): skipped"}


def debian_image() -> TestImage:
    return TestImage(layers=[
        Layer({"usr/lib/os-release": DEBIAN_OS_RELEASE,
               "etc/os-release": ("symlink", "../usr/lib/os-release")},
              "/bin/sh -c #(nop) ADD file:5d6a8e in / "),
        Layer({"hello": "hi\n"}, "RUN /bin/sh -c echo hi > /hello # buildkit"),
        Layer({"app/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n"
                             "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz\n"
                             "-----END OPENSSH PRIVATE KEY-----\n"},
              "COPY app /app # buildkit"),
    ])


IMAGE_DOCKERFILE = "FROM debian:12\nRUN echo hi > /hello\nCOPY app /app\n"


def test_image_does_not_walk_the_current_folder(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", IMAGE_DOCKERFILE)
    make_loops(repo.root)
    repo.commit()
    docker_archive_legacy(debian_image(), repo.root / "app.tar")
    run = hullscan("image", "docker-archive:app.tar", "--dockerfile", "Dockerfile",
                   "--format", "json", "--sarif", "image.sarif", cwd=repo.root)
    assert run.code == 1, run.err
    assert "symbolic link loop" not in run.err and "Traceback" not in run.err
    assert discovery_warnings(run.json()) == {}
    key = next(f for f in run.json()["findings"] if f["rule"]["id"] == "HS303")
    assert key["location"] == {"path": "Dockerfile", "start_line": 3, "start_column": 1,
                               "end_line": 3, "end_column": None} or \
        key["location"]["start_line"] == 3
    assert "image" in sarif_runs(repo.root / "image.sarif")
    # a --dockerfile that is a loop is a usage error, not a crash
    loop = hullscan("image", "docker-archive:app.tar", "--dockerfile", "latest", cwd=repo.root)
    assert loop.code == 2
    assert loop.err == "hullscan: error: latest: no such file\n"


# --- any exception: exit 3, one line, -v for the traceback, the others' results kept ----------


def _crash(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("forced crash")


def test_a_crashing_checker_is_exit_3_and_the_others_results_are_written(
    hullscan, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hullscan.checkers.secrets import SecretsChecker

    repo.write("Dockerfile", DOCKERFILE)
    repo.write("settings.py", SECRET)
    repo.commit()
    monkeypatch.setattr(SecretsChecker, "check", _crash)
    run = hullscan("scan", "--format", "json", "--sarif", "out.sarif", cwd=repo.root)
    assert run.code == 3
    assert "hullscan: error: secrets: internal error: RuntimeError: forced crash" in run.err
    assert "Traceback" not in run.err
    assert {"HS100", "HS102"} <= {f["rule"]["id"] for f in run.json()["findings"]}
    runs = sarif_runs(repo.root / "out.sarif")
    assert {r["ruleId"] for r in runs["dockerfile"]["results"]} >= {"HS100", "HS102"}
    assert runs["dockerfile"]["invocations"][0]["executionSuccessful"] is True
    secrets = runs["secrets"]["invocations"][0]
    assert secrets["executionSuccessful"] is False
    assert secrets["toolExecutionNotifications"][0]["message"]["text"] == (
        "internal error: RuntimeError: forced crash")
    verbose = hullscan("scan", "-v", "--format", "json", cwd=repo.root)
    assert verbose.code == 3
    assert "hullscan: the secrets checker crashed" in verbose.err
    assert "hullscan: Traceback (most recent call last):" in verbose.err
    assert "hullscan: RuntimeError: forced crash" in verbose.err


def test_a_crashing_file_selection_is_that_checkers_failure(
    hullscan, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hullscan.checkers.compose import ComposeChecker

    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    monkeypatch.setattr(ComposeChecker, "applies", _crash)
    run = hullscan("scan", "--format", "json", "--sarif", "out.sarif", cwd=repo.root)
    assert run.code == 3
    assert "hullscan: error: compose: internal error: RuntimeError: forced crash" in run.err
    runs = sarif_runs(repo.root / "out.sarif")
    assert runs["compose"]["invocations"][0]["executionSuccessful"] is False
    assert runs["dockerfile"]["results"]


@pytest.mark.parametrize(("target", "stage"), [
    ("hullscan.pipeline.discover", "discovery"),
    ("hullscan.pipeline.find_root", "finding the repository root"),
    ("hullscan.pipeline.load_request_config", "configuration"),
    ("hullscan.pipeline.apply_policy", "policy"),
])
def test_a_crash_outside_the_checkers_is_exit_3_in_one_line(
    hullscan, repo: Repo, monkeypatch: pytest.MonkeyPatch, target: str, stage: str
) -> None:
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    monkeypatch.setattr(target, _crash)
    run = hullscan("scan", cwd=repo.root)
    assert run.code == 3
    assert run.err == (f"hullscan: error: {stage}: internal error: RuntimeError: forced crash "
                       "(-v shows the traceback)\n")
    assert run.out == ""
    verbose = hullscan("scan", "-v", cwd=repo.root)
    assert verbose.code == 3
    lines = verbose.err.splitlines()
    assert f"hullscan: error: {stage}: internal error: RuntimeError: forced crash" in lines
    assert "hullscan: Traceback (most recent call last):" in lines
    assert lines[-1] == "hullscan: RuntimeError: forced crash"
    assert all(line.startswith("hullscan: ") for line in lines)


def test_a_crash_in_the_policy_of_one_checker_keeps_the_others(
    hullscan, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hullscan.policy import apply as policy

    real = policy._finish

    def process(result: Any, *args: Any, **kwargs: Any) -> Any:
        if result.checker == "secrets":
            raise KeyError("fingerprint")
        return real(result, *args, **kwargs)

    repo.write("Dockerfile", DOCKERFILE)
    repo.write("settings.py", SECRET)
    repo.commit()
    monkeypatch.setattr(policy, "_finish", process)
    run = hullscan("scan", "--format", "json", "--sarif", "out.sarif", cwd=repo.root)
    assert run.code == 3
    assert ("hullscan: error: secrets: internal error while applying the configuration to its "
            "1 finding(s): KeyError: 'fingerprint'") in run.err
    runs = sarif_runs(repo.root / "out.sarif")
    assert runs["secrets"]["invocations"][0]["executionSuccessful"] is False
    assert {r["ruleId"] for r in runs["dockerfile"]["results"]} >= {"HS100", "HS102"}


def test_a_crashing_output_format_still_writes_the_sarif(
    hullscan, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    monkeypatch.setattr("hullscan.formats.text.render", _crash)
    run = hullscan("scan", "--sarif", "out.sarif", cwd=repo.root)
    assert run.code == 3
    assert run.err.splitlines() == [
        "hullscan: error: the text output: internal error: RuntimeError: forced crash "
        "(-v shows the traceback)"]
    runs = sarif_runs(repo.root / "out.sarif")
    assert {r["ruleId"] for r in runs["dockerfile"]["results"]} >= {"HS100", "HS102"}


def test_a_crashing_sarif_writer_still_writes_the_other_outputs(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hullscan.cli import main

    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    monkeypatch.chdir(repo.root)
    monkeypatch.setattr("hullscan.formats.sarif.render", _crash)
    code = main(["scan", "--format", "json", "--sarif", "out.sarif", "--outputs", "counts"])
    out, err = capsys.readouterr()
    assert code == 3
    assert err.splitlines()[-1] == (
        "hullscan: error: writing the SARIF file out.sarif: internal error: RuntimeError: "
        "forced crash (-v shows the traceback)")
    assert not (repo.root / "out.sarif").exists()
    assert {"HS100", "HS102"} <= {f["rule"]["id"] for f in json.loads(out)["findings"]}
    assert "blocking=2\n" in (repo.root / "counts").read_text()


def test_baseline_merge_and_db_share_the_boundary(
    hullscan, repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    monkeypatch.setattr("hullscan.pipeline.discover", _crash)
    baseline = hullscan("baseline", "write", cwd=repo.root)
    assert baseline.code == 3
    assert baseline.err == ("hullscan: error: discovery: internal error: RuntimeError: forced "
                            "crash (-v shows the traceback)\n")
    monkeypatch.setattr("hullscan.formats.sarif_merge.merge_files", _crash)
    merge = hullscan("merge", "a.sarif", "-o", "b.sarif", cwd=repo.root)
    assert merge.code == 3
    assert merge.err == ("hullscan: error: internal error: RuntimeError: forced crash (-v "
                         "shows the traceback)\n")
    monkeypatch.setattr("hullscan.vuln.local_db.LocalDatabase.status", _crash)
    status = hullscan("db", "status", cwd=repo.root)
    assert status.code == 3
    assert status.err == ("hullscan: error: internal error: RuntimeError: forced crash (-v "
                          "shows the traceback)\n")


def test_keyboard_interrupt_stays_130(hullscan, repo: Repo,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    monkeypatch.setattr("hullscan.pipeline.discover", interrupt)
    run = hullscan("scan", cwd=repo.root)
    assert run.code == 130
    assert run.err == "hullscan: interrupted\n"


# --- a closed stdout --------------------------------------------------------------------------


def _closed_stdout(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run hullscan with its stdout a pipe whose reader has gone before it writes anything
    (`hullscan ... | head -1` with a fast `head`)."""
    proc = subprocess.Popen([sys.executable, "-m", "hullscan", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    return proc.wait(timeout=300), err


def test_a_closed_stdout_ends_quietly_with_the_runs_exit_code(repo: Repo) -> None:
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    code, err = _closed_stdout(["db", "status"], repo.root)
    assert (code, err) == (0, "")
    code, err = _closed_stdout(["scan"], repo.root)
    assert code == 1  # the findings still block
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
    code, err = _closed_stdout(["--help"], repo.root)
    assert (code, err) == (0, "")
    shell = subprocess.run(  # the real thing: a shell pipeline
        ["bash", "-c", f"set -o pipefail; {sys.executable} -m hullscan scan --format json "
         "| head -c 1"], cwd=repo.root, capture_output=True, text=True, timeout=300)
    assert shell.returncode == 1 and shell.stdout == "{"
    assert "Traceback" not in shell.stderr and "BrokenPipe" not in shell.stderr


# --- exit codes users can trust ---------------------------------------------------------------


def test_fail_on_is_case_insensitive(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    assert hullscan("dockerfile", "Dockerfile", "--fail-on", "HIGH", cwd=repo.root).code == 1
    assert hullscan("dockerfile", "Dockerfile", "--fail-on", "Critical", cwd=repo.root).code == 0
    assert hullscan("dockerfile", "Dockerfile", "--fail-on", "NEVER", cwd=repo.root).code == 0
    bad = hullscan("dockerfile", "Dockerfile", "--fail-on", "urgent", cwd=repo.root)
    assert bad.code == 2 and "invalid choice: 'urgent'" in bad.err
    repo.write(".hullscan.yaml", "fail_on: CRITICAL\nseverity:\n  HS100: Critical\n")
    run = hullscan("dockerfile", "Dockerfile", "--format", "json", cwd=repo.root)
    assert run.code == 1  # HS100 raised to critical, at the threshold
    assert {f["rule"]["id"]: f["severity"] for f in run.json()["findings"]}["HS100"] == "critical"


def test_base_without_new_only(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    run = hullscan("scan", "--base", "main", cwd=repo.root)
    assert run.code == 2
    assert run.err == ("hullscan: error: --base needs --new-only (--new-only --base REF blocks "
                       "only on findings REF does not have)\n")


@pytest.mark.parametrize(("ref", "message"), [
    ("docker-archive:missing.tar", "docker-archive:missing.tar: missing.tar: no such file"),
    ("docker-archive:", "'docker-archive:': no path after docker-archive:"),
    ("docker-archive:images", "docker-archive:images: images is a folder, not a docker save "
     "archive (an OCI image layout folder is oci:images)"),
    ("oci:nowhere:1.0", "oci:nowhere:1.0: nowhere: no such file or folder"),
    ("dir:nowhere", "dir:nowhere: nowhere: no such folder"),
    ("dir:Dockerfile", "dir:Dockerfile: Dockerfile is not a folder"),
    ("registry:Not A Name", "'registry:Not A Name': not a valid image reference after "
     "registry: (NAME[:TAG|@DIGEST])"),
    ("docker:", "'docker:': no image name after docker:"),
    ("Dockerfile", "'Dockerfile': name the image with one of: docker-archive:PATH, "
     "oci:PATH[:TAG], dir:PATH"),
    ("docker-archiv:app.tar", "'docker-archiv:app.tar': docker-archiv: is not a form hullscan "
     "reads; name the image with one of: docker-archive:PATH"),
    ("oci-archive:app.tar", "'oci-archive:app.tar': oci-archive: is not a form hullscan reads"),
    ("Bad Name", "'Bad Name': not an image name; name the image with one of"),
])
def test_a_missing_image_or_an_unknown_ref_form_is_exit_2(
    hullscan, repo: Repo, ref: str, message: str
) -> None:
    repo.write("Dockerfile", IMAGE_DOCKERFILE)
    (repo.root / "images").mkdir()
    repo.commit()
    docker_archive_legacy(debian_image(), repo.root / "app.tar")
    for args in (("image", ref), ("scan", "--image", ref, "--dockerfile", "Dockerfile")):
        run = hullscan(*args, cwd=repo.root)
        assert run.code == 2, (args, run.err)
        (line,) = run.err.splitlines()
        assert line.startswith(f"hullscan: error: {message}"), line


# --- an image whose history does not match the Dockerfile -------------------------------------


def _image_warnings(run: Any) -> list[dict[str, Any]]:
    return [n for n in run.json()["notifications"]
            if n["checker"] == "image" and n["level"] == "warning"]


def test_an_image_history_that_does_not_match_the_dockerfile_is_a_warning(
    hullscan, repo: Repo
) -> None:
    repo.write("Dockerfile", IMAGE_DOCKERFILE)
    repo.write("Other.Dockerfile", "FROM debian:12\nRUN apk add nginx\n")
    repo.write("Partial.Dockerfile",
               "FROM debian:12\nRUN echo hi > /hello\nRUN make\nCOPY app /app\n")
    repo.commit()
    docker_archive_legacy(debian_image(), repo.root / "app.tar")

    def image(dockerfile: str, ref: str = "docker-archive:app.tar") -> Any:
        return hullscan("image", ref, "--dockerfile", dockerfile, "--format", "json",
                        "--sarif", "image.sarif", cwd=repo.root)

    matching = image("Dockerfile")
    assert matching.code == 1 and _image_warnings(matching) == []
    key = next(f for f in matching.json()["findings"] if f["rule"]["id"] == "HS303")
    assert key["location"]["start_line"] == 3  # the COPY

    other = image("Other.Dockerfile")
    assert other.code == 1  # a warning: the findings are still there and still block
    (warning,) = _image_warnings(other)
    assert (warning["path"], warning["line"]) == ("Other.Dockerfile", 1)
    assert warning["message"] == (
        "the history of docker-archive:app.tar does not match Other.Dockerfile: none of the "
        "RUN/COPY/ADD instructions of its final stage (line 2) is in the image's history, so "
        "every layer is taken for the base image's and every finding points at the FROM line. "
        "Is Other.Dockerfile the Dockerfile docker-archive:app.tar was built from?")
    assert "hullscan: warning: image: Other.Dockerfile:1: the history of" in other.err
    key = next(f for f in other.json()["findings"] if f["rule"]["id"] == "HS303")
    assert key["location"]["start_line"] == 1 and "(base image: COPY app /app)" in key["message"]
    notes = sarif_runs(repo.root / "image.sarif")["image"]["invocations"][0][
        "toolExecutionNotifications"]
    assert any(n["level"] == "warning" and "does not match Other.Dockerfile"
               in n["message"]["text"] for n in notes)

    partial = image("Partial.Dockerfile")
    (warning,) = _image_warnings(partial)
    assert ("1 of the 3 RUN/COPY/ADD instructions of its final stage (line 3) is not in the "
            "image's history") in warning["message"]

    (repo.root / "rootfs" / "etc").mkdir(parents=True)
    (repo.root / "rootfs" / "etc" / "os-release").write_text(DEBIAN_OS_RELEASE)
    flat = hullscan("image", "dir:rootfs", "--dockerfile", "Dockerfile", "--format", "json",
                    cwd=repo.root)
    (warning,) = _image_warnings(flat)
    assert warning["message"] == (
        "dir:rootfs has no build history, so its layers cannot be matched to the instructions "
        "of Dockerfile: every finding points at the FROM line as the base image's")
