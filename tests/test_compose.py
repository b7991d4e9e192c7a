"""The Compose checker: compose-lint plus hullscan's shared workload rules, exact lines, secrets
never shown, bad input as one-line notifications, and compose-lint failures."""

from __future__ import annotations

import json
import re
import shutil
import stat
import sys
from pathlib import Path

import pytest
from conftest import DATA, EXAMPLES, PROJECT, Repo

from hullscan.checkers.compose import SEVERITIES, is_compose_file
from hullscan.compose.loader import ComposeLoadError, check_expansion, load_compose
from hullscan.compose.rules import ALL_RULES, SUPERSEDES

COMPOSE = DATA / "compose"
INSECURE = (COMPOSE / "compose.insecure.yaml").read_text("utf-8")
HARDENED = (COMPOSE / "compose.hardened.yaml").read_text("utf-8")
SECRETS = ("hunter2-compose-2024", "Sup3rSecretDbPass")
RULES_DOC = (PROJECT / "docs" / "rules.md").read_text("utf-8")

# (rule, line, severity) of every finding in compose.insecure.yaml.
EXPECTED = sorted([
    ("CL-0003", 3, "medium"), ("CL-0006", 3, "medium"),
    ("HS144", 3, "low"), ("HS145", 3, "low"),
    ("HS102", 4, "high"),  # nginx:latest (CL-0004 dropped)
    ("HS132", 5, "high"),  # privileged (CL-0002 dropped)
    ("HS141", 6, "high"),  # network_mode: host (CL-0008 dropped)
    ("HS100", 7, "high"),  # user: root (CL-0018 dropped)
    ("HS142", 10, "high"),  # SYS_ADMIN item (CL-0024 dropped); NET_BIND_SERVICE is fine
    ("HS143", 12, "high"),  # seccomp:unconfined item (CL-0009 dropped)
    ("HS140", 14, "high"),  # docker.sock, short syntax (CL-0001 dropped)
    ("HS140", 16, "high"),  # `source: /`, long syntax (CL-0001 on the item line dropped)
    ("HS110", 19, "high"),  # DB_PASSWORD map form (CL-0020 dropped)
    ("CL-0003", 21, "medium"), ("CL-0006", 21, "medium"),
    ("HS144", 21, "low"), ("HS145", 21, "low"),
    ("HS102", 22, "high"),  # postgres, untagged
    ("HS141", 23, "high"),  # pid: host
    ("HS100", 24, "high"),  # user: "0:0"
    ("HS146", 26, "high"),  # 5432:5432 (127.0.0.1:6379:6379 is fine)
    ("HS110", 29, "high"),  # POSTGRES_PASSWORD=... list form
    ("CL-0003", 31, "medium"), ("CL-0006", 31, "medium"),
    ("CL-0026", 31, "medium"),  # memory limit set, no CPU limit: compose-lint's finding stays
    ("HS141", 33, "high"),  # ipc: host
    ("HS143", 34, "high"),  # apparmor=unconfined in a flow list
    ("HS146", 36, "high"),  # long syntax, no host_ip
])


def findings_of(run) -> list[tuple[str, int, str]]:
    data = run.json()
    return sorted(
        (f["rule"]["id"], f["location"]["start_line"], f["severity"]) for f in data["findings"]
    )


@pytest.fixture
def compose_repo(repo: Repo) -> Repo:
    repo.write("compose.yaml", INSECURE)
    repo.write("hardened/compose.yaml", HARDENED)
    return repo


def test_insecure_file_exact_rules_lines_severities(hullscan, compose_repo: Repo) -> None:
    run = hullscan("compose", "compose.yaml", "--format", "json", cwd=compose_repo.root)
    assert run.code == 1
    assert findings_of(run) == EXPECTED
    data = run.json()
    assert data["notifications"] == []
    (checker,) = data["checkers"]
    assert checker["successful"] and checker["tools"][0]["name"] == "compose-lint"
    cwe = {r.id: list(r.cwe) for r in ALL_RULES}
    for finding in data["findings"]:
        assert finding["location"]["path"] == "compose.yaml"
        if finding["rule"]["id"].startswith("HS"):
            assert finding["properties"].get("cwe", []) == cwe[finding["rule"]["id"]]
    assert cwe["HS140"] == ["CWE-668"]


def test_hardened_twin_has_no_findings(hullscan, compose_repo: Repo) -> None:
    run = hullscan("compose", "hardened/compose.yaml", "--format", "json", "--fail-on", "low",
                   cwd=compose_repo.root)
    assert run.code == 0, run.out
    assert run.json()["findings"] == []


def test_exit_codes_follow_fail_on(hullscan, compose_repo: Repo) -> None:
    assert hullscan("compose", "compose.yaml", "--fail-on", "critical", "-q",
                    cwd=compose_repo.root).code == 0
    assert hullscan("compose", "compose.yaml", "--fail-on", "high", "-q",
                    cwd=compose_repo.root).code == 1
    assert hullscan("compose", "compose.yaml", "--fail-on", "never", "-q",
                    cwd=compose_repo.root).code == 0


def test_sarif_rules_carry_compose_lint_help(hullscan, compose_repo: Repo) -> None:
    run = hullscan("compose", "compose.yaml", "--format", "sarif", cwd=compose_repo.root)
    log = json.loads(run.out)
    (sarif_run,) = log["runs"]
    assert sarif_run["automationDetails"]["id"].startswith("hullscan/compose/")
    rules = {r["id"]: r for r in sarif_run["tool"]["driver"]["rules"]}
    cl = rules["CL-0003"]
    assert cl["shortDescription"]["text"] != "CL-0003"
    assert "no-new-privileges" in cl["help"]["text"]  # compose-lint's fix text
    assert "References" in cl["help"]["text"] and cl["helpUri"].startswith("https://")
    assert rules["HS140"]["properties"]["security-severity"] == "8.0"
    levels = {r["ruleId"]: r["level"] for r in sarif_run["results"]}
    assert levels["HS140"] == "error" and levels["CL-0003"] == "warning"
    assert levels["HS144"] == "note"


def test_secrets_never_in_any_output(hullscan, compose_repo: Repo, tmp_path: Path) -> None:
    sarif = tmp_path / "out.sarif"
    outputs = []
    for fmt in ("text", "json", "sarif"):
        run = hullscan("compose", "compose.yaml", "--format", fmt, "-v", cwd=compose_repo.root)
        outputs += [run.out, run.err]
    run = hullscan("scan", "--sarif", str(sarif), cwd=compose_repo.root)
    outputs += [run.out, run.err, sarif.read_text("utf-8")]
    for text in outputs:
        for secret in SECRETS:
            assert secret not in text
    data = json.loads(outputs[2])
    secrets = [f for f in data["findings"] if f["rule"]["id"] == "HS110"]
    assert len(secrets) == 2
    assert any("hunt******" in f["message"] for f in secrets)


def test_fingerprint_basis_has_no_secret() -> None:
    from hullscan.compose.rules import RuleContext, check

    hits = [h for h in check(load_compose(INSECURE), RuleContext(None)) if h.rule.id == "HS110"]
    assert [h.fingerprint_basis for h in hits] == [
        "services.web.environment DB_PASSWORD", "services.db.environment POSTGRES_PASSWORD",
    ]


def test_compose_lint_messages_name_the_service(hullscan, compose_repo: Repo) -> None:
    run = hullscan("compose", "compose.yaml", "--format", "json", cwd=compose_repo.root)
    lint = {(f["rule"]["id"], f["location"]["start_line"]): f["message"]
            for f in run.json()["findings"] if f["rule"]["id"].startswith("CL-")}
    assert lint[("CL-0003", 3)].startswith("Service 'web' does not set no-new-privileges.")
    assert lint[("CL-0006", 21)].startswith("Service 'db' does not drop all capabilities.")
    assert lint[("CL-0026", 31)].startswith("Service 'daemon' declares no CPU limit.")
    for (_, line), message in lint.items():
        service = "web" if line < 21 else "db" if line < 31 else "daemon"
        assert message.startswith(f"Service '{service}' "), message


def test_compose_lint_finding_without_a_service_is_named_from_its_line(
    hullscan, repo: Repo, tmp_path: Path
) -> None:
    """An older compose-lint (or a rule) that gives no `service`: the service whose block holds
    the line; a line outside `services` names none."""
    fake = tmp_path / "compose-lint"
    items = [
        {"file": "compose.yaml", "line": line, "rule_id": rule, "severity": "medium",
         "message": message, "suppressed": False}
        for line, rule, message in [
            (6, "CL-9001", "Port '8080:80' is bound to all interfaces."),
            (4, "CL-9002", "Service does not set no-new-privileges."),
            (9, "CL-9003", "Network 'front' is not internal."),
        ]
    ]
    payload = {"version": "2", "tool": {"name": "compose-lint", "version": "0"},
               "findings": items, "errors": [], "warnings": []}
    fake.write_text(f"#!{sys.executable}\nprint({json.dumps(json.dumps(payload))})\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    repo.write("compose.yaml", "services:\n  web:\n    image: a:1\n  api:\n    image: b:1\n"
               "    ports: ['8080:80']\n    read_only: true\nnetworks:\n  front: {}\n")
    run = hullscan("compose", "compose.yaml", "--format", "json", cwd=repo.root,
                   env={"HULLSCAN_COMPOSE_LINT": str(fake)})
    messages = {f["rule"]["id"]: f["message"] for f in run.json()["findings"]}
    assert messages["CL-9001"] == "Service 'api': Port '8080:80' is bound to all interfaces."
    assert messages["CL-9002"] == "Service 'api' does not set no-new-privileges."
    assert messages["CL-9003"] == "Network 'front' is not internal."


def test_compose_lint_messages_are_redacted(hullscan, repo: Repo, tmp_path: Path) -> None:
    fake = tmp_path / "compose-lint"
    item = {
        "file": "compose.yaml", "line": 3, "rule_id": "CL-9999", "severity": "high",
        "service": "web", "message": "Found DB_PASSWORD=Sup3rSecretDbPass in ghp_"
        + "a" * 36, "fix": "Remove DB_PASSWORD=Sup3rSecretDbPass", "references": [],
        "suppressed": False,
    }
    payload = {"version": "2", "tool": {"name": "compose-lint", "version": "0"},
               "findings": [item], "errors": [], "warnings": []}
    fake.write_text(f"#!{sys.executable}\nprint({json.dumps(json.dumps(payload))})\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    repo.write("compose.yaml", "services:\n  web:\n    image: a:1\n")
    env = {"HULLSCAN_COMPOSE_LINT": str(fake)}
    for fmt in ("text", "json", "sarif"):
        run = hullscan("compose", "compose.yaml", "--format", fmt, cwd=repo.root, env=env)
        assert "CL-9999" in run.out
        assert "Sup3rSecretDbPass" not in run.out + run.err
        assert "a" * 36 not in run.out + run.err


def test_missing_compose_lint_exit_3_own_rules_still_run(hullscan, compose_repo: Repo) -> None:
    run = hullscan("compose", "compose.yaml", "--format", "json", cwd=compose_repo.root,
                   env={"HULLSCAN_COMPOSE_LINT": "/nonexistent"})
    assert run.code == 3
    data = run.json()
    assert not data["checkers"][0]["successful"]
    (note,) = data["notifications"]
    assert note["level"] == "error" and "compose-lint" in note["message"]
    assert findings_of(run) == [f for f in EXPECTED if f[0].startswith("HS")]
    text = hullscan("compose", "compose.yaml", cwd=compose_repo.root,
                    env={"HULLSCAN_COMPOSE_LINT": "/nonexistent"})
    assert text.code == 3 and "compose-lint" in text.err and "Traceback" not in text.err


def _wrapper(tmp_path: Path, body: str) -> Path:
    real = shutil.which("compose-lint", path=str(Path(sys.executable).parent))
    assert real
    fake = tmp_path / "compose-lint-wrapper"
    fake.write_text(f"#!/bin/sh\n{body}\nexec {real} \"$@\"\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake


def test_compose_lint_crash_on_one_file_keeps_the_others(
    hullscan, compose_repo: Repo, tmp_path: Path
) -> None:
    compose_repo.write("crash/compose.yaml", "services:\n  app:\n    image: busybox\n")
    fake = _wrapper(tmp_path, 'for a in "$@"; do case "$a" in *crash*) '
                              'echo "Traceback: boom" >&2; exit 70;; esac; done')
    run = hullscan("scan", "--format", "json", cwd=compose_repo.root,
                   env={"HULLSCAN_COMPOSE_LINT": str(fake)})
    data = run.json()
    compose = next(c for c in data["checkers"] if c["name"] == "compose")
    assert compose["successful"]
    notes = [n for n in data["notifications"] if n["checker"] == "compose"]
    assert len(notes) == 1 and notes[0]["path"] == "crash/compose.yaml"
    assert notes[0]["level"] == "warning" and "compose-lint" in notes[0]["message"]
    found = {(f["location"]["path"], f["rule"]["id"]) for f in data["findings"]
             if f["checker"] == "compose"}
    assert ("compose.yaml", "CL-0003") in found  # compose-lint's findings of the good file
    assert ("crash/compose.yaml", "HS102") in found  # own rules on the failing file
    assert not any(p == "crash/compose.yaml" and r.startswith("CL-") for p, r in found)


def test_compose_lint_crashing_on_everything_is_a_checker_failure(
    hullscan, compose_repo: Repo, tmp_path: Path
) -> None:
    fake = _wrapper(tmp_path, 'echo "boom" >&2; exit 70')
    run = hullscan("compose", "compose.yaml", "hardened/compose.yaml", "--format", "json",
                   cwd=compose_repo.root, env={"HULLSCAN_COMPOSE_LINT": str(fake)})
    assert run.code == 3
    (note,) = run.json()["notifications"]
    assert note["level"] == "error" and "compose-lint" in note["message"]


LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [
        f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    + ["services:", "  x:", "    image: nginx:1", "    environment: *i", ""]
)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"services:\n  web:\n    image: x\n   bad: [\n", "line 4: invalid YAML"),
        (b"services:\n  web:\n    image: a:1\n    image: b:2\n", 'line 4: duplicate key "image"'),
        (LAUGHS.encode(), "expands to more than 100,000"),
        (b"\x00\x01\x02binary\x00", "binary file"),
        (b"services:\n" + b"  # padding\n" * 200_000, "over the size limit"),
        (b"- a\n- b\n", "top level is not a mapping"),
        (b"just a string\n", "top level is not a mapping"),
        (b"version: '3'\nnetworks: {}\n", "no `services` key"),
        (b"services: [a, b]\n", "`services` is not a mapping"),
        (b"a: 1\n---\nb: 2\n", "invalid YAML"),
        (b"services:\n" + b"[" * 5000 + b"\n", "invalid YAML"),
    ],
    ids=["syntax", "duplicate-key", "billion-laughs", "binary", "too-large", "list", "scalar",
         "no-services", "services-list", "two-documents", "deep-nesting"],
)
def test_bad_input_is_one_warning_and_others_still_checked(
    hullscan, repo: Repo, content: bytes, reason: str
) -> None:
    repo.write("bad/docker-compose.yml", content)
    repo.write("good/compose.yaml", "services:\n  app:\n    image: busybox\n")
    repo.write(".hullscan.yaml", "max_file_size: 1MB\n")
    run = hullscan("compose", "bad/docker-compose.yml", "good/compose.yaml", "--format", "json",
                   cwd=repo.root)
    assert "Traceback" not in run.err
    data = run.json()
    (note,) = data["notifications"]
    assert note["path"] == "bad/docker-compose.yml" and note["level"] == "warning"
    assert reason in note["message"], note["message"]
    assert "\n" not in note["message"]
    paths = {f["location"]["path"] for f in data["findings"]}
    assert paths == {"good/compose.yaml"}
    assert run.code == 1  # the good file's HS102 (busybox, untagged) still decides
    text = hullscan("compose", "bad/docker-compose.yml", "good/compose.yaml", cwd=repo.root)
    lines = [x for x in text.err.splitlines() if "bad/docker-compose.yml" in x]
    assert len(lines) == 1 and lines[0].startswith("hullscan: warning: compose: ")


def test_duplicate_key_message_never_quotes_values(hullscan, repo: Repo) -> None:
    repo.write("compose.yaml", "services:\n  a:\n    environment:\n"
                               "      DB_PASSWORD: Sup3rSecretDbPass\n"
                               "      DB_PASSWORD: hunter2-compose-2024\n")
    run = hullscan("compose", "compose.yaml", cwd=repo.root)
    assert "duplicate key" in run.err
    for secret in SECRETS:
        assert secret not in run.out + run.err


def test_expansion_is_measured_without_expanding() -> None:
    from ruamel.yaml import YAML

    node = YAML(typ="rt").compose(LAUGHS)
    with pytest.raises(ComposeLoadError):
        check_expansion(node)
    assert check_expansion(YAML(typ="rt").compose("a: [1, 2]\nb: {c: d}\n")) == 9


def test_scan_picks_up_compose_files(hullscan, repo: Repo) -> None:
    repo.write("compose.yaml", INSECURE)
    repo.write("deploy/docker-compose.prod.yml", "services:\n  app:\n    privileged: true\n")
    repo.write("notcompose.yaml", "services:\n  app:\n    privileged: true\n")
    repo.commit()
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    data = run.json()
    assert "compose" in {c["name"] for c in data["checkers"]}
    found = {(f["location"]["path"], f["rule"]["id"], f["location"]["start_line"])
             for f in data["findings"] if f["checker"] == "compose"}
    assert ("compose.yaml", "HS132", 5) in found
    assert ("deploy/docker-compose.prod.yml", "HS132", 3) in found
    assert not any(p == "notcompose.yaml" for p, _, _ in found)
    assert run.code in (1, 3)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("compose.yaml", True), ("compose.yml", True), ("docker-compose.yaml", True),
     ("docker-compose.yml", True), ("compose.override.yaml", True),
     ("docker-compose.prod.yml", True), ("compose.json", False), ("mycompose.yaml", False),
     ("docker-compose.yaml.bak", False)],
)
def test_file_names(name: str, expected: bool) -> None:
    assert is_compose_file(name) is expected


def test_merge_keys_point_at_the_anchor(hullscan, repo: Repo) -> None:
    repo.write("compose.yaml", "x-base: &base\n  privileged: true\n  cap_add: [SYS_ADMIN]\n"
                               "services:\n  a:\n    <<: *base\n    image: busybox:1\n")
    run = hullscan("compose", "compose.yaml", "--format", "json", cwd=repo.root)
    found = findings_of(run)
    assert ("HS132", 2, "high") in found and ("HS142", 3, "high") in found
    assert not [f for f in found if f[0] in ("CL-0002", "CL-0024")]


def test_ports_and_mounts_variants(hullscan, repo: Repo) -> None:
    repo.write("compose.yaml", """\
services:
  a:
    image: busybox:1
    ports:
      - 127.0.0.1:5432:5432
      - "[::1]:6379:6379"
      - "0.0.0.0:27017:27017"
      - "3306"
      - target: 22
        host_ip: 127.0.0.1
      - target: 9200
        host_ip: 0.0.0.0
      - "8080:80"
    volumes:
      - data:/var/lib/data
      - ./src:/src
      - /run/containerd/containerd.sock:/run/containerd/containerd.sock:ro
      - type: bind
        source: /srv/app
        target: /app
volumes:
  data: {}
""")
    run = hullscan("compose", "compose.yaml", "--format", "json", cwd=repo.root)
    hs = [(r, line) for r, line, _ in findings_of(run) if r in ("HS146", "HS140")]
    assert hs == [("HS140", 17), ("HS146", 7), ("HS146", 8), ("HS146", 11)]
    assert ("CL-0005", 13, "medium") in findings_of(run)  # 8080 stays compose-lint's


def test_config_can_disable_rules_of_the_compose_checker(hullscan, compose_repo: Repo) -> None:
    compose_repo.write(".hullscan.yaml", "checkers:\n  compose:\n"
                                         "    disable_rules: [HS144, CL-0003]\n")
    run = hullscan("compose", "compose.yaml", "--format", "json", cwd=compose_repo.root)
    ids = {r for r, _, _ in findings_of(run)}
    assert "HS144" not in ids and "CL-0003" not in ids and "HS140" in ids


def test_examples(hullscan) -> None:
    insecure = hullscan("compose", "examples/insecure-app/compose.yaml", "--format", "json",
                        cwd=PROJECT)
    assert insecure.code == 1
    ids = {r for r, _, _ in findings_of(insecure)}
    assert {"HS140", "HS132", "HS110", "HS146"} <= ids
    hardened = hullscan("compose", "examples/hardened-app/compose.yaml", "--fail-on", "low",
                        "--format", "json", cwd=PROJECT)
    assert hardened.code == 0 and hardened.json()["findings"] == []
    assert (EXAMPLES / "hardened-app" / "compose.yaml").is_file()


def test_docs_list_rules_severities_and_superseded_ids() -> None:
    section = RULES_DOC[RULES_DOC.index("## Compose checker"):]
    for rule in ALL_RULES:
        assert f'<a id="{rule.id.lower()}"></a>' in RULES_DOC, rule.id
        assert f"### {rule.id} {rule.name} ({rule.default_severity.value})" in RULES_DOC
        assert f"| [{rule.id}](#{rule.id.lower()}) |" in section, rule.id
    for cl_rule, ours in SUPERSEDES.items():
        assert f"| {cl_rule} | {', '.join(ours)} |" in section, cl_rule
    for theirs, severity in SEVERITIES.items():
        assert re.search(rf"^\| {theirs} \| {severity.value} \|", section, re.MULTILINE)
