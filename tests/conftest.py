"""Shared fixtures: temporary git repositories, running hullscan, and SARIF validation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hullscan.cli import main

PROJECT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = PROJECT / "examples"
SARIF_SCHEMA = DATA / "sarif-schema-2.1.0.json"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Repo:
    """A temporary git work tree to scan."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        git(root, "init", "-q", "-b", "main")
        git(root, "config", "user.email", "test@example.invalid")
        git(root, "config", "user.name", "hullscan tests")
        git(root, "config", "commit.gpgsign", "false")

    def write(self, rel: str, content: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def commit(self, message: str = "commit") -> None:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


@pytest.fixture
def hullscan(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sarif_validator: jsonschema.protocols.Validator,
) -> Callable[..., Run]:
    """Run the hullscan CLI in process, in a given folder, and capture what a user sees.

    Every SARIF the run writes (`--sarif FILE`, or `--format sarif` to stdout or `-o`) is
    validated against the SARIF 2.1.0 schema and GitHub's ingestion rules."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
        folder = cwd or Path.cwd()
        with monkeypatch.context() as patch:
            if cwd is not None:
                patch.chdir(cwd)
            for key, value in (env or {}).items():
                patch.setenv(key, value)
            capsys.readouterr()
            code = main(list(args))
            captured = capsys.readouterr()
        result = Run(code, captured.out, captured.err)
        if code in (0, 1, 3):
            for log in _sarif_written(list(args), folder, result):
                errors = sorted(sarif_validator.iter_errors(log), key=lambda e: list(e.path))
                assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
                assert_github_rules(log, _repo_root(folder))
        return result

    return run


def _sarif_written(args: list[str], cwd: Path, result: Run) -> list[Any]:
    logs = []
    for flag in ("--sarif",):
        if flag in args:
            logs.append(json.loads((cwd / args[args.index(flag) + 1]).read_text("utf-8")))
    if "--format" in args and args[args.index("--format") + 1] == "sarif":
        for flag in ("-o", "--output"):
            if flag in args:
                logs.append(json.loads((cwd / args[args.index(flag) + 1]).read_text("utf-8")))
                break
        else:
            logs.append(json.loads(result.out))
    return logs


def _repo_root(folder: Path) -> Path:
    proc = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=folder,
                          capture_output=True, text=True, check=False)
    return Path(proc.stdout.strip()) if proc.returncode == 0 else folder


def run_subprocess(
    argv: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
) -> Run:
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    proc = subprocess.run(
        argv, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def hullscan_exe() -> list[str]:
    return [sys.executable, "-m", "hullscan"]


def wheelhouse(*needed: str) -> Path:
    """The local wheelhouse `scripts/test` fills (pre-commit hook environments, pip-audit's
    resolution): fails in CI and skips elsewhere when a needed wheel is missing."""
    folder = Path(os.environ.get("HULLSCAN_WHEELHOUSE", PROJECT / ".cache" / "wheelhouse"))
    missing = [name for name in needed if not any(folder.glob(f"{name}-*.whl"))]
    if missing:
        message = f"no {', '.join(missing)} wheel in {folder}: run scripts/test (it fills it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SARIF_SCHEMA.read_text("utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@pytest.fixture
def check_sarif(sarif_validator: jsonschema.protocols.Validator) -> Callable[[Any, Path], None]:
    """Validate a SARIF log against the 2.1.0 schema and GitHub's ingestion rules."""

    def check(log: Any, root: Path) -> None:
        errors = sorted(sarif_validator.iter_errors(log), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
        assert_github_rules(log, root)

    return check


def assert_github_rules(log: Any, root: Path) -> None:
    assert log["version"] == "2.1.0"
    assert log["$schema"]
    runs = log["runs"]
    assert len(runs) <= 20
    categories = [run["automationDetails"]["id"] for run in runs]
    assert len(set(categories)) == len(categories), categories
    for run in runs:
        driver = run["tool"]["driver"]
        assert driver["name"]
        rules = driver["rules"]
        ids = [r["id"] for r in rules]
        assert len(set(ids)) == len(ids)
        for rule in rules:
            assert rule["shortDescription"]["text"]
            assert 0 < len(rule["fullDescription"]["text"]) <= 1024
            assert rule["help"]["text"] and rule["help"]["markdown"]
            assert len(rule["name"]) <= 255
            score = rule["properties"]["security-severity"]
            assert isinstance(score, str) and 0.0 <= float(score) <= 10.0
        for result in run["results"]:
            assert result["message"]["text"]
            assert ids[result["ruleIndex"]] == result["ruleId"]
            assert len(result["locations"]) >= 1
            physical = result["locations"][0]["physicalLocation"]
            uri = physical["artifactLocation"]["uri"]
            assert uri and not uri.startswith(("/", "file:")) and "\\" not in uri, uri
            assert "uriBaseId" not in physical["artifactLocation"]
            assert physical["region"]["startLine"] >= 1
            assert (root / uri).is_file(), f"{uri} is not a file of the repository"
            assert result["partialFingerprints"]["primaryLocationLineHash"]


@pytest.fixture
def insecure_dockerfile() -> str:
    return (EXAMPLES / "insecure-app" / "Dockerfile").read_text("utf-8")


@pytest.fixture(scope="session")
def demo_osv_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local OSV database holding the examples' demo records (examples/osv-demo)."""
    from hullscan.vuln.local_db import LocalDatabase

    path = tmp_path_factory.mktemp("osv") / "demo.sqlite3"
    database = LocalDatabase(path)
    database.import_path(EXAMPLES / "osv-demo")
    database.close()
    return path


@pytest.fixture(autouse=True)
def _quiet_environment(monkeypatch: pytest.MonkeyPatch, demo_osv_db: Path) -> Iterator[None]:
    # Tests see what CI sees: no colour, no progress. Vulnerability data comes from the demo
    # database, offline; an accidental online lookup goes to a closed port on 127.0.0.1.
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("HULLSCAN_HADOLINT", raising=False)
    monkeypatch.setenv("HULLSCAN_OFFLINE", "1")
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(demo_osv_db))
    monkeypatch.setenv("HULLSCAN_OSV_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("HULLSCAN_OSV_DUMPS_URL", "http://127.0.0.1:9")
    yield
