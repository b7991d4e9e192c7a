"""A secret hullscan finds never appears in full in anything it writes."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from conftest import Repo

SECRETS = {
    "DB_PASSWORD": "Tr0ub4dor-and-3-horses",
    "AWS_ACCESS_KEY_ID": "AKIAZ7QW3RTY5UIOPLKJ",
    "GITHUB_TOKEN": "ghp_" + "Qx7" * 12,
}


def test_secrets_never_leave_in_full(hullscan, repo: Repo, tmp_path: Path) -> None:
    lines = ["FROM python:3.12"]
    lines += [f"ENV {name}={value}" for name, value in SECRETS.items()]
    lines += [f"ARG BUILD_TOKEN={SECRETS['GITHUB_TOKEN']}", "USER 1"]
    repo.write("Dockerfile", "\n".join(lines) + "\n")
    outputs: list[str] = []
    for fmt in ("text", "json", "sarif"):
        out = tmp_path / f"out.{fmt}"
        run = hullscan("scan", "-vv", "--format", fmt, "-o", str(out),
                       "--sarif", str(tmp_path / f"also.{fmt}.sarif"), cwd=repo.root)
        assert run.code == 1
        outputs += [run.out, run.err, out.read_text(), (tmp_path / f"also.{fmt}.sarif").read_text()]
    plain = hullscan("scan", "-v", cwd=repo.root)
    outputs += [plain.out, plain.err]
    blob = "\n".join(outputs)
    assert blob.count("HS110") >= 4
    for value in SECRETS.values():
        forms = {
            value,
            value[len(value) // 2:],
            base64.b64encode(value.encode()).decode(),
            hashlib.sha256(value.encode()).hexdigest(),
            value.encode().hex(),
        }
        for form in forms:
            assert form not in blob, f"a form of {value[:3]}... leaked"


def test_a_secret_in_a_dockerfile_is_one_finding(hullscan, repo: Repo) -> None:
    repo.write("Dockerfile", "FROM python:3.12\nENV DB_PASSWORD=Sup3rS3cretValue99\nUSER 1\n")
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    on_line_2 = [f["rule"]["id"] for f in run.json()["findings"]
                 if f["location"]["start_line"] == 2]
    assert on_line_2 == ["HS110"]  # the secrets checker's HS210 yields to it
    repo.write(".hullscan.yaml", "checkers:\n  dockerfile:\n    disable_rules: [HS110]\n")
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    assert [f["rule"]["id"] for f in run.json()["findings"]
            if f["location"]["start_line"] == 2] == ["HS210"]
