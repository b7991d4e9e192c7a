"""`hullscan rules`: the rule registry, listed as text and JSON, through the real command."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import PROJECT

from hullscan.iac.severity import OVERRIDES
from hullscan.rules import CHECKER_NAMES, all_rules
from hullscan.rules.interface import HULLSCAN

LINE = re.compile(r"^(?P<id>\S+) +(?P<checker>\S+) +(?P<severity>\S+) +(?P<text>.+?)"
                  r"(?:  \((?P<uri>https://\S+)\))?$")
KEYS = {"id", "name", "checker", "source", "severity", "description", "help_uri", "family",
        "scope"}


def _lines(out: str) -> list[re.Match[str]]:
    matches = []
    for line in out.splitlines():
        if not line:
            continue  # between groups
        match = LINE.match(line)
        assert match, line
        matches.append(match)
    return matches


def test_dockerfile_rules_as_text(hullscan, tmp_path: Path) -> None:
    run = hullscan("rules", "--checker", "dockerfile", cwd=tmp_path)
    assert run.code == 0, run.err
    assert run.err == ""
    lines = _lines(run.out)
    by_id = {m["id"]: m for m in lines}
    assert by_id["HS100"]["checker"] == "dockerfile"
    assert by_id["HS100"]["severity"] == "high"
    assert by_id["HS100"]["text"] == "The final stage runs as root"
    assert by_id["HS100"]["uri"].endswith("docs/rules.md#hs100")
    assert by_id["DL1000"]["severity"] == "high"
    assert by_id["DL3015"]["severity"] == "low"
    assert by_id["DL*/SC*"]["uri"] == "https://github.com/hadolint/hadolint/wiki"
    assert not any(m["id"].startswith("CKV") for m in lines)
    assert {m["checker"] for m in lines} == {"dockerfile"}
    # hullscan's own rules first, then hadolint's, a blank line between the groups
    assert run.out.splitlines()[0].startswith("HS100 ")
    assert "\n\nDL*/SC*" in run.out


def test_compose_rules_as_json(hullscan, tmp_path: Path) -> None:
    run = hullscan("rules", "--checker", "compose", "--format", "json", cwd=tmp_path)
    assert run.code == 0, run.err
    data = run.json()
    assert isinstance(data, list) and data
    assert all(set(item) == KEYS for item in data)
    by_id = {item["id"]: item for item in data}
    assert by_id["HS140"]["source"] == HULLSCAN and by_id["HS140"]["severity"] == "high"
    cl = by_id["CL-0002"]
    assert cl["source"] == "compose-lint" and cl["severity"] == "critical"
    assert cl["help_uri"] == "https://github.com/tmatens/compose-lint/blob/main/docs/rules/CL-0002.md"
    assert cl["name"] == "compose-lint-cl-0002"


def test_iac_lists_checkov_checks_with_their_pages(hullscan, tmp_path: Path) -> None:
    pytest.importorskip("checkov")
    run = hullscan("rules", "--checker", "iac", "--format", "json", cwd=tmp_path)
    assert run.code == 0, run.err
    data = run.json()
    by_id = {item["id"]: item for item in data}
    check = by_id["CKV_K8S_16"]
    assert check["source"] == "checkov" and check["checker"] == "iac"
    assert check["severity"] == "critical"  # hullscan's severity table, not checkov's empty one
    assert "kubernetes" in check["scope"]
    assert re.fullmatch(r"https://github\.com/bridgecrewio/checkov/blob/\S+/checkov/kubernetes/"
                        r"checks/\S+\.py", check["help_uri"]), check["help_uri"]
    checkov = [item for item in data if item["source"] == "checkov"]
    assert len(checkov) > 500
    frameworks = {f for item in checkov for f in item["scope"]}
    assert {"terraform", "cloudformation", "kubernetes", "github_actions", "arm",
            "openapi"} <= frameworks
    pages = [item for item in checkov if "/blob/" in (item["help_uri"] or "")]
    assert len(pages) >= 0.95 * len(checkov)
    for check_id, (severity, _) in OVERRIDES.items():
        if check_id in by_id:
            assert by_id[check_id]["severity"] == severity.value, check_id
    assert by_id["HS147"]["source"] == HULLSCAN
    assert by_id["zizmor/*"]["family"] is True
    assert by_id["zizmor/*"]["help_uri"].startswith("https://docs.zizmor.sh/")
    assert run.err == ""  # checkov's logging stays out of the output


def test_code_rules_are_bandits(hullscan, tmp_path: Path) -> None:
    pytest.importorskip("bandit")
    run = hullscan("rules", "--checker", "code", cwd=tmp_path)
    assert run.code == 0, run.err
    by_id = {m["id"]: m for m in _lines(run.out)}
    assert by_id["B602"]["text"] == "Test for use of popen with shell equals true"
    assert by_id["B602"]["severity"] == "varies"
    assert by_id["B602"]["uri"].startswith("https://bandit.readthedocs.io/")
    assert by_id["B301"]["severity"] == "medium"
    assert "semgrep:*" in by_id


def test_unknown_checker_is_a_usage_error(hullscan, tmp_path: Path) -> None:
    run = hullscan("rules", "--checker", "nope", cwd=tmp_path)
    assert run.code == 2
    assert run.out == ""
    assert run.err == ("hullscan: error: unknown checker 'nope' (known: "
                       f"{', '.join(CHECKER_NAMES)})\n")


def test_help_mentions_the_command(hullscan, tmp_path: Path) -> None:
    assert "rules" in hullscan("--help", cwd=tmp_path).out
    helped = hullscan("rules", "--help", cwd=tmp_path)
    assert helped.code == 0 and "--checker" in helped.out and "json" in helped.out


def test_every_rule_id_is_unique_per_checker() -> None:
    from hullscan.checkers import CHECKERS
    from hullscan.policy.apply import POLICY_CHECKER

    assert set(CHECKER_NAMES) == {*CHECKERS, POLICY_CHECKER}  # a new checker registers here
    rules = all_rules()
    assert {r.checker for r in rules} == set(CHECKER_NAMES)
    counts = Counter((r.checker, r.id) for r in rules)
    assert [key for key, count in counts.items() if count > 1] == []
    # one HS id means one rule, whichever checker reports it
    own: dict[str, tuple[str, str, str | None]] = {}
    for rule in rules:
        if rule.source == HULLSCAN:
            seen = own.setdefault(rule.id, (rule.name, rule.severity_text, rule.help_uri))
            assert seen == (rule.name, rule.severity_text, rule.help_uri), rule.id
    assert all(r.help_uri for r in rules)


def test_one_checker_imports_only_what_it_lists() -> None:
    """checkov is slow to import: `--checker dockerfile` never imports it (nor bandit)."""
    code = ("import sys; from hullscan.cli import main; "
            "code = main(['rules', '--checker', 'dockerfile']); "
            "assert code == 0, code; "
            "assert 'checkov' not in sys.modules and 'bandit' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "HS100" in done.stdout


def test_the_listing_says_what_a_scan_reports(hullscan, tmp_path: Path) -> None:
    """A checkov finding's rule (link, severity) is the row `hullscan rules` lists for it."""
    pytest.importorskip("checkov")
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "    - name: c\n      image: nginx:1.27\n      securityContext:\n"
        "        privileged: true\n"
    )
    scan = hullscan("iac", "pod.yaml", "--format", "json", "--fail-on", "never", cwd=tmp_path)
    assert scan.code == 0, scan.err
    listed = {item["id"]: item for item in
              hullscan("rules", "--checker", "iac", "--format", "json", cwd=tmp_path).json()}
    found = [f for f in scan.json()["findings"] if f["rule"]["id"].startswith("CKV")]
    assert any(f["rule"]["id"] == "CKV_K8S_16" for f in found)
    for finding in found:
        row = listed[finding["rule"]["id"]]
        assert row["help_uri"] == finding["rule"]["help_uri"], row["id"]
        assert row["severity"] == finding["rule"]["default_severity"], row["id"]
