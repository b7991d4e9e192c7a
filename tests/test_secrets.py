"""The secrets checker: rule families, placeholders, Kubernetes/Compose/.env/Dockerfile/GCP
files, skipped-file counts, suppression, bad input, and the leak test."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo

from hullscan.core.redact import redact

# Test secrets are assembled at run time so this file itself holds none in full.
AWS_ID = "AKIA" + "Z7QW3RTY5UIOPLKJ"
AWS_SECRET = "Zq3Rt9Lm2Xv8Bn4Kp7Wd" + "1Fs6Hj0Gc5Ty3Ue8Io2P"
GITHUB = "ghp_" + "Qx7Lm2" * 6
GITLAB = "glpat-" + "Hk29Lq7Xz4Mn8Pw1Rt5V"
SLACK = "xoxb-" + "2849551-93847561-AbCdEfGhIjKlMnOp"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
NPM = "npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
PYPI = "pypi-AgE" + "IcHlwaS5vcmcCJGQ4NzZhYzYxLTk3YzAtNDc1Ny1iMTMx"
JWT = ("eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
       + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
URL_PASSWORD = "S3cretPassw0rd9"
AZURE = ("Kq9A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4Y5z6A7b8C9d0E1f2G3h4I5j6"
         + "K7l8M9n0P1q2")[:86] + "=="
GOOGLE = "AIza" + "SyD4Kq8Lm2Xv9Bn3Kp7Wd1Fs6Hj0Gc5Ty3U"
DB_PASSWORD = "Tr0ub4dor-and-3-horses"
KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + "BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{KEY_BODY}\n-----END RSA PRIVATE KEY-----\n"
K8S_PASSWORD = "K8s-D4ta-Pa55word-x9"
STRING_DATA = "str1ngD4ta-T0ken-Qm8v"
ENV_VALUE = "Pl41n-Env-Passw0rd-Zk"
COMPOSE_SECRET = "C0mp0se-S3cret-Vq7w"
DOTENV_SECRET = "D0tEnv-Api-T0ken-Xr4"
DOCKER_SECRET = "D0cker-Env-Passw0rd-Lp2"


def _findings(run: Any) -> list[dict[str, Any]]:
    return [f for f in run.json()["findings"] if f["checker"] == "secrets"]


def _secrets_json(hullscan: Any, root: Path, *paths: str) -> tuple[Any, list[dict[str, Any]]]:
    run = hullscan("secrets", *(paths or (".",)), "--format", "json", "--fail-on", "never",
                   cwd=root)
    assert run.code == 0, run.err
    return run, _findings(run)


def _where(findings: list[dict[str, Any]]) -> set[tuple[str, int, str, str]]:
    return {
        (f["location"]["path"], f["location"]["start_line"], f["rule"]["id"], f["severity"])
        for f in findings
    }


FAMILIES = [
    # (rule, severity, line that fires, placeholder / documentation line that does not)
    ("HS200", "high", f'key_id = "{AWS_ID}"', 'key_id = "AKIAIOSFODNN7EXAMPLE"'),
    ("HS211", "critical", f'aws_secret_access_key = "{AWS_SECRET}"',
     'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"'),
    ("HS202", "critical", f'gh = "{GITHUB}"', 'gh = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"'),
    ("HS203", "critical", f'gl = "{GITLAB}"', 'gl = "glpat-xxxxxxxxxxxxxxxxxxxx"'),
    ("HS204", "high", f'slack = "{SLACK}"', 'slack = "xoxb-your-token-here"'),
    ("HS205", "critical", f'stripe = "{STRIPE}"', 'stripe = "sk_live_<your key>"'),
    ("HS206", "high", f'npm = "{NPM}"', 'npm = "npm_${NPM_TOKEN}"'),
    ("HS207", "high", f'pypi = "{PYPI}"', 'pypi = "pypi-<token>"'),
    ("HS208", "high", f'auth = "{JWT}"', 'auth = "eyJ...example"'),
    ("HS209", "high", f'url = "postgres://admin:{URL_PASSWORD}@db.internal/app"',
     'url = "postgres://admin:${DB_PASS}@db.internal/app"'),
    ("HS210", "high", f'db_password = "{DB_PASSWORD}"', 'db_password = "changeme"'),
    ("HS212", "critical", f'conn = "AccountKey={AZURE};EndpointSuffix=core"',
     'conn = "AccountKey=<your-account-key>"'),
    ("HS213", "high", f'maps = "{GOOGLE}"', 'maps = "AIza-your-api-key"'),
]


@pytest.mark.parametrize(("rule", "severity", "bad", "good"), FAMILIES,
                         ids=[f[0] for f in FAMILIES])
def test_rule_family_before_after(hullscan, repo: Repo, rule: str, severity: str, bad: str,
                                  good: str) -> None:
    repo.write("bad.py", f"import os\n\n{bad}\n")
    repo.write("good.py", f"import os\n\n{good}\n")
    _, findings = _secrets_json(hullscan, repo.root)
    assert _where(findings) == {("bad.py", 3, rule, severity)}, findings
    column = findings[0]["location"]["start_column"]
    assert column is not None and column > 1


def test_private_keys_pem_openssh_pgp(hullscan, repo: Repo) -> None:
    repo.write("id_rsa", PEM)
    repo.write("id_ed25519", f"-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_BODY}\n"
                             "-----END OPENSSH PRIVATE KEY-----\n")
    repo.write("key.asc", f"x\n-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{KEY_BODY}\n")
    repo.write("pub.pem", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOC\n")
    _, findings = _secrets_json(hullscan, repo.root)
    assert _where(findings) == {
        ("id_rsa", 1, "HS201", "critical"),
        ("id_ed25519", 1, "HS201", "critical"),
        ("key.asc", 2, "HS201", "critical"),
    }


def test_gcp_service_account_json(hullscan, repo: Repo) -> None:
    account = {
        "type": "service_account",
        "project_id": "demo",
        "private_key_id": "0123456789abcdef",
        "private_key": PEM,
        "client_email": "svc@demo.iam.gserviceaccount.com",
    }
    repo.write("sa.json", json.dumps(account, indent=2) + "\n")
    _, findings = _secrets_json(hullscan, repo.root)
    assert _where(findings) == {("sa.json", 5, "HS214", "critical")}


def test_kubernetes_secret_data_and_string_data_and_env(hullscan, repo: Repo) -> None:
    encoded = base64.b64encode(K8S_PASSWORD.encode()).decode()
    placeholder = base64.b64encode(b"changeme").decode()
    repo.write("k8s.yaml", f"""apiVersion: v1
kind: Secret
metadata:
  name: db
data:
  password: {encoded}
  other: {placeholder}
stringData:
  api_token: "{STRING_DATA}"
  template: "{{{{ .Values.token }}}}"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
        - name: app
          env:
            - name: DB_PASSWORD
              value: "{ENV_VALUE}"
            - name: SECRET_NAME
              value: "my-secret-name"
            - name: API_TOKEN
              value: "${{API_TOKEN}}"
""")
    _, findings = _secrets_json(hullscan, repo.root)
    assert _where(findings) == {
        ("k8s.yaml", 6, "HS215", "high"),
        ("k8s.yaml", 9, "HS215", "high"),
        ("k8s.yaml", 23, "HS210", "high"),
    }


def test_compose_env_dockerfile(hullscan, repo: Repo) -> None:
    repo.write("compose.yaml", f"""services:
  app:
    image: nginx:1.27
    environment:
      - DB_PASSWORD={COMPOSE_SECRET}
      - DB_USER=app
      - API_TOKEN=${{API_TOKEN}}
""")
    repo.write(".env", f"API_TOKEN={DOTENV_SECRET}\nDEBUG=true\nSECRET_KEY=changeme\n")
    repo.write("Dockerfile", f"FROM python:3.12\nENV APP_PASSWORD={DOCKER_SECRET}\nUSER 1\n")
    _, findings = _secrets_json(hullscan, repo.root)
    assert _where(findings) == {
        ("compose.yaml", 5, "HS210", "high"),
        (".env", 1, "HS210", "high"),
        ("Dockerfile", 2, "HS210", "high"),
    }


def test_keyword_needs_entropy_and_quotes_in_source(hullscan, repo: Repo) -> None:
    repo.write("app.py", 'password = get_password()\ntoken = "aaaaaaaaaa"\npwd_len = 12\n'
                         'secret_name = "db-creds"\n')
    repo.write("conf.yaml", "password: hunter2x\n")
    _, findings = _secrets_json(hullscan, repo.root)
    assert _where(findings) == {("conf.yaml", 1, "HS210", "high")}  # a password: high


def test_skipped_files_are_counted_not_listed_one_by_one(hullscan, repo: Repo) -> None:
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0" + GITHUB.encode())
    repo.write("blob.dat", b"abc\0def " + GITHUB.encode())
    repo.write("package-lock.json", json.dumps({"token": GITHUB}))
    repo.write("yarn.lock", f"token {GITHUB}\n")
    repo.write("vendor.min.js", f'var t="{GITHUB}";\n')
    repo.write("bundle.js", "var a=1;" * 200 + f'var t="{GITHUB}";\n')
    repo.write("big.txt", "x" * 9000 + "\n")
    repo.write("latin.txt", b"caf\xe9 " + GITHUB.encode())
    repo.write(".hullscan.yaml", "max_file_size: 8KB\n")
    repo.write("real.py", f'tok = "{GITHUB}"\n')
    run = hullscan("secrets", "logo.png", "blob.dat", "package-lock.json", "yarn.lock",
                   "vendor.min.js", "bundle.js", "big.txt", "latin.txt", "real.py",
                   "--format", "json", "--fail-on", "never", cwd=repo.root)
    assert run.code == 0, run.err
    assert _where(_findings(run)) == {("real.py", 1, "HS202", "critical")}
    notes = [n["message"] for n in run.json()["notifications"]]
    assert any(n.startswith("skipped 2 binary files") for n in notes), notes
    assert any(n.startswith("skipped 2 lock files") for n in notes), notes
    assert any(n.startswith("skipped 2 minified files") for n in notes), notes
    assert any(n.startswith("skipped 1 file over the size limit") for n in notes), notes
    assert any(n.startswith("skipped 1 non-UTF-8 file") for n in notes), notes
    assert len([n for n in notes if n.startswith("skipped")]) == 5
    assert GITHUB not in run.out + run.err


def test_bad_input_no_traceback(hullscan, repo: Repo) -> None:
    repo.write("real.py", f'tok = "{GITHUB}"\n')
    repo.write("nul.txt", b"a\0b")
    repo.write("huge.txt", "A" * (3 * 1024 * 1024))
    (repo.root / "dangling.txt").symlink_to(repo.root / "missing.txt")
    unreadable = repo.write("locked.txt", "x")
    unreadable.chmod(0)
    try:
        run = hullscan("secrets", ".", "locked.txt", "--format", "json", "--fail-on", "never",
                       cwd=repo.root)
    finally:
        unreadable.chmod(0o644)
    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    assert _where(_findings(run)) == {("real.py", 1, "HS202", "critical")}


def test_engine_missing_fails_but_own_patterns_run(hullscan, repo: Repo, monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "detect_secrets.plugins.aws", None)
    repo.write("real.py", f'tok = "{GITHUB}"\n')
    run = hullscan("secrets", ".", "--format", "json", cwd=repo.root)
    assert run.code == 3
    result = next(r for r in run.json()["checkers"] if r["name"] == "secrets")
    assert result["successful"] is False
    assert _where(_findings(run)) == {("real.py", 1, "HS202", "critical")}


def test_inline_and_fingerprint_suppression(hullscan, repo: Repo) -> None:
    repo.write("a.py", f'# hullscan: ignore[HS202] revoked test token\ntok = "{GITHUB}"\n')
    repo.write("b.py", f'tok = "{GITHUB}"\n')
    _, findings = _secrets_json(hullscan, repo.root)
    by_path = {f["location"]["path"]: f for f in findings}
    assert by_path["a.py"]["suppression"]["justification"] == "revoked test token"
    assert by_path["b.py"]["suppression"] is None
    fingerprint = by_path["b.py"]["fingerprint"].split(":")[0]
    repo.write(".hullscan.yaml", f"ignore:\n  - fingerprint: {fingerprint}\n"
                                 "    reason: fixture for a test\n")
    run = hullscan("secrets", ".", "--format", "json", cwd=repo.root)
    assert run.code == 0, run.err
    assert all(f["suppression"] for f in _findings(run))


def test_redact_masks_every_kind_found() -> None:
    for value in (AWS_ID, AWS_SECRET, GITHUB, GITLAB, SLACK, STRIPE, NPM, PYPI, JWT, GOOGLE):
        line = f'aws_secret_access_key = "{value}"' if value == AWS_SECRET else f'x = "{value}"'
        assert value not in redact(line), value[:4]
    assert AZURE not in redact(f"AccountKey={AZURE};")
    assert KEY_BODY[:20] not in redact(json.dumps({"private_key": PEM}))


# --- the leak test --------------------------------------------------------------------------

PLANTED = [AWS_ID, AWS_SECRET, GITHUB, GITLAB, SLACK, STRIPE, NPM, PYPI, JWT, URL_PASSWORD,
           AZURE, GOOGLE, DB_PASSWORD, KEY_BODY, K8S_PASSWORD, STRING_DATA, ENV_VALUE,
           COMPOSE_SECRET, DOTENV_SECRET, DOCKER_SECRET]


def _forms(value: str) -> set[str]:
    raw = value.encode()
    forms = {
        value, value[len(value) // 2:], base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode(),
        raw.hex(), raw.hex().upper(), urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value), hashlib.sha256(raw).hexdigest(),
        hashlib.sha1(raw).hexdigest(), hashlib.md5(raw).hexdigest(), json.dumps(value)[1:-1],
    }
    return {f for f in forms if len(f) >= 6}


def _plant_everything(repo: Repo) -> None:
    encoded = base64.b64encode(K8S_PASSWORD.encode()).decode()
    repo.write("app/settings.py", "\n".join([
        f'AWS_ACCESS_KEY_ID = "{AWS_ID}"',
        f'aws_secret_access_key = "{AWS_SECRET}"',
        f'GITHUB = "{GITHUB}"', f'GITLAB = "{GITLAB}"', f'SLACK = "{SLACK}"',
        f'STRIPE = "{STRIPE}"', f'NPM = "{NPM}"', f'PYPI = "{PYPI}"', f'JWT = "{JWT}"',
        f'DB_URL = "postgres://admin:{URL_PASSWORD}@db.internal/app"',
        f'AZURE = "DefaultEndpointsProtocol=https;AccountKey={AZURE};"',
        f'MAPS = "{GOOGLE}"', f'db_password = "{DB_PASSWORD}"',
    ]) + "\n")
    repo.write("config/app.yaml", f"database:\n  password: {DB_PASSWORD}\n  token: {GITHUB}\n")
    repo.write("config/app.json", json.dumps({"api_key": STRIPE, "jwt": JWT}, indent=2) + "\n")
    repo.write(".env", f"API_TOKEN={DOTENV_SECRET}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n")
    repo.write("Dockerfile", f"FROM python:3.12\nENV APP_PASSWORD={DOCKER_SECRET}\n"
                             f"ENV GH_TOKEN {GITHUB}\nARG NPM_TOKEN={NPM}\nUSER 1\n")
    repo.write("compose.yaml", f"services:\n  app:\n    image: nginx:1.27\n    environment:\n"
                               f"      - DB_PASSWORD={COMPOSE_SECRET}\n"
                               f"      - SLACK_TOKEN={SLACK}\n")
    repo.write("k8s/secret.yaml", f"""apiVersion: v1
kind: Secret
metadata:
  name: db
data:
  password: {encoded}
stringData:
  api_token: "{STRING_DATA}"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.27
          env:
            - name: DB_PASSWORD
              value: "{ENV_VALUE}"
""")
    repo.write("keys/id_rsa", PEM)
    repo.write("keys/sa.json", json.dumps({
        "type": "service_account", "private_key": PEM, "client_email": "a@b.iam",
    }, indent=2) + "\n")
    repo.write("main.tf", f'resource "aws_db_instance" "db" {{\n  password = "{DB_PASSWORD}"\n'
                          f'  username = "admin"\n}}\nprovider "aws" {{\n'
                          f'  access_key = "{AWS_ID}"\n  secret_key = "{AWS_SECRET}"\n}}\n')


def test_no_secret_ever_leaves_hullscan(hullscan, repo: Repo, tmp_path: Path) -> None:
    _plant_everything(repo)
    repo.commit("planted")
    blobs: list[str] = []
    for fmt in ("text", "json", "sarif"):
        out = tmp_path / f"out.{fmt}"
        also = tmp_path / f"also.{fmt}.sarif"
        run = hullscan("scan", "-vv", "--format", fmt, "-o", str(out), "--sarif", str(also),
                       cwd=repo.root)
        assert run.code in (1, 3), run.err
        blobs += [run.out, run.err, out.read_text(), also.read_text()]
    for extra in (("-v",), ()):
        run = hullscan("scan", *extra, cwd=repo.root)
        blobs += [run.out, run.err]
    run = hullscan("secrets", ".", "--format", "sarif", cwd=repo.root)
    blobs += [run.out, run.err]
    blob = "\n".join(blobs)
    rules = {f"HS2{n:02d}" for n in range(16)}
    found = {r for r in rules if r in blob}
    assert found == rules, sorted(rules - found)
    leaks = [(value[:4], form) for value in PLANTED for form in _forms(value) if form in blob]
    assert not leaks, f"leaked forms of: {sorted({v for v, _ in leaks})}"
