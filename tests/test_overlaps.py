"""One problem, one finding: the overlap table (`hullscan.policy.overlaps`) and what the policy does
with it in one process (hooks in separate processes: tests/test_precommit.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import PROJECT, Repo

from hullscan.checkers.secrets import ALL_RULES as SECRET_RULES
from hullscan.core.config import CheckerConfig, Config
from hullscan.core.model import CheckerResult, Finding, Location, Rule, Severity
from hullscan.dockerfile.rules import ALL_RULES as DOCKERFILE_RULES
from hullscan.image.rules import ALL_RULES as IMAGE_RULES
from hullscan.policy.apply import apply_policy
from hullscan.policy.overlaps import OVERLAPS

RULES_DOC = (PROJECT / "docs" / "rules.md").read_text()


def test_the_table_names_known_rules_without_chains() -> None:
    known = {r.id for r in (*DOCKERFILE_RULES, *IMAGE_RULES, *SECRET_RULES)}
    yielding = {o.rule for o in OVERLAPS}
    for overlap in OVERLAPS:
        assert {overlap.rule, overlap.yields_to} <= known, overlap
        assert overlap.yields_to not in yielding, overlap  # a kept rule never yields itself


def test_every_overlap_is_documented() -> None:
    for overlap in OVERLAPS:
        assert f"| {overlap.rule} | {overlap.yields_to} |" in RULES_DOC, overlap


def test_a_dockerfile_env_secret_is_one_finding_that_records_the_other(
    hullscan, repo: Repo
) -> None:
    secret = "Sup3rS3cretValue99"
    repo.write("Dockerfile", f"FROM python:3.12\nENV DB_PASSWORD={secret}\nUSER 1\n")
    repo.commit()
    run = hullscan("scan", "--format", "json", "--sarif", "out.sarif", cwd=repo.root)
    on_line_2 = [f for f in run.json()["findings"] if f["location"]["start_line"] == 2]
    assert [f["rule"]["id"] for f in on_line_2] == ["HS110"]
    (kept,) = on_line_2
    (also,) = kept["properties"]["alsoReportedAs"]
    assert also["ruleId"] == "HS210" and also["checker"] == "secrets"
    assert "(also reported as HS210 by the secrets checker)" in kept["message"]
    assert secret not in run.out + (repo.root / "out.sarif").read_text()
    # the other lines stay clean
    assert not [f for f in run.json()["findings"]
                if f["location"]["start_line"] == 3 and f["rule"]["id"] != "HS134"]


def _finding(rule_id: str, checker: str, line: int, message: str,
             severity: str = "high", **properties: object) -> Finding:
    rule = Rule(rule_id, rule_id.lower(), rule_id, rule_id, "fix it", Severity(severity))
    return Finding(rule=rule, checker=checker, severity=Severity(severity), message=message,
                   location=Location("Dockerfile", line), fingerprint_basis=message,
                   properties=properties)


def test_a_copy_yields_only_the_files_it_names(tmp_path: Path) -> None:
    """HS303 folds into the HS111 of the same COPY line only for a file that COPY names (by
    name, glob or folder on its path); another key file of that layer stays its own."""
    dockerfile = CheckerResult("dockerfile", findings=(
        _finding("HS111", "dockerfile", 3, "COPY copies '*.pem', a file that usually holds "
                 "credentials, into the image"),
        _finding("HS111", "dockerfile", 4, "COPY copies 'secrets/', a file that usually holds "
                 "credentials, into the image"),
    ))
    image = CheckerResult("image", findings=(
        _finding("HS303", "image", 3, "private key /certs/server.pem", "critical",
                 imagePath="certs/server.pem"),
        _finding("HS303", "image", 3, "private key /certs/id_ed25519", "critical",
                 imagePath="certs/id_ed25519"),
        _finding("HS303", "image", 4, "AWS credentials file", "critical",
                 imagePath="app/secrets/.aws/credentials"),
        _finding("HS303", "image", 5, "private key /root/key.pem", "critical",
                 imagePath="root/key.pem"),
    ))
    report = apply_policy([dockerfile, image], Config(), tmp_path, Severity.HIGH)
    def folded(f: Finding) -> tuple[str, ...]:
        also: Any = f.properties.get("alsoReportedAs", [])
        return tuple(a["properties"]["imagePath"] for a in also)

    kept = {(f.rule.id, f.location.start_line, f.severity.value, folded(f))
            for f in report.findings}
    assert kept == {
        ("HS111", 3, "critical", ("certs/server.pem",)),
        ("HS111", 4, "critical", ("app/secrets/.aws/credentials",)),
        ("HS303", 3, "critical", ()),  # id_ed25519 is not a *.pem
        ("HS303", 5, "critical", ()),  # no COPY on that line
    }


def test_a_disabled_rule_wins_nothing(tmp_path: Path) -> None:
    config = Config(checkers={"dockerfile": CheckerConfig(disable_rules=frozenset({"HS100"}))})
    results = [
        CheckerResult("dockerfile", findings=(
            _finding("HS100", "dockerfile", 1, "The final stage has no USER"),)),
        CheckerResult("image", findings=(
            _finding("HS300", "image", 1, "the image configuration sets no user"),)),
    ]
    report = apply_policy(results, config, tmp_path, Severity.HIGH)
    assert [(f.rule.id, dict(f.properties)) for f in report.findings] == [("HS300", {})]


def test_the_checkers_reporting_each_kept_rule_are_declared() -> None:
    from hullscan.compose.rules import ALL_RULES as COMPOSE_RULES
    from hullscan.policy.overlaps import REPORTED_BY

    rules = {"dockerfile": DOCKERFILE_RULES, "compose": COMPOSE_RULES, "image": IMAGE_RULES,
             "secrets": SECRET_RULES}
    for overlap in OVERLAPS:
        reported = {name for name, listed in rules.items()
                    if overlap.yields_to in {r.id for r in listed}}
        assert set(REPORTED_BY[overlap.yields_to]) == reported, overlap


def test_a_token_in_env_is_one_finding_with_the_token_rule_severity(
    hullscan, repo: Repo
) -> None:
    github = "ghp_" + "Qx7Lm2" * 6
    aws = "AKIAQX7LM2ZK9VP4RT8W"
    repo.write("Dockerfile", f"FROM python:3.12\nENV GH_TOKEN={github} AWS_KEY={aws}\n"
               "USER 1000\n")
    repo.write("compose.yaml", f"services:\n  a:\n    image: x:1\n    environment:\n"
               f"      GH_TOKEN: {github}\n")
    repo.commit()
    run = hullscan("scan", "--checkers", "dockerfile,compose,secrets", "--format", "json",
                   "--sarif", "../out.sarif", cwd=repo.root)
    secretish = [f for f in run.json()["findings"] if f["rule"]["id"].startswith("HS2")
                 or f["rule"]["id"] == "HS110"]
    placed = sorted((f["location"]["path"], f["location"]["start_line"], f["rule"]["id"],
                     f["severity"], tuple(a["ruleId"] for a in f["properties"].get(
                         "alsoReportedAs", [])))
                    for f in secretish)
    # each HS110 takes the token rule of its own value (the same masked hint)
    assert placed == [
        ("Dockerfile", 2, "HS110", "critical", ("HS202",)),
        ("Dockerfile", 2, "HS110", "high", ("HS200",)),
        ("compose.yaml", 5, "HS110", "critical", ("HS202",)),
    ], placed
    gh = next(f for f in secretish if "GH_TOKEN" in f["message"]
              and f["location"]["path"] == "Dockerfile")
    assert "(also reported as HS202 by the secrets checker)" in gh["message"]
    everything = run.out + (repo.root.parent / "out.sarif").read_text()
    assert github not in everything and aws not in everything
