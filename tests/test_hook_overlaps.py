"""One problem, one finding across pre-commit hooks: each hook is its own process, so the
secrets hook leaves a finding to a sibling hullscan hook the repository configures when that
hook reports the same problem (`hullscan.policy.overlaps`), and keeps it otherwise. Through real
`pre-commit run` on a temporary repository, with the hooks of this project's HEAD."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT, Repo, run_subprocess
from ruamel.yaml import YAML
from test_precommit import precommit_env  # noqa: F401  (the fixture)

from hullscan.policy.precommit import HOOK_CHECKERS, SiblingHook, hook_id, sibling_hooks

COMPOSE = """\
services:
  db:
    image: postgres:16
    user: "999"
    read_only: true
    environment:
      POSTGRES_PASSWORD: Xk9vQ2mP7rT4wZ8s
"""
DOCKERFILE = "FROM python:3.12\nENV API_TOKEN=Qm8sZk2vX9pL4rT7\nUSER 1000\n"
SETTINGS = 'DB_PASSWORD = "Hq7Zp2Xv9Lm4Rk8T"\n'


def test_the_hook_table_matches_the_hooks_and_their_entry_points(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hooks = YAML(typ="safe").load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == set(HOOK_CHECKERS)
    for hook in hooks:
        assert hook_id(hook["entry"]) == hook["id"]
    for path in sorted((PROJECT / "hooks").glob("*.py")):
        if path.stem == "__init__":
            continue
        module = importlib.import_module(f"hullscan_hooks.{path.stem}")
        if not hasattr(module, "run_hook"):
            continue  # not a file hook (the image hook runs `hullscan image`)
        seen: dict[str, Any] = {}

        def capture(argv: Any, seen: dict[str, Any] = seen, **kwargs: Any) -> int:
            seen.update(kwargs)
            return 0

        monkeypatch.setattr(module, "run_hook", capture)
        module.main([])
        assert HOOK_CHECKERS[hook_id(seen["prog"])] == (
            tuple(seen["checkers"]) if seen["checkers"] is not None else None), path.stem


def test_sibling_hooks_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text(
        "default_stages: [pre-commit]\n"
        "repos:\n"
        "  - repo: https://github.com/hullscan/hullscan\n"
        "    rev: 0123456789abcdef0123456789abcdef01234567\n"
        "    hooks:\n"
        "      - id: hullscan-secrets\n"
        "      - id: hullscan-compose\n"
        "        files: ^deploy/\n"
        "      - id: hullscan-dockerfile\n"
        "        stages: [pre-push]\n"
        "      - id: hullscan-image\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - {id: hullscan-code, name: not ours, entry: ./lint.sh, language: script}\n"
        "  - repo: meta\n"
        "    hooks: [{id: check-hooks-apply}]\n"
    )
    found = sibling_hooks(tmp_path, "hullscan-secrets", environ={})
    # the Dockerfile hook runs at push only, the image hook needs an image, the local
    # hullscan-code is someone else's script
    assert found == (SiblingHook("hullscan-compose", ("compose",), "^deploy/", None),)
    assert found[0].covers("deploy/compose.yaml") and not found[0].covers("compose.yaml")
    assert sibling_hooks(tmp_path, "hullscan-secrets", environ={"SKIP": "hullscan-compose"}) \
        == ()
    assert sibling_hooks(tmp_path / "nowhere", "hullscan-secrets", environ={}) == ()
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: [unclosed\n")
    assert sibling_hooks(tmp_path, "hullscan-secrets", environ={}) == ()


def _config(*hooks: str) -> str:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT, capture_output=True,
                          text=True, check=True).stdout.strip()
    listed = "".join(f"      - id: {hook}\n" for hook in hooks)
    return f"repos:\n  - repo: {PROJECT}\n    rev: {head}\n    hooks:\n{listed}"


def _sections(out: str) -> dict[str, str]:
    """Each hook's output in a `pre-commit run` log, by hook id."""
    parts = re.split(r"^- hook id: ", out, flags=re.MULTILINE)
    return {part.split("\n", 1)[0].strip(): part for part in parts[1:]}


def test_secrets_hook_leaves_container_lines_to_the_sibling_hooks(
    repo: Repo, precommit_env: dict[str, str],  # noqa: F811
) -> None:
    repo.write("compose.yaml", COMPOSE)
    repo.write("Dockerfile", DOCKERFILE)
    repo.write(".dockerignore", ".git\n")
    repo.write("settings.py", SETTINGS)
    repo.write(".pre-commit-config.yaml", _config(
        "hullscan-dockerfile", "hullscan-compose", "hullscan-secrets"))
    repo.commit()
    argv = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"]
    run = run_subprocess(argv, repo.root, env=precommit_env, timeout=1800)
    assert run.code == 1, run.out + run.err
    hooks = _sections(run.out)
    assert re.search(r"^compose\.yaml:7:\d+ high HS110 ", hooks["hullscan-compose"],
                     re.MULTILINE), hooks["hullscan-compose"]
    assert re.search(r"^Dockerfile:2:\d+ high HS110 ", hooks["hullscan-dockerfile"],
                     re.MULTILINE), hooks["hullscan-dockerfile"]
    secrets = hooks["hullscan-secrets"]
    # the Python file is the secrets hook's alone; the two container lines are one finding
    # each, from the container hooks
    assert re.search(r"^settings\.py:1:\d+ high HS210 ", secrets, re.MULTILINE), secrets
    assert not re.search(r"^(compose\.yaml|Dockerfile):\d+:\d+ \w+ HS210 ", secrets,
                         re.MULTILINE), secrets
    assert ("compose.yaml:7: HS210 on this line is left to the hullscan-compose hook, which "
            "reports the same problem as HS110") in secrets
    assert "Dockerfile:2: HS210 on this line is left to the hullscan-dockerfile hook" in secrets
    assert "Xk9vQ2mP7rT4wZ8s" not in run.out + run.err

    # a skipped sibling reports nothing, so the secrets hook keeps the finding
    skip = run_subprocess(argv, repo.root, env={**precommit_env, "SKIP": "hullscan-compose"},
                          timeout=1800)
    secrets = _sections(skip.out)["hullscan-secrets"]
    assert re.search(r"^compose\.yaml:7:\d+ high HS210 ", secrets, re.MULTILINE), secrets
    assert not re.search(r"^Dockerfile:\d+:\d+ \w+ HS210 ", secrets, re.MULTILINE), secrets

    # only the secrets hook configured: every secret is its finding
    repo.write(".pre-commit-config.yaml", _config("hullscan-secrets"))
    repo.commit("secrets hook only")
    alone = run_subprocess(argv, repo.root, env=precommit_env, timeout=1800)
    assert alone.code == 1, alone.out + alone.err
    secrets = _sections(alone.out)["hullscan-secrets"]
    for where in ("compose\\.yaml:7", "Dockerfile:2", "settings\\.py:1"):
        assert re.search(rf"^{where}:\d+ high HS210 ", secrets, re.MULTILINE), secrets
    assert "left to" not in secrets


def test_the_files_table_matches_the_hooks() -> None:
    from hullscan.policy.precommit import HOOK_FILES

    hooks = {h["id"]: h for h in YAML(typ="safe").load(
        (PROJECT / ".pre-commit-hooks.yaml").read_text())}
    for name, pattern in HOOK_FILES.items():
        assert hooks[name]["files"] == pattern, name
        assert not {"types", "types_or"} & set(hooks[name]), name


def test_a_file_is_left_to_the_most_specific_hook_that_gets_it(tmp_path: Path) -> None:
    from hullscan.policy.precommit import checked_elsewhere

    (tmp_path / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: https://github.com/hullscan/hullscan\n"
        "    rev: 0123456789abcdef0123456789abcdef01234567\n    hooks:\n"
        "      - id: hullscan\n      - id: hullscan-iac\n"
        "      - id: hullscan-compose\n        exclude: ^legacy/\n"
        "      - id: hullscan-dockerfile\n")
    for hook, checker, rel, other in [
        ("hullscan-iac", "compose", "compose.yaml", "hullscan-compose"),
        ("hullscan-iac", "compose", "legacy/compose.yaml", None),  # the compose hook's exclude
        ("hullscan-iac", "iac", "deploy.yaml", None),
        ("hullscan-compose", "compose", "compose.yaml", None),  # the most specific keeps it
        ("hullscan", "compose", "compose.yaml", "hullscan-compose"),
        ("hullscan", "iac", "deploy.yaml", "hullscan-iac"),
        ("hullscan", "iac", "chart/templates/_helpers.tpl", "hullscan-iac"),
        ("hullscan", "iac", "chart/templates/NOTES.txt", None),  # not in the iac files
        ("hullscan", "dockerfile", "Dockerfile", None),  # selected by type: not known here
    ]:
        siblings = sibling_hooks(tmp_path, hook, environ={})
        assert checked_elsewhere(hook, checker, rel, siblings) == other, (hook, checker, rel)
    skipped = sibling_hooks(tmp_path, "hullscan-iac", environ={"SKIP": "hullscan-compose"})
    assert checked_elsewhere("hullscan-iac", "compose", "compose.yaml", skipped) is None


COMPOSE_PRIVILEGED = "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n"


def test_compose_files_are_checked_by_one_hook_when_compose_and_iac_are_configured(
    repo: Repo, precommit_env: dict[str, str],  # noqa: F811
) -> None:
    """examples/pre-commit-config.yaml configures both: each Compose finding prints once, from
    hullscan-compose; with the compose hook skipped or not configured, hullscan-iac checks
    Compose files as before."""
    repo.write("compose.yaml", COMPOSE_PRIVILEGED)
    repo.write("deploy.yaml", (PROJECT / "tests" / "data" / "iac" / "kubernetes" /
                               "insecure.yaml").read_text())
    repo.write(".pre-commit-config.yaml", _config("hullscan-compose", "hullscan-iac"))
    repo.commit()
    argv = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"]
    privileged = re.compile(r"^compose\.yaml:4:\d+ high HS132 ", re.MULTILINE)
    run = run_subprocess(argv, repo.root, env=precommit_env, timeout=1800)
    assert run.code == 1, run.out + run.err
    hooks = _sections(run.out)
    assert privileged.search(hooks["hullscan-compose"]), hooks["hullscan-compose"]
    iac = hooks["hullscan-iac"]
    assert not re.search(r"^compose\.yaml:", iac, re.MULTILINE), iac
    assert re.search(r"^deploy\.yaml:28:\d+ critical CKV_K8S_16 ", iac, re.MULTILINE), iac
    assert ("1 file(s) left to the hullscan-compose hook, which runs the compose checker on "
            "them (compose.yaml)") in iac
    assert len(privileged.findall(run.out)) == 1

    skip = run_subprocess(argv, repo.root, env={**precommit_env, "SKIP": "hullscan-compose"},
                          timeout=1800)
    assert privileged.search(_sections(skip.out)["hullscan-iac"]), skip.out

    repo.write(".pre-commit-config.yaml", _config("hullscan-iac"))
    repo.commit("iac hook only")
    alone = run_subprocess(argv, repo.root, env=precommit_env, timeout=1800)
    iac = _sections(alone.out)["hullscan-iac"]
    assert privileged.search(iac), iac
    assert "left to" not in iac
