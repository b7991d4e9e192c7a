"""What reviewers see on GitHub: annotations within the per-step limits, and the job summary."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import Repo

from hullscan.core.model import (
    CheckerResult,
    Finding,
    Location,
    Notification,
    NotificationLevel,
    Report,
    Rule,
    Severity,
)
from hullscan.formats.github import annotation_lines
from hullscan.formats.interface import RenderContext
from hullscan.formats.markdown import summary

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

    from hullscan.core.model import Suppression, SuppressionKind

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


# --- output nobody can forge ------------------------------------------------------------------

# one high finding (HS121, line 3) per file: every folder's gets an error annotation
HOSTILE_DOCKERFILE = "FROM python:3.12\nUSER 10001\nRUN curl -s https://x.example/i.sh | sh\n"
OWN_TITLE = re.compile(r"^(\S+ \S+ \((critical|high|medium|low|info)\)|hullscan: .+)$")


def _unescape_property(value: str) -> str:
    for escaped, char in (("%3A", ":"), ("%2C", ","), ("%0D", "\r"), ("%0A", "\n"), ("%25", "%")):
        value = value.replace(escaped, char)
    return value


def _runner_lines(out: str) -> list[str]:
    """Lines as GitHub's runner reads a step's output: split at LF, CR and CRLF."""
    return re.split(r"\r\n|\r|\n", out)


def _hostile_tree(repo: Repo) -> list[str]:
    """Dockerfiles with findings in folders named like workflow commands and like Markdown."""
    folders = ["::warning title=X::pwned", "  ::notice::indented", "[x](evil.example)",
               "![i](evil.example%2Fi.png)", "<img src=x onerror=alert(1)>", "a`b``c",
               "a|b", "www.evil.example", "$x$ ~~s~~ **b** # h"]
    try:
        (repo.root / "n\n::error::x").mkdir()
        folders.append("n\n::error::x")
    except OSError:  # a file system without newlines in names
        pass
    for folder in folders:
        repo.write(f"{folder}/Dockerfile", HOSTILE_DOCKERFILE)
    repo.commit()
    return folders


def test_github_format_prints_no_command_hullscan_did_not_write(hullscan, repo: Repo) -> None:
    folders = _hostile_tree(repo)
    run = hullscan("scan", "--format", "github", cwd=repo.root)
    assert run.code == 1, run.err
    lines = _runner_lines(run.out)
    stops = [i for i, line in enumerate(lines) if line.startswith("::stop-commands::")]
    assert len(stops) == 1, lines
    start = stops[0]
    token = lines[start].removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    end = lines.index(f"::{token}::")
    # before the listing: hullscan's own annotations only, each on a real file of the tree
    errors = set()
    for line in lines[:start]:
        parsed = _parse([line])[0]
        assert OWN_TITLE.match(_unescape_property(parsed["title"])), line
        if parsed["level"] == "error":
            errors.add(_unescape_property(parsed["file"]))
    assert errors == {f"{folder}/Dockerfile" for folder in folders}
    # the listing: inert even without stop-commands, one line per finding
    listing = lines[start + 1 : end]
    assert not any(line.lstrip().startswith("::") for line in listing), listing
    assert f"::{token}::" not in listing
    shown = [line.split(" RUN downloads")[0] for line in listing]
    assert "./::warning title=X::pwned/Dockerfile:3:1 high HS121" in shown
    if "n\n::error::x" in folders:
        assert "n\\n::error::x/Dockerfile:3:1 high HS121" in shown
    # after it: nothing
    assert not any(line.lstrip().startswith("::") for line in lines[end + 1 :])
    again = hullscan("scan", "--format", "github", cwd=repo.root)
    assert f"::stop-commands::{token}" not in again.out  # a fresh token per run


def test_stderr_notifications_are_one_line_after_the_prefix(hullscan, repo: Repo) -> None:
    repo.write("ok/Dockerfile", "FROM python:3.12\nUSER 10001\n")
    try:  # a broken symbolic link: a warning naming it
        (repo.root / "bad\r\n::error::x.Dockerfile").symlink_to("missing")
    except OSError:
        pytest.skip("no newline in file names here")
    repo.commit()
    run = hullscan("dockerfile", "--format", "github", ".", cwd=repo.root)
    errors = [line for line in _runner_lines(run.err) if line]
    assert errors == ["hullscan: warning: discovery: bad\\r\\n::error::x.Dockerfile: broken "
                      "symbolic link: skipped"]


def test_summary_escapes_paths_rule_ids_and_urls_from_the_repository(hullscan, repo: Repo,
                                                                      tmp_path: Path) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    folders = _hostile_tree(repo)
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "octo/app",
           "GITHUB_SHA": "0" * 40}
    for extra, links in (({}, False), (env, True)):
        summary_file = tmp_path / f"summary-{links}.md"
        run = hullscan("scan", "--summary", str(summary_file), "--", *folders,
                       cwd=repo.root, env=extra)
        assert run.code == 1, run.err
        text = summary_file.read_text("utf-8")
        html = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)
        assert "<img" not in html and "<h1" not in html and "<del>" not in html, html
        assert "<strong>" not in html and "<em>" not in html
        hrefs = re.findall(r'<a href="([^"]*)"', html)
        own = ("https://github.com/hullscan/hullscan/", "https://github.com/hadolint/")
        blobs = [h for h in hrefs if not h.startswith(own)]
        if links:
            assert blobs and all(h.startswith("https://github.com/octo/app/blob/") for h in blobs)
            assert all(re.fullmatch(r"[^()<>\s`\"']+", h) for h in blobs), blobs
        else:
            assert blobs == []
        # every table row keeps its four cells
        rows = re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL)
        assert rows and all(len(re.findall(r"<t[dh]>", row)) == 4
                            for row in rows if "HS1" in row), rows
        # and each folder is shown as it is (the newline as a space)
        shown = html_text(html)
        for folder in folders:
            assert " ".join(folder.split()) + "/Dockerfile:3" in shown, folder
        reproduce = html.split("Reproduce locally")[1]
        assert "<pre><code" in reproduce and "$x$ ~~s~~ **b** # h" in html_text(reproduce)


def html_text(html: str) -> str:
    """The text a reader sees in rendered HTML: tags dropped, entities decoded."""
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", "", html))


def test_summary_fences_the_reproduce_command_and_escapes_help_links() -> None:
    from dataclasses import replace

    markdown_it = pytest.importorskip("markdown_it")
    finding = replace(_finding(1, Severity.HIGH, "a`b/Dockerfile"),
                      rule=replace(_rule("X1", Severity.HIGH),
                                   help_uri="https://x.example/(a) ![i](https://e/p.png)"))
    context = RenderContext(None, None, "hullscan scan 'x\n```\n# pwned\n<img src=x>'")
    text = summary(_report([finding]), context)
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(text)
    assert re.findall(r'<a href="([^"]*)">X1</a>', html) == [
        "https://x.example/%28a%29%20!%5Bi%5D%28https://e/p.png%29"]
    assert "<code>a`b/Dockerfile:2</code>" in html
    assert "<img" not in html and "<h1" not in html
    reproduce = text.split("### Reproduce locally\n\n")[1]
    assert reproduce.startswith("````sh\n") and reproduce.endswith("<img src=x>'\n````\n")
    assert "hullscan scan 'x\n```\n# pwned\n&lt;img src=x&gt;'\n</code></pre>" in html
    bad = replace(finding, rule=replace(finding.rule, help_uri="javascript:alert(1)"))
    assert "javascript" not in summary(_report([bad]))
