"""`hullscan merge`: SARIF shards merged into one upload GitHub code scanning accepts: one run
per tool and category, rule indexes recomputed, duplicates dropped, at most 20 runs and 25,000
results per run, and never a half-written or clobbered output."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, Repo

from hullscan.core.errors import OutputError, UsageError
from hullscan.formats import sarif_limits
from hullscan.formats.sarif_limits import MAX_RESULTS_PER_RUN
from hullscan.formats.sarif_merge import MergeSummary, merge_files

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


# --- building inputs -----------------------------------------------------------------------


def hullscan_sarif(hullscan: Callable[..., Any], repo: Repo, out: Path, *paths: str) -> dict:
    """Real SARIF written by `hullscan dockerfile PATH... --format sarif -o OUT`."""
    run = hullscan("dockerfile", *paths, "--format", "sarif", "-o", str(out), cwd=repo.root)
    assert run.code == 1, run.err
    return json.loads(out.read_text("utf-8"))


def write(path: Path, log: Any) -> Path:
    path.write_text(json.dumps(log, indent=2), encoding="utf-8")
    return path


def log_of(*runs: dict) -> dict:
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": list(runs)}


def rule(rule_id: str, score: str | None = None) -> dict:
    out: dict[str, Any] = {
        "id": rule_id,
        "name": f"Rule{rule_id}",
        "shortDescription": {"text": f"rule {rule_id}"},
        "fullDescription": {"text": f"the rule {rule_id}"},
        "help": {"text": f"fix {rule_id}", "markdown": f"fix **{rule_id}**"},
    }
    if score is not None:
        out["properties"] = {"security-severity": score}
    return out


def result(rule_id: str | None, uri: str = "app/main.py", line: int = 1,
           fingerprint: str | None = None, **extra: Any) -> dict:
    out: dict[str, Any] = {"message": {"text": f"{rule_id} at {uri}:{line}"}}
    if rule_id is not None:
        out["ruleId"] = rule_id
    out["locations"] = [{"physicalLocation": {
        "artifactLocation": {"uri": uri}, "region": {"startLine": line},
    }}]
    if fingerprint is not None:
        out["partialFingerprints"] = {"primaryLocationLineHash": fingerprint}
    out.update(extra)
    return out


def other_run(category: str | None, rules: list[dict], results: list[dict],
              tool: str = "othertool", **extra: Any) -> dict:
    run: dict[str, Any] = {"tool": {"driver": {"name": tool, "version": "1.0", "rules": rules}}}
    if category is not None:
        run["automationDetails"] = {"id": category}
    run["results"] = results
    run.update(extra)
    return run


def merged(path: Path) -> dict:
    text = path.read_text("utf-8")
    assert text.endswith("\n") and not text.endswith("\n\n")
    return json.loads(text)


def schema_errors(validator: Any, log: Any) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(log)][:5]


def rule_ids_consistent(run: dict) -> bool:
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    return all(ids[r["ruleIndex"]] == r["ruleId"] for r in run["results"])


def identities(log: dict) -> set[tuple]:
    return {
        (
            r["ruleId"],
            r["partialFingerprints"]["primaryLocationLineHash"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for run in log["runs"] for r in run["results"]
    }


@pytest.fixture
def shards(hullscan, repo: Repo, tmp_path: Path) -> tuple[Path, Path, dict]:
    """Two shards of the Dockerfile checker (different files, different rules) and the log of
    one scan of both files."""
    repo.write("Dockerfile", (EXAMPLES / "insecure-app" / "Dockerfile").read_text("utf-8"))
    repo.write("b/Dockerfile", "FROM python:3.12\nRUN sudo apt-get install -y curl\n")
    a, b = tmp_path / "a.sarif", tmp_path / "b.sarif"
    hullscan_sarif(hullscan, repo, a, "Dockerfile")
    hullscan_sarif(hullscan, repo, b, "b/Dockerfile")
    whole = hullscan_sarif(hullscan, repo, tmp_path / "whole.sarif", "Dockerfile", "b/Dockerfile")
    return a, b, whole


# --- merging -------------------------------------------------------------------------------


def test_two_shards_of_one_checker_merge_into_one_run(
    shards: tuple[Path, Path, dict], repo: Repo, tmp_path: Path, check_sarif
) -> None:
    a, b, whole = shards
    out = tmp_path / "merged.sarif"
    summary = merge_files([a, b], out)
    log = merged(out)
    check_sarif(log, repo.root)
    assert log["$schema"] == SCHEMA and log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert run["automationDetails"] == {"id": "hullscan/dockerfile/"}
    assert run["tool"]["driver"]["name"] == "hullscan"
    # the merged run holds what one scan of both files finds, with the same rules
    assert identities(log) == identities(whole)
    assert ({r["id"] for r in run["tool"]["driver"]["rules"]}
            == {r["id"] for r in whole["runs"][0]["tool"]["driver"]["rules"]})
    assert rule_ids_consistent(run)
    # shard b's results point at other indexes than in their own run: they were recomputed
    b_log = json.loads(b.read_text())
    b_indexes = {(r["ruleId"], r["ruleIndex"]) for r in b_log["runs"][0]["results"]}
    merged_indexes = {(r["ruleId"], r["ruleIndex"]) for r in run["results"]
                      if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                      == "b/Dockerfile"}
    assert {i for i, _ in b_indexes} == {i for i, _ in merged_indexes}
    assert b_indexes != merged_indexes
    assert run["properties"]["filesScanned"] == 2
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert run["tool"]["extensions"] == whole["runs"][0]["tool"]["extensions"]
    assert summary == MergeSummary(
        runs_in=2, runs_out=1, results_out=len(run["results"]), dropped=0, notes=())


def test_rule_references_of_another_tool_are_recomputed(tmp_path: Path, sarif_validator) -> None:
    category = "othertool/code/"
    first = other_run(
        category + "shard-1",
        [rule("A1", "9.0"), rule("B2", "5.0")],
        [
            result("B2", fingerprint="f1", ruleIndex=1),
            {**result(None, fingerprint="f2"), "rule": {"id": "A1"}},  # rule.id only
            {**result(None, fingerprint="f3"), "ruleIndex": 0},  # ruleIndex only
        ],
        invocations=[{"executionSuccessful": True, "toolExecutionNotifications": [
            {"level": "note", "message": {"text": "shard 1 done"}}]}],
        properties={"filesScanned": 3},
        columnKind="utf16CodeUnits",
    )
    # The second shard describes its rules in another order and points at files through
    # its artifacts array; one extension is shared, one is new.
    first["tool"]["extensions"] = [{"name": "plugin-x", "version": "1"}]
    second = other_run(
        category + "shard-2",
        [rule("C3", "7.5"), rule("B2", "5.0"), rule("A1", "9.0")],
        [
            result("A1", fingerprint="g1", ruleIndex=2),
            result("C3", fingerprint="g2"),  # ruleId only
            {"message": {"text": "by index"}, "ruleIndex": 1,  # ruleIndex only, artifact index
             "locations": [{"physicalLocation": {
                 "artifactLocation": {"index": 0}, "region": {"startLine": 9}}}],
             "partialFingerprints": {"primaryLocationLineHash": "g3"}},
        ],
        artifacts=[{"location": {"uri": "lib/util.py"}}],
        invocations=[{"executionSuccessful": False, "toolExecutionNotifications": [
            {"level": "error", "message": {"text": "shard 2 failed on one file"}}]}],
        properties={"filesScanned": 4},
    )
    second["tool"]["extensions"] = [{"name": "plugin-y"}, {"name": "plugin-x", "version": "2"}]
    out = tmp_path / "out.sarif"
    summary = merge_files([write(tmp_path / "one.sarif", log_of(first)),
                           write(tmp_path / "two.sarif", log_of(second))], out)
    log = merged(out)
    assert schema_errors(sarif_validator, log) == []
    (run,) = log["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == ["A1", "B2", "C3"]
    got = [(r.get("ruleId"), r.get("rule", {}).get("id"), r["ruleIndex"]) for r in run["results"]]
    assert got == [
        ("B2", None, 1), (None, "A1", 0), (None, None, 0),
        ("A1", None, 0), ("C3", None, 2), (None, None, 1),
    ]
    assert run["results"][1]["rule"] == {"id": "A1", "index": 0}
    assert "artifacts" not in run
    location = run["results"][5]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "lib/util.py"}
    assert [e["name"] for e in run["tool"]["extensions"]] == ["plugin-x", "plugin-y"]
    assert run["tool"]["extensions"][0]["version"] == "1"  # the first one wins
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert [n["message"]["text"] for n in invocation["toolExecutionNotifications"]] == [
        "shard 1 done", "shard 2 failed on one file"]
    assert run["properties"] == {"filesScanned": 7}
    assert run["columnKind"] == "utf16CodeUnits"
    # the shards' ids differ after the category: the merged run keeps the category
    assert run["automationDetails"] == {"id": category}
    assert summary.runs_in == 2 and summary.runs_out == 1 and summary.results_out == 6


def test_rules_in_extensions_keep_their_component(tmp_path: Path, sarif_validator) -> None:
    """CodeQL-style: rules described by an extension, results pointing at them through
    rule.toolComponent.index."""

    def codeql_run(extensions: list[dict], results: list[dict]) -> dict:
        return {"tool": {"driver": {"name": "CodeQL", "rules": []}, "extensions": extensions},
                "automationDetails": {"id": "/language:python/"}, "results": results}

    def ref(rule_id: str, index: int, component: int) -> dict:
        return {"id": rule_id, "index": index, "toolComponent": {"index": component}}

    queries_1 = {"name": "codeql/python-queries", "rules": [rule("py/sql"), rule("py/xss")]}
    queries_2 = {"name": "codeql/python-queries", "rules": [rule("py/path"), rule("py/xss")]}
    pack = {"name": "acme/extra", "rules": [rule("acme/x")]}
    first = codeql_run([queries_1], [
        result("py/xss", fingerprint="a", ruleIndex=1, rule=ref("py/xss", 1, 0))])
    second = codeql_run([pack, queries_2], [
        result("py/path", fingerprint="b", ruleIndex=0, rule=ref("py/path", 0, 1)),
        result("acme/x", fingerprint="c", ruleIndex=0, rule=ref("acme/x", 0, 0)),
    ])
    out = tmp_path / "out.sarif"
    merge_files([write(tmp_path / "1.sarif", log_of(first)),
                 write(tmp_path / "2.sarif", log_of(second))], out)
    (run,) = merged(out)["runs"]
    assert schema_errors(sarif_validator, merged(out)) == []
    extensions = run["tool"]["extensions"]
    assert [e["name"] for e in extensions] == ["codeql/python-queries", "acme/extra"]
    assert [r["id"] for r in extensions[0]["rules"]] == ["py/sql", "py/xss", "py/path"]
    for res in run["results"]:
        component = extensions[res["rule"]["toolComponent"]["index"]]
        assert component["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["rule"]["index"] == res["ruleIndex"]


def test_categories_and_tools_stay_separate(
    shards: tuple[Path, Path, dict], tmp_path: Path, sarif_validator
) -> None:
    a, _b, _whole = shards
    image = other_run("othertool/image/", [rule("A1", "9.0")], [result("A1", fingerprint="1")])
    files = other_run("othertool/fs/", [rule("A1", "9.0")], [result("A1", fingerprint="2")])
    # Same category, another tool: its own run.
    third = other_run("othertool/image/", [rule("Z9")], [result("Z9", fingerprint="3")],
                      tool="anothertool")
    # No category at all.
    plain = other_run(None, [rule("Q1")], [result("Q1", fingerprint="4")], tool="plain")
    out = tmp_path / "out.sarif"
    summary = merge_files([write(tmp_path / "x.sarif", log_of(image, files)), a,
                           write(tmp_path / "y.sarif", log_of(third, plain))], out)
    log = merged(out)
    assert schema_errors(sarif_validator, log) == []
    keys = [(r["tool"]["driver"]["name"], r.get("automationDetails", {}).get("id"))
            for r in log["runs"]]
    assert keys == [  # sorted by tool, then category
        ("anothertool", "othertool/image/"),
        ("hullscan", "hullscan/dockerfile/"),
        ("othertool", "othertool/fs/"),
        ("othertool", "othertool/image/"),
        ("plain", None),
    ]
    assert summary.runs_in == summary.runs_out == 5
    assert summary.notes == ()
    assert log["runs"][1] == json.loads(a.read_text())["runs"][0]  # a lone run is unchanged


def test_duplicated_results_appear_once(
    shards: tuple[Path, Path, dict], tmp_path: Path, repo: Repo, check_sarif
) -> None:
    a, _b, _whole = shards
    copy = tmp_path / "copy.sarif"
    copy.write_bytes(a.read_bytes())  # the same shard uploaded twice
    out = tmp_path / "out.sarif"
    summary = merge_files([a, copy], out)
    log = merged(out)
    check_sarif(log, repo.root)
    original = json.loads(a.read_text())
    assert log["runs"][0]["results"] == original["runs"][0]["results"]
    duplicates = len(original["runs"][0]["results"])
    assert summary.dropped == 0
    assert f"hullscan (hullscan/dockerfile/): dropped {duplicates:,} duplicated results" in (
        summary.notes)


def test_duplicates_are_rule_fingerprint_file_and_line(tmp_path: Path) -> None:
    one = other_run("t/", [rule("A1")], [
        result("A1", "x.py", 3, "fp1", message={"text": "first wording"}),
        result("A1", "x.py", 4, "fp1"),  # another line: kept
        result("A1", "y.py", 3, "fp1"),  # another file: kept
        result("A1", "x.py", 5),  # no fingerprint ...
        result("A1", "x.py", 5),  # ... and an exact copy: dropped
        result("A1", "x.py", 5, message={"text": "other"}),  # not a copy: kept
    ])
    two = other_run("t/", [rule("A1")], [
        result("A1", "x.py", 3, "fp1", message={"text": "second wording"}),  # duplicate
        result("A1", "x.py", 3, "fp2"),  # another fingerprint: kept
    ])
    out = tmp_path / "out.sarif"
    summary = merge_files([write(tmp_path / "1.sarif", log_of(one)),
                           write(tmp_path / "2.sarif", log_of(two))], out)
    results = merged(out)["runs"][0]["results"]
    assert len(results) == 6
    assert results[0]["message"]["text"] == "first wording"
    assert "othertool (t/): dropped 2 duplicated results" in summary.notes


def test_too_many_results_keeps_the_most_severe(tmp_path: Path, sarif_validator) -> None:
    lows = [
        {"ruleId": "LOW", "message": {"text": "m"}, "properties": {"severity": "low"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.txt"},
                                             "region": {"startLine": 1 + i % 1000}}}],
         "partialFingerprints": {"primaryLocationLineHash": f"low{i}"}}
        for i in range(MAX_RESULTS_PER_RUN)
    ]
    severe = [result("CRIT", "b.txt", i + 1, f"crit{i}", properties={"severity": "critical"})
              for i in range(3)]
    medium = [result("MED", "c.txt", i + 1, f"med{i}") for i in range(4)]  # rule: 5.5
    rules = [rule("LOW", "2.0"), rule("CRIT", "9.5"), rule("MED", "5.5")]
    half = MAX_RESULTS_PER_RUN // 2
    one = other_run("big/", rules, [*lows[:half], *severe[:2]],
                    invocations=[{"executionSuccessful": True}])
    two = other_run("big/", rules, [*medium, *lows[half:], severe[2]])
    out = tmp_path / "out.sarif"
    summary = merge_files([write(tmp_path / "1.sarif", log_of(one)),
                           write(tmp_path / "2.sarif", log_of(two))], out)
    log = merged(out)
    (run,) = log["runs"]
    results = run["results"]
    assert len(results) == MAX_RESULTS_PER_RUN
    assert summary.dropped == 7 and summary.results_out == MAX_RESULTS_PER_RUN
    kept = {r["partialFingerprints"]["primaryLocationLineHash"] for r in results}
    assert {"crit0", "crit1", "crit2", "med0", "med3"} <= kept
    # the least severe go, the last of them first; the order of the others is kept
    assert {f"low{i}" for i in range(MAX_RESULTS_PER_RUN - 7, MAX_RESULTS_PER_RUN)}.isdisjoint(
        kept)
    assert [r["partialFingerprints"]["primaryLocationLineHash"] for r in results[:2]] == [
        "low0", "low1"]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning"
    assert "dropped 7 of 25,007 results" in note["message"]["text"]
    assert "at most 25,000 results per run" in note["message"]["text"]
    assert any("kept the 25,000 most severe results, dropped 7" in n for n in summary.notes)
    sample = {**log, "runs": [{**run, "results": results[:50]}]}
    assert schema_errors(sarif_validator, sample) == []


def test_severity_order_when_capping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """result.properties.severity first, then the rule's security-severity, then the level."""
    monkeypatch.setattr(sarif_limits, "MAX_RESULTS_PER_RUN", 3)
    run = other_run("s/", [rule("HI", "9.8"), rule("PLAIN")], [
        result("HI", line=1, fingerprint="r0", level="note"),  # 9.8 from the rule
        result("HI", line=2, fingerprint="r1", properties={"severity": "low"}),  # low wins
        result("PLAIN", line=3, fingerprint="r2", level="error"),  # error: high
        result("PLAIN", line=4, fingerprint="r3", level="note"),
        result("PLAIN", line=5, fingerprint="r4", properties={"severity": "critical"}),
        result("PLAIN", line=6, fingerprint="r5"),  # no level: warning
    ])
    out = tmp_path / "out.sarif"
    summary = merge_files([write(tmp_path / "in.sarif", log_of(run))], out)
    (merged_run,) = merged(out)["runs"]
    kept = [r["partialFingerprints"]["primaryLocationLineHash"] for r in merged_run["results"]]
    assert kept == ["r0", "r2", "r4"]
    assert summary.dropped == 3
    note = merged_run["invocations"][0]["toolExecutionNotifications"][0]
    assert note["level"] == "warning" and "dropped 3 of 6 results" in note["message"]["text"]


def test_suppressed_and_unchanged_results_go_first_when_capping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order `hullscan scan` uses too (one function): unsuppressed, then new, then severe."""
    monkeypatch.setattr(sarif_limits, "MAX_RESULTS_PER_RUN", 2)
    accepted = [{"kind": "external", "status": "accepted"}]
    run = other_run("s/", [rule("A", "9.5"), rule("B", "2.0")], [
        result("A", line=1, fingerprint="suppressed", suppressions=accepted),
        result("A", line=2, fingerprint="unchanged", baselineState="unchanged"),
        result("B", line=3, fingerprint="low-new", baselineState="new"),
        result("B", line=4, fingerprint="rejected", suppressions=[
            {"kind": "external", "status": "rejected"}]),
    ])
    out = tmp_path / "out.sarif"
    merge_files([write(tmp_path / "in.sarif", log_of(run))], out)
    (merged_run,) = merged(out)["runs"]
    assert [r["partialFingerprints"]["primaryLocationLineHash"]
            for r in merged_run["results"]] == ["low-new", "rejected"]


def test_merged_file_stays_under_the_upload_size_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip
    import random
    import string

    budget = 30_000
    monkeypatch.setattr(sarif_limits, "UPLOAD_BUDGET", budget)
    rng = random.Random(3)

    def noisy(rule_id: str, i: int) -> dict:
        text = "".join(rng.choice(string.ascii_letters) for _ in range(300))
        return result(rule_id, line=i + 1, fingerprint=f"{rule_id}{i}", message={"text": text})

    high = other_run("high/", [rule("H", "8.0")], [noisy("H", i) for i in range(40)])
    low = other_run("low/", [rule("L", "2.0")], [noisy("L", i) for i in range(200)])
    out = tmp_path / "out.sarif"
    summary = merge_files([write(tmp_path / "in.sarif", log_of(high, low))], out)
    assert len(gzip.compress(out.read_bytes(), compresslevel=6)) <= budget
    high_run, low_run = merged(out)["runs"]
    assert len(high_run["results"]) == 40 and "invocations" not in high_run
    kept = len(low_run["results"])
    assert 0 < kept < 200 and summary.dropped == 200 - kept
    note = low_run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert f"dropped {200 - kept:,} of 200 results" in note
    assert "10 MB gzip-compressed per file" in note
    assert any("(GitHub's upload size limit)" in n for n in summary.notes)


def test_output_is_deterministic(shards: tuple[Path, Path, dict], tmp_path: Path) -> None:
    a, b, _whole = shards
    other = write(tmp_path / "o.sarif", log_of(other_run(
        "o/", [rule("A1")], [result("A1", fingerprint="1", message={"text": "café ✓"})])))
    merge_files([a, other, b], tmp_path / "1.sarif")
    merge_files([a, other, b], tmp_path / "2.sarif")
    text = (tmp_path / "1.sarif").read_text("utf-8")
    assert text == (tmp_path / "2.sarif").read_text("utf-8")
    assert "café ✓" in text  # ensure_ascii=False
    assert text.startswith('{\n  "$schema": ')  # indented by 2


# --- refusing --------------------------------------------------------------------------------


def test_more_than_20_runs_is_refused(tmp_path: Path) -> None:
    runs = [other_run(f"cat{i}/", [rule("A1")], [result("A1", fingerprint=str(i))])
            for i in range(21)]
    out = tmp_path / "out.sarif"
    inputs = [write(tmp_path / "1.sarif", log_of(*runs[:11])),
              write(tmp_path / "2.sarif", log_of(*runs[11:]))]
    with pytest.raises(UsageError) as caught:
        merge_files(inputs, out)
    message = str(caught.value)
    assert "21 runs" in message and "21 categories" in message and "at most 20" in message
    assert "\n" not in message
    assert caught.value.exit_code == 2
    assert not out.exists()
    # 20 runs are fine
    assert merge_files([write(tmp_path / "1.sarif", log_of(*runs[:20]))], out).runs_out == 20


BAD_INPUTS: dict[str, tuple[str | None, str]] = {
    "missing": (None, "bad.sarif: no such file"),
    "not-json": ('{"version": "2.1.0", "runs": [', "bad.sarif: not JSON: "),
    "not-utf8": ('{"runs": "\udcff"}', "bad.sarif: not JSON: not UTF-8 text"),
    "array": ("[]", "bad.sarif: not a SARIF log: the top level is not a JSON object"),
    "no-driver": (
        '{"version": "2.1.0", "runs": [{"tool": {}}]}',
        "bad.sarif: not valid SARIF 2.1.0: runs.0.tool: 'driver' is a required property",
    ),
    "message-without-text": (
        '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},'
        ' "results": [{"message": {}}]}]}',
        "bad.sarif: not valid SARIF 2.1.0: runs.0.results.0.message: 'text' is a required "
        "property or 'id' is a required property",
    ),
    "version": (
        '{"version": "2.0.0", "runs": []}',
        'bad.sarif: SARIF version "2.0.0" is not supported (expected 2.1.0)',
    ),
}


@pytest.mark.parametrize("existing", [False, True], ids=["no-output", "existing-output"])
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_a_usage_error_naming_the_file(
    case: str, existing: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, expected = BAD_INPUTS[case]
    monkeypatch.chdir(tmp_path)
    good = write(tmp_path / "good.sarif", log_of(other_run("g/", [rule("A1")], [])))
    if content is not None:
        Path("bad.sarif").write_bytes(content.encode("utf-8", "surrogateescape"))
    out = tmp_path / "out.sarif"
    if existing:
        out.write_text("previous upload\n")
    with pytest.raises(UsageError) as caught:
        merge_files([good, Path("bad.sarif")], out)
    message = str(caught.value)
    assert message.startswith(expected), message
    assert "\n" not in message
    assert caught.value.exit_code == 2
    if existing:
        assert out.read_text() == "previous upload\n"
    else:
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["good.sarif", *(["bad.sarif"] if content is not None else []),
         *(["out.sarif"] if existing else [])])


def test_unreadable_input(tmp_path: Path) -> None:
    folder = tmp_path / "dir.sarif"
    folder.mkdir()
    with pytest.raises(UsageError, match=r"dir\.sarif: is a folder, not a SARIF file$"):
        merge_files([folder], tmp_path / "out.sarif")
    assert not (tmp_path / "out.sarif").exists()


def test_output_equal_to_an_input_is_refused(tmp_path: Path) -> None:
    log = log_of(other_run("g/", [rule("A1")], [result("A1", fingerprint="1")]))
    a = write(tmp_path / "a.sarif", log)
    b = write(tmp_path / "b.sarif", log)
    before = a.read_bytes()
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.sarif"
    link.symlink_to(a)
    for output in (a, tmp_path / "sub" / ".." / "a.sarif", link):
        with pytest.raises(UsageError, match="the output is also an input") as caught:
            merge_files([b, a], output)
        assert str(caught.value).startswith(f"{output}: ")
    assert a.read_bytes() == before


def test_failed_write_leaves_the_output_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write(tmp_path / "a.sarif", log_of(other_run("g/", [rule("A1")], [])))
    out = tmp_path / "out.sarif"
    out.write_text("previous upload\n")
    out.chmod(0o640)

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", broken_replace)
        with pytest.raises(OutputError, match=r"out\.sarif: cannot write: No space left"):
            merge_files([source], out)
    assert out.read_text() == "previous upload\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.sarif", "out.sarif"]
    # a successful merge replaces the file and keeps its permissions
    merge_files([source], out)
    assert merged(out)["runs"][0]["tool"]["driver"]["name"] == "othertool"
    assert out.stat().st_mode & 0o777 == 0o640
    with pytest.raises(OutputError, match=r"missing/out\.sarif: cannot write"):
        merge_files([source], tmp_path / "missing" / "out.sarif")


def test_the_schema_ships_with_the_package() -> None:
    from importlib import resources

    shipped = resources.files("hullscan").joinpath("schema/sarif-schema-2.1.0.json")
    tests_copy = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
    assert json.loads(shipped.read_text("utf-8")) == json.loads(tests_copy.read_text("utf-8"))
