"""One problem, one finding: the overlap table (`hullscan.overlaps`) and what the policy does
with it in one process (hooks in separate processes: tests/test_precommit.py)."""

from __future__ import annotations

from conftest import PROJECT, Repo

from hullscan.checkers.secrets import ALL_RULES as SECRET_RULES
from hullscan.dockerfile.rules import ALL_RULES as DOCKERFILE_RULES
from hullscan.image.rules import ALL_RULES as IMAGE_RULES
from hullscan.overlaps import OVERLAPS

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
