"""What reviewers see on GitHub: annotations within the per-step limits, and the job summary."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import Repo

from hullscan.formats.github import annotation_lines, summary
from hullscan.formats.interface import RenderContext
from hullscan.model import (
    CheckerResult,
    Finding,
    Location,
    Notification,
    NotificationLevel,
    Report,
    Rule,
    Severity,
)

COMMAND = re.compile(r"^::(?P<level>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<msg>.*)$")


def _rule(rule_id: str, severity: Severity) -> Rule:
    return Rule(rule_id, f"rule-{rule_id.lower()}", "short", "full", "help", severity)


def _finding(i: int, severity: Severity, path: str = "Dockerfile") -> Finding:
    return Finding(
        rule=_rule(f"HS{100 + i % 7}", severity), checker="dockerfile", severity=severity,
        message=f"problem {i}, with a comma: and a colon\nand a second line 100%",
        location=Location(path, i + 1, 1), fingerprint=f"{i:032x}:1",
    )


def _report(findings: list[Finding], notes: tuple[Notification, ...] = (),
            fail_on: Severity | None = Severity.HIGH) -> Report:
    return Report(results=(CheckerResult("dockerfile", tuple(findings), notes,
                                         files_scanned=3),), fail_on=fail_on, root=".")


def _parse(lines: list[str]) -> list[dict[str, str]]:
    out = []
    for line in lines:
        match = COMMAND.match(line)
        assert match, line
        props = dict(p.split("=", 1) for p in (match["props"] or "").split(",") if p)
        out.append({"level": match["level"], "msg": match["msg"], **props})
    return out


def test_annotations_most_severe_first_within_the_limits() -> None:
    findings = ([_finding(i, Severity.MEDIUM) for i in range(15)]
                + [_finding(100 + i, Severity.CRITICAL) for i in range(4)]
                + [_finding(200 + i, Severity.HIGH) for i in range(9)]
                + [_finding(300 + i, Severity.LOW) for i in range(12)])
    parsed = _parse(annotation_lines(_report(findings)))
    levels = [a["level"] for a in parsed]
    assert levels.count("error") == 10 and levels.count("warning") == 10
    assert levels.count("notice") == 10  # 9 findings and the "more" notice
    # critical before high before medium before low
    assert levels == ["error"] * 10 + ["warning"] * 10 + ["notice"] * 10
    assert parsed[0]["title"].endswith("(critical)") and parsed[4]["title"].endswith("(high)")
    left_out = (13 - 10) + (15 - 10) + (12 - 9)
    last = parsed[-1]
    assert last["msg"].startswith(f"{left_out} more findings are not annotated")
    assert "job summary" in last["msg"]
    # escaping: one line per command, separators in properties encoded
    first = parsed[0]
    assert "%0A" in first["msg"] and "%25" in first["msg"]
    assert first["file"] == "Dockerfile" and first["line"] == "101" and first["col"] == "1"


def test_annotations_without_overflow_have_no_extra_notice() -> None:
    parsed = _parse(annotation_lines(_report([_finding(i, Severity.LOW) for i in range(10)])))
    assert len(parsed) == 10
    assert all(a["level"] == "notice" and "more" not in a["msg"] for a in parsed)


def test_checker_failure_is_an_error_annotation_and_suppressed_are_not_annotated() -> None:
    from dataclasses import replace

    from hullscan.model import Suppression, SuppressionKind

    suppressed = replace(_finding(1, Severity.HIGH),
                         suppression=Suppression(SuppressionKind.IN_SOURCE, "reviewed"))
    note = Notification("iac", NotificationLevel.ERROR, "checkov crashed", "main.tf", 3)
    parsed = _parse(annotation_lines(_report([suppressed], (note,))))
    assert parsed == [{"level": "error", "msg": "iac: main.tf:3: checkov crashed",
                       "file": "main.tf", "line": "3",
                       "title": "hullscan%3A iac could not check everything"}]


def test_summary_links_blocking_findings_first_at_the_head_commit() -> None:
    findings = [_finding(1, Severity.LOW, "src/a b.py"), _finding(2, Severity.CRITICAL),
                _finding(3, Severity.MEDIUM)]
    context = RenderContext("https://github.com/octo/app", "abc123",
                            "hullscan scan . --fail-on high")
    text = summary(_report(findings), context)
    assert text.startswith("## hullscan: 1 blocking finding (fail-on high)\n")
    blocking = text.split("### Blocking findings")[1].split("###")[0]
    assert "[Dockerfile:3](https://github.com/octo/app/blob/abc123/Dockerfile#L3)" in blocking
    assert "problem 2, with a comma: and a colon and a second line 100%" in blocking
    others = text.split("### Other findings")[1].split("###")[0]
    assert others.index("medium") < others.index("low")
    assert "(https://github.com/octo/app/blob/abc123/src/a%20b.py#L2)" in others
    assert "| critical | 1 | 1 |" in text and "| low | 1 | 1 |" in text
    assert "hullscan scan . --fail-on high" in text.split("### Reproduce locally")[1]


def test_summary_escapes_markdown_and_html() -> None:
    finding = _finding(1, Severity.HIGH)
    from dataclasses import replace

    finding = replace(finding, message="a | b <script>alert(1)</script>")
    text = summary(_report([finding]))
    assert "a \\| b &lt;script&gt;" in text and "<script>" not in text


def test_summary_is_cut_under_the_limit_with_a_note() -> None:
    findings = [_finding(i, Severity.HIGH) for i in range(30_000)]
    text = summary(_report(findings))
    size = len(text.encode("utf-8"))
    assert 900_000 < size <= 1_000_000
    assert re.search(r"_\d+ more line\(s\) left out: GitHub drops a job summary over 1 MiB", text)
    assert "### Not blocking" in text  # the closing sections survive the cut


def test_cli_writes_summary_outputs_and_github_format(hullscan, repo: Repo,
                                                      tmp_path: Path) -> None:
    repo.write("Dockerfile", "FROM python:3.12\nRUN curl -s https://x.example/i.sh | sh\n"
               "USER 10001\n")
    repo.commit()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"head": {"sha": "feedbeef" * 5}}}))
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "octo/app",
           "GITHUB_SHA": "0" * 40, "GITHUB_EVENT_PATH": str(event)}
    (repo.root / "summary.md").write_text("earlier step\n")
    run = hullscan("dockerfile", "Dockerfile", "--format", "github", "--summary", "summary.md",
                   "--outputs", "outputs.txt", env=env, cwd=repo.root)
    assert run.code == 1
    annotations = [line for line in run.out.splitlines() if line.startswith("::")]
    assert annotations[0].startswith("::error file=Dockerfile,line=2,col=1,title=HS121")
    assert "Dockerfile:2:1 high HS121" in run.out  # the text listing follows for the log
    text = (repo.root / "summary.md").read_text("utf-8")
    assert text.startswith("earlier step\n## hullscan: 1 blocking finding")  # appended
    assert f"https://github.com/octo/app/blob/{'feedbeef' * 5}/Dockerfile#L2" in text
    outputs = dict(line.split("=") for line in
                   (repo.root / "outputs.txt").read_text().splitlines())
    assert outputs["blocking"] == "1" and int(outputs["findings"]) >= 3
    assert outputs["new"] == outputs["findings"] and outputs["unchanged"] == "0"


def test_hook_entry_point_writes_a_summary_with_a_reproduce_command(
    repo: Repo, monkeypatch, capsys
) -> None:
    from hullscan_hooks import dockerfile as hook

    repo.write("Dockerfile", "FROM python:3.12\nUSER 10001\n")
    repo.commit()
    monkeypatch.chdir(repo.root)
    code = hook.main(["Dockerfile", "--fail-on", "medium", "--summary", "s.md"])
    assert code == 1
    text = (repo.root / "s.md").read_text("utf-8")
    assert "hullscan scan Dockerfile --checkers dockerfile --fail-on medium" in text
    assert "HS101" in capsys.readouterr().out
