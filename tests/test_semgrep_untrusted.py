"""semgrep never fetches rules and never sees the job's secrets (issue 11, point 3): rule entries
that are not files of the repository are a configuration error, and semgrep runs with metrics
off and a minimal environment."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import Repo

RULE = ("rules:\n  - id: js-eval\n    pattern: eval($X)\n    message: eval\n"
        "    languages: [javascript]\n    severity: ERROR\n")


@pytest.mark.parametrize("rule", [
    "auto", "p/javascript", "r/javascript.lang.security.audit.eval",
    "https://semgrep.dev/c/p/javascript", "../outside.yaml", "/etc/semgrep.yaml",
])
def test_rules_that_are_not_repository_files_are_refused(hullscan, repo: Repo, rule: str) -> None:
    repo.write("web/app.js", "eval(userInput);\n")
    repo.write(".hullscan.yaml", f"checkers:\n  code:\n    semgrep_rules: [{json.dumps(rule)}]\n")
    run = hullscan("code", ".", cwd=repo.root)
    assert run.code == 2
    assert (f"checkers.code.semgrep_rules: {rule}: not a rule file or folder of the repository"
            in run.err)


def test_semgrep_runs_without_metrics_or_the_job_secrets(
    hullscan, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "semgrep-calls.jsonl"
    fake = tmp_path / "semgrep"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"with open({str(log)!r}, 'a') as out:\n"
        "    out.write(json.dumps({'argv': sys.argv[1:], 'env': dict(os.environ)}) + '\\n')\n"
        "print(json.dumps({'results': [], 'errors': []}))\n")
    fake.chmod(0o755)
    monkeypatch.setenv("HULLSCAN_SEMGREP", str(fake))
    monkeypatch.setenv("SEMGREP_APP_TOKEN", "not-a-real-semgrep-token")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_notarealtokennotarealtoken0000000")
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "github-output"))
    repo.write("rules/js.yaml", RULE)
    repo.write("web/app.js", "eval(userInput);\n")
    repo.write(".hullscan.yaml", "checkers:\n  code:\n    semgrep_rules: [rules/js.yaml]\n")
    run = hullscan("code", ".", "--format", "json", cwd=repo.root)
    assert run.code == 0
    (call,) = [json.loads(line) for line in log.read_text().splitlines()]
    argv = call["argv"]
    assert argv[argv.index("--metrics") + 1] == "off"
    assert argv[argv.index("--config") + 1] == str(repo.root / "rules" / "js.yaml")
    assert not [k for k in call["env"] if k.startswith("GITHUB_") or "TOKEN" in k]
    assert call["env"]["SEMGREP_SEND_METRICS"] == "off"
