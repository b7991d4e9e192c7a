"""The README, --help, docs and the hooks list stay in step with the code."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import PROJECT
from ruamel.yaml import YAML

from hullscan.cli import build_parser
from hullscan.dockerfile.rules import ALL_RULES, SUPERSEDES
from hullscan.policy.apply import EXPIRED_IGNORE
from hullscan.policy.trusted import WEAKENED_CHECK
from hullscan.rules import all_rules
from hullscan.rules.interface import HULLSCAN

README = (PROJECT / "README.md").read_text()
RULES_DOC = (PROJECT / "docs" / "rules.md").read_text()


def test_every_rule_is_documented_with_its_severity() -> None:
    """The rule registry is the source: every hullscan rule it lists (whichever checker
    reports it) has its anchor and `### ID name (severity)` heading in docs/rules.md, and every
    HS heading there is a rule of the registry."""
    own = [r for r in all_rules(tools=False) if r.source == HULLSCAN]
    assert {r.id for r in own} >= {"HS001", "HS002", "HS100", "HS147", "HS215", "HS303"}
    for rule in own:
        assert rule.id.startswith("HS") and rule.severity is not None, rule
        assert f'<a id="{rule.id.lower()}"></a>' in RULES_DOC, rule.id
        assert f"### {rule.id} {rule.name} ({rule.severity.value})" in RULES_DOC, rule.id
    documented = set(re.findall(r"^### (HS\d+) ", RULES_DOC, re.MULTILINE))
    assert documented == {r.id for r in own}
    for rule in (*ALL_RULES, EXPIRED_IGNORE, WEAKENED_CHECK):
        assert rule.id in documented, rule.id
    for hadolint_rule, ours in SUPERSEDES.items():
        assert f"| {hadolint_rule} | {ours} |" in RULES_DOC


def test_readme_shows_every_subcommand_and_hook() -> None:
    parser = build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command").choices
    assert subcommands
    for name in subcommands:
        assert f"hullscan {name}" in README, name
    hooks = YAML(typ="safe").load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        assert f"`{hook['id']}`" in README, hook["id"]


def test_readme_documents_every_option_and_exit_code() -> None:
    parser = build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command").choices
    options = {"--version"}
    for name in ("scan", "merge", "baseline"):
        for action in subcommands[name]._actions:
            options.update(o for o in action.option_strings if o.startswith("--"))
    options -= {"--help"}
    assert {"--new-only", "--base", "--baseline", "--shard", "--summary", "--checkers"} <= options
    for option in sorted(options):
        assert option in README, option
    for fmt in ("text", "sarif", "json", "github", "markdown", "cyclonedx"):
        assert f"`{fmt}`" in README or f"|{fmt}" in README, fmt
    for code in range(4):
        assert re.search(rf"^\| {code} \|", README, re.MULTILINE), code


def test_readme_documents_every_action_input_and_output() -> None:
    action = YAML(typ="safe").load((PROJECT / "action.yml").read_text())
    for name, spec in action["inputs"].items():
        assert f"| `{name}` |" in README, name
        assert spec.get("description"), name
    for name in action["outputs"]:
        assert f"`{name}`" in README, name


def test_iac_severity_tables_are_documented() -> None:
    from hullscan.checkers.iac import SUPERSEDES as IAC_SUPERSEDES
    from hullscan.containers.workloads import ALL_RULES as WORKLOAD_RULES
    from hullscan.iac.severity import CATEGORY_SEVERITY, OVERRIDES
    from hullscan.image.rules import ALL_RULES as IMAGE_RULES

    for category, severity in CATEGORY_SEVERITY.items():
        assert f"| {category} | {severity.value} |" in RULES_DOC
    for check, (severity, why) in OVERRIDES.items():
        assert f"| {check} | {severity.value} | {why} |" in RULES_DOC
    for dropped, (rules, scope) in IAC_SUPERSEDES.items():
        assert f"| {dropped} | {', '.join(sorted(rules))} | same {scope} |" in RULES_DOC
    for rule in (*WORKLOAD_RULES, *IMAGE_RULES):
        assert f'<a id="{rule.id.lower()}"></a>' in RULES_DOC, rule.id
        assert f"### {rule.id} {rule.name} ({rule.default_severity.value})" in RULES_DOC


def test_pre_commit_rev_is_a_commit_of_this_repository() -> None:
    """The README's and the example's `rev:` is one full commit SHA (no release tag exists yet),
    a commit of this repository whose hooks file has the hooks they use, with the advice to
    move it with `pre-commit autoupdate --freeze`."""
    example = (PROJECT / "examples" / "pre-commit-config.yaml").read_text()
    revs = set(re.findall(r"^\s+rev: (\S+)", README + example, re.MULTILINE))
    assert len(revs) == 1, revs
    (rev,) = revs
    assert re.fullmatch(r"[0-9a-f]{40}", rev), f"rev {rev}: pin a full commit SHA"
    assert "pre-commit autoupdate --freeze" in README
    assert "pre-commit autoupdate" in example and "--freeze" in example

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=PROJECT, capture_output=True, text=True)

    if git("cat-file", "-e", f"{rev}^{{commit}}").returncode != 0:
        if git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
            pytest.skip(f"shallow clone: {rev} is not in it")
        raise AssertionError(f"rev {rev} is not a commit of this repository")
    assert git("merge-base", "--is-ancestor", rev, "HEAD").returncode == 0, f"{rev} not in HEAD"
    hooks = YAML(typ="safe").load(git("show", f"{rev}:.pre-commit-hooks.yaml").stdout)
    there = {hook["id"] for hook in hooks}
    used = set(re.findall(r"^\s+-? ?- id: (\S+)", README + example, re.MULTILINE))
    assert "hullscan-dockerfile" in used
    assert used <= there, used - there


def test_informational_notices_are_documented() -> None:
    from hullscan.core.catalog import INFORMATIONAL_ADVICE
    from hullscan.vuln.severity import INFORMATIONAL_SEVERITY

    assert "### Informational notices" in RULES_DOC
    for kind in (*INFORMATIONAL_ADVICE, "notice"):
        assert f"`{kind}-dependency-<id>`" in RULES_DOC, kind
    assert "`unmaintained-image-package-<id>`" in RULES_DOC
    assert (f"| none, for an informational notice (below) | {INFORMATIONAL_SEVERITY.value} |"
            in RULES_DOC)
