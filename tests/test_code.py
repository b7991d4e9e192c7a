"""The code checker: real bandit on files the tests write, test-file exclusion, bad input,
masked passwords, and semgrep (configuration error without it; JSON mapping on a recorded run)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from conftest import DATA, Repo

from hullscan.checkers import code as code_checker
from hullscan.checkers.code import bandit as bandit_adapter
from hullscan.core.model import Severity, content_fingerprint
from hullscan.discover import Target

# the one import each rule's code needs (importing subprocess or pickle is a low finding)
IMPORTS = {
    "B602": "import subprocess", "B301": "import pickle", "B506": "import yaml",
    "B105": "import os", "B106": "import os", "B324": "import hashlib",
    "B303": "from cryptography.hazmat.primitives import hashes", "B501": "import requests",
}


def _module(rule: str, body: str) -> str:
    """A module: one import line, a blank line, `def f(...)` on line 3, the body on line 4."""
    indented = "".join(f"    {line}\n" for line in body.splitlines())
    signature = "def f(cmd, data, user, url, cursor, connect, run):"
    return f"{IMPORTS.get(rule, 'import json')}\n\n{signature}\n{indented}"


# rule, vulnerable line, its severity, the fixed line
PAIRS = [
    ("B602", "subprocess.run(cmd, shell=True)", "high", 'subprocess.run(["ls", cmd])'),
    ("B604", "run(cmd, shell=True)", "low", "run(cmd)"),
    ("B307", "return eval(data)", "medium", "return int(data)"),
    ("B102", "exec(data)", "medium", "print(data)"),
    ("B301", "return pickle.loads(data)", "medium", "return str(data)"),
    ("B506", "return yaml.load(data)", "medium", "return yaml.safe_load(data)"),
    ("B105", 'password = "hunter2"', "low", 'password = os.environ["APP_PASSWORD"]'),
    ("B106", 'connect(password="s3cret!")', "low", 'connect(password=os.environ["PW"])'),
    ("B324", "return hashlib.md5(data)", "high", "return hashlib.sha256(data)"),
    ("B303", "return hashes.MD5()", "medium", "return hashes.SHA256()"),
    ("B501", "requests.get(url, verify=False, timeout=5)", "high",
     "requests.get(url, timeout=5)"),
    ("B608", "cursor.execute(\"SELECT * FROM t WHERE u = '%s'\" % user)", "medium",
     'cursor.execute("SELECT * FROM t WHERE u = %s", (user,))'),
    ("B101", "assert user", "low", "print(user)"),
]


def _findings(run) -> list[tuple[str, int, str]]:
    return [(f["rule"]["id"], f["location"]["start_line"], f["severity"])
            for f in run.json()["findings"]]


@pytest.mark.parametrize(("rule", "before", "severity", "after"), PAIRS,
                         ids=[p[0] for p in PAIRS])
def test_rule_before_and_after(
    hullscan, repo: Repo, rule: str, before: str, severity: str, after: str
) -> None:
    repo.write("app.py", _module(rule, before))
    line = 4
    run = hullscan("code", "app.py", "--format", "json", "--fail-on", severity,
                   "--sarif", "out.sarif", cwd=repo.root)
    assert run.code == 1, run.err
    assert (rule, line, severity) in _findings(run)
    finding = next(f for f in run.json()["findings"] if f["rule"]["id"] == rule)
    assert finding["rule"]["help_uri"].startswith("https://bandit.readthedocs.io/")
    assert finding["properties"]["cwe"] == finding["rule"]["cwe"]
    assert finding["rule"]["cwe"][0].startswith("CWE-")
    sarif = json.loads((repo.root / "out.sarif").read_text())
    [code_run] = [r for r in sarif["runs"] if r["automationDetails"]["id"] == "hullscan/code/"]
    [sarif_rule] = [r for r in code_run["tool"]["driver"]["rules"] if r["id"] == rule]
    assert sarif_rule["helpUri"] == finding["rule"]["help_uri"]

    repo.write("app.py", _module(rule, after))
    fixed = hullscan("code", "app.py", "--format", "json", "--fail-on", severity, cwd=repo.root)
    assert fixed.code == 0, fixed.out
    assert rule not in {r for r, _, _ in _findings(fixed)}


def test_severity_table() -> None:
    sev = code_checker.bandit_severity
    assert sev("HIGH", "HIGH") is Severity.HIGH
    assert sev("HIGH", "MEDIUM") is Severity.HIGH
    assert sev("HIGH", "LOW") is Severity.MEDIUM
    assert sev("MEDIUM", "LOW") is Severity.LOW
    assert sev("LOW", "LOW") is Severity.INFO
    assert Severity.CRITICAL not in code_checker.SEVERITY_TABLE.values()


def test_rules_doc_has_the_severity_table() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text()
    for conf_sev in ("HIGH", "MEDIUM", "LOW"):
        cells = [code_checker.SEVERITY_TABLE[(conf_sev, c)].value
                 for c in ("HIGH", "MEDIUM", "LOW")]
        assert f"| {conf_sev} | {' | '.join(cells)} |" in doc


TEST_FILES = ["tests/test_app.py", "test_top.py", "pkg/thing_test.py", "pkg/tests/helpers.py",
              "conftest.py"]


def test_test_files_are_excluded_by_default(hullscan, repo: Repo) -> None:
    for rel in [*TEST_FILES, "app.py"]:
        repo.write(rel, "def check(x):\n    assert x\n")
    run = hullscan("code", ".", "--format", "json", "--fail-on", "low", cwd=repo.root)
    assert run.code == 1
    assert [(f["location"]["path"], f["rule"]["id"], f["location"]["start_line"])
            for f in run.json()["findings"]] == [("app.py", "B101", 2)]
    # a hook passes test files by name: still excluded
    named = hullscan("code", *TEST_FILES, "--format", "json", "--fail-on", "low", cwd=repo.root)
    assert named.code == 0 and named.json()["findings"] == []


def test_test_file_exclusion_is_configurable(hullscan, repo: Repo) -> None:
    for rel in [*TEST_FILES, "app.py", "legacy/old.py"]:
        repo.write(rel, "def check(x):\n    assert x\n")
    repo.write(".hullscan.yaml", "checkers:\n  code:\n    exclude_tests: []\n")
    run = hullscan("code", ".", "--format", "json", cwd=repo.root)
    paths = {f["location"]["path"] for f in run.json()["findings"]}
    assert paths == {*TEST_FILES, "app.py", "legacy/old.py"}
    repo.write(".hullscan.yaml", "checkers:\n  code:\n    exclude_tests: ['legacy/**']\n")
    run = hullscan("code", ".", "--format", "json", cwd=repo.root)
    paths = {f["location"]["path"] for f in run.json()["findings"]}
    assert paths == {*TEST_FILES, "app.py"}


def test_unknown_code_setting_is_a_config_error(hullscan, repo: Repo) -> None:
    repo.write("app.py", "x = 1\n")
    repo.write(".hullscan.yaml", "checkers:\n  code:\n    exclude_test: []\n")
    run = hullscan("code", "app.py", cwd=repo.root)
    assert run.code == 2
    assert ".hullscan.yaml:3: checkers.code.exclude_test: unknown key" in run.err
    assert "exclude_tests" in run.err and "semgrep_rules" in run.err


def test_file_that_does_not_parse_is_one_warning(hullscan, repo: Repo) -> None:
    repo.write("broken.py", "def f(:\n    pass\n")
    repo.write("app.py", "import subprocess\n\nsubprocess.call(input(), shell=True)\n")
    run = hullscan("code", ".", "--format", "json", "--sarif", "out.sarif", cwd=repo.root)
    assert run.code == 1
    assert ("B602", 3, "high") in _findings(run)
    warnings = [line for line in run.err.splitlines() if "broken.py" in line]
    assert warnings == [
        "hullscan: warning: code: broken.py: skipped: not valid Python (syntax error), "
        "not checked"
    ]
    assert "Traceback" not in run.err
    assert run.json()["checkers"][0]["files_scanned"] == 1


def test_bad_input_files_are_skipped_with_a_diagnostic(hullscan, repo: Repo) -> None:
    repo.write("app.py", "import subprocess\n\nsubprocess.call(input(), shell=True)\n")
    repo.write("nul.py", b"x = 1\x00\n")
    repo.write("latin.py", "x = 'caf\u00e9'\n".encode("latin-1"))
    repo.write("cookie.py", "# -*- coding: latin-1 -*-\nx = 'caf\u00e9'\neval(x)\n"
               .encode("latin-1"))
    repo.write("huge.py", b"x = '" + b"a" * (50 * 1024 * 1024) + b"'\n")
    # a dangling symlink: one warning from discovery, no crash, no finding
    (repo.root / "dangling.py").symlink_to(repo.root / "missing.py")
    names = ["app.py", "nul.py", "latin.py", "cookie.py", "huge.py", "dangling.py"]
    run = hullscan("code", *names, "--format", "json", cwd=repo.root)
    assert run.code == 1, run.err
    assert "Traceback" not in run.err
    found = _findings(run)
    assert ("B602", 3, "high") in found
    assert ("B307", 3, "medium") in {(r, ln, s) for r, ln, s in found}  # cookie.py is checked
    notes = {(n["path"], n["level"]): n["message"] for n in run.json()["notifications"]}
    assert notes[("nul.py", "warning")] == "skipped: binary file"
    assert notes[("latin.py", "warning")].startswith("skipped: not UTF-8")
    assert "over the size limit" in notes[("huge.py", "warning")]
    assert notes[("dangling.py", "warning")] == "broken symbolic link: skipped"


def test_unreadable_file_is_a_warning(tmp_path: Path) -> None:
    from hullscan.checkers.interface import CheckContext
    from hullscan.core.config import Config

    good = tmp_path / "good.py"
    good.write_text("eval(input())\n")
    targets = [Target(tmp_path / "gone.py", "gone.py", explicit=True),  # deleted meanwhile
               Target(tmp_path / "dir.py", "dir.py", explicit=True),
               Target(good, "good.py", explicit=True)]
    (tmp_path / "dir.py").mkdir()
    result = code_checker.CodeChecker().check(targets, CheckContext(tmp_path, Config()))
    assert result.successful
    assert [(f.rule.id, f.location.path) for f in result.findings] == [("B307", "good.py")]
    notes = {n.path: n.message for n in result.notifications}
    assert notes["gone.py"].startswith("cannot read: No such file")
    assert notes["dir.py"].startswith("cannot read")


def test_bandit_crash_fails_the_run(hullscan, repo: Repo, monkeypatch) -> None:
    from bandit.core import manager

    def boom(self) -> None:
        raise RuntimeError("plugin exploded")

    monkeypatch.setattr(manager.BanditManager, "run_tests", boom)
    repo.write("app.py", "x = 1\n")
    run = hullscan("code", "app.py", "--sarif", "out.sarif", cwd=repo.root)
    assert run.code == 3
    assert "hullscan: error: code: bandit: crashed: RuntimeError: plugin exploded" in run.err
    sarif = json.loads((repo.root / "out.sarif").read_text())
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False


def test_worker_processes_give_the_same_findings(hullscan, repo: Repo, monkeypatch) -> None:
    for n in range(6):
        repo.write(f"pkg/mod{n}.py", f"import subprocess\n\nsubprocess.call(input(), shell=True)\n"
                   f"password = 'pw-{n}'\n")
    repo.write("pkg/broken.py", "def f(:\n")
    serial = hullscan("code", ".", "--format", "json", cwd=repo.root)
    monkeypatch.setattr(bandit_adapter, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(bandit_adapter.os, "cpu_count", lambda: 2)
    pooled = hullscan("code", ".", "--format", "json", cwd=repo.root)
    assert pooled.code == serial.code == 1
    assert pooled.json()["findings"] == serial.json()["findings"]
    assert pooled.json()["notifications"] == serial.json()["notifications"]
    assert len(serial.json()["findings"]) == 6 * 3  # B404, B602, B105 per module


def test_password_never_leaves_hullscan(hullscan, repo: Repo) -> None:
    secret = "Tr0ub4dor&3-horse"
    repo.write("settings.py", f'DB_USER = "app"\npassword = "{secret}"\n'
               f'def login(user, password="{secret}"):\n    connect(passwd="{secret}")\n')
    outputs = []
    for fmt in ("text", "json", "sarif"):
        run = hullscan("code", "settings.py", "--format", fmt, "--sarif", "out.sarif",
                       "--fail-on", "low", "-v", cwd=repo.root)
        assert run.code == 1
        outputs += [run.out, run.err, (repo.root / "out.sarif").read_text()]
    for text in outputs:
        assert secret not in text
        assert secret[:4] not in text
    run = hullscan("code", "settings.py", "--format", "json", cwd=repo.root)
    found = run.json()["findings"]
    assert {f["rule"]["id"] for f in found} >= {"B105", "B106", "B107"}
    b105 = next(f for f in found if f["rule"]["id"] == "B105")
    assert b105["message"] == "Possible hardcoded password: 'Tr0******' (17 chars)"
    assert secret[:4] not in b105["message"]
    expected = content_fingerprint("B105", "settings.py", 'B105 password = "<str>"')
    assert b105["fingerprint"] == f"{expected}:1"
    # the fingerprint does not depend on the value: rotating the password keeps the alert
    repo.write("settings.py", 'DB_USER = "app"\npassword = "other-value-42"\n')
    again = hullscan("code", "settings.py", "--format", "json", cwd=repo.root)
    assert next(f for f in again.json()["findings"]
                if f["rule"]["id"] == "B105")["fingerprint"] == b105["fingerprint"]


def test_mask_password_message() -> None:
    assert (code_checker.mask_password_message("Possible hardcoded password: 'hunter2'")
            == "Possible hardcoded password: '******' (7 chars)")
    assert code_checker.without_literals("x = f'a{b}' + \"it's\"") == 'x = "<str>" + "<str>"'


def test_inline_suppression(hullscan, repo: Repo) -> None:
    repo.write("app.py", "import subprocess\n\n"
               "# hullscan: ignore[B602] the command is a constant from our own config\n"
               "subprocess.call(input(), shell=True)\n")
    run = hullscan("code", "app.py", "--format", "json", cwd=repo.root)
    assert run.code == 0
    [b602] = [f for f in run.json()["findings"] if f["rule"]["id"] == "B602"]
    assert b602["suppression"]["kind"] == "inSource"


def test_scan_runs_the_code_checker(hullscan, repo: Repo) -> None:
    repo.write("src/app.py", "import yaml\n\n\ndef load(s):\n    return yaml.load(s)\n")
    repo.write("web/app.js", "eval(location.hash)\n")
    run = hullscan("scan", "--format", "json", "--fail-on", "medium", cwd=repo.root)
    assert run.code == 1
    assert ("B506", 5, "medium") in _findings(run)
    assert not [n for n in run.json()["notifications"] if n["path"] == "web/app.js"]


@pytest.mark.skipif(shutil.which("semgrep") is not None, reason="semgrep is installed here")
def test_semgrep_rules_without_semgrep_is_a_config_error(hullscan, repo: Repo) -> None:
    repo.write("rules/js.yaml", "rules: []\n")
    repo.write("web/app.js", "eval(location.hash)\n")
    repo.write(".hullscan.yaml", "checkers:\n  code:\n    semgrep_rules: [rules/js.yaml]\n")
    # as on a machine without hullscan[semgrep] (the dev install has it)
    run = hullscan("code", "web/app.js", cwd=repo.root,
                   env={"HULLSCAN_SEMGREP": str(repo.root / "no-semgrep")})
    assert run.code == 2, run.err
    [line] = run.err.strip().splitlines()
    assert line.startswith("hullscan: error: .hullscan.yaml: checkers.code.semgrep_rules:")
    assert "semgrep is not installed" in line and "hullscan[semgrep]" in line
    # without the key, semgrep is never looked for: the JavaScript file is just not checked
    (repo.root / ".hullscan.yaml").unlink()
    assert hullscan("code", "web/app.js", cwd=repo.root).code == 0


def test_semgrep_json_mapping(tmp_path: Path) -> None:
    data = json.loads((DATA / "code" / "semgrep-results.json").read_text())
    by_rel = {rel: Target(tmp_path / rel, rel, explicit=False)
              for rel in ("web/app.js", "svc/db.go", "web/broken.js")}
    findings, notes = code_checker.semgrep_results(data, by_rel)
    got = [(f.rule.id, f.location.path, f.location.start_line, f.location.end_line,
            f.severity, f.rule.cwe) for f in findings]
    assert got == [
        ("rules.js-eval-user-input", "web/app.js", 3, None, Severity.HIGH, ("CWE-95",)),
        ("rules.go-sql-sprintf", "svc/db.go", 10, 12, Severity.MEDIUM, ("CWE-89",)),
        ("rules.todo-note", "web/app.js", 1, None, Severity.LOW, ()),
    ]
    assert findings[0].rule.help_uri == "https://owasp.org/Top10/A03_2021-Injection"
    assert findings[0].properties == {"cwe": ["CWE-95"]}
    assert findings[0].location.start_column == 5
    assert "hunter22" not in findings[1].message
    assert [(n.path, n.level.value) for n in notes] == [("web/broken.js", "warning")]
    assert notes[0].message.startswith("semgrep: Syntax error")


def test_semgrep_runs_local_rules_for_other_languages(hullscan, repo: Repo) -> None:
    if shutil.which("semgrep", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("semgrep is part of the dev install (hullscan[semgrep]); install it")
    repo.write("rules/js.yaml",
               "rules:\n  - id: js-eval\n    pattern: eval($X)\n"
               "    message: eval of dynamic input\n    languages: [javascript]\n"
               "    severity: ERROR\n    metadata:\n      cwe: ['CWE-95: Eval Injection']\n")
    repo.write("web/app.js", "const a = 1;\neval(userInput);\n")
    repo.write("web/safe.js", "const a = 1;\nconsole.log(a);\n")
    repo.write(".hullscan.yaml", "checkers:\n  code:\n    semgrep_rules: [rules/js.yaml]\n")
    run = hullscan("code", ".", "--format", "json", "--sarif", "out.sarif", cwd=repo.root)
    (finding,) = [f for f in run.json()["findings"] if f["checker"] == "code"]
    assert (finding["location"]["path"], finding["location"]["start_line"]) == ("web/app.js", 2)
    assert finding["severity"] == "high" and finding["rule"]["id"].endswith("js-eval")
    assert run.code == 1
