"""The secrets checker: detect-secrets' plugins (from checkov's `bc-detect-secrets`, in process)
plus hullscan's own token patterns (`hullscan.redact.TOKEN_PATTERNS`), keyword assignments with
an entropy check, Kubernetes `Secret` objects (base64 `data` decoded) and GCP service-account keys.

A secret never leaves this module in full: messages carry the kind and `redact.mask(secret)`,
and the fingerprint basis is the line with the secret replaced by `<secret>`, redacted again.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hullscan.catalog import make_rule
from hullscan.checkers.interface import CheckContext
from hullscan.discover import Target
from hullscan.model import (
    CheckerResult,
    Finding,
    Location,
    Notification,
    NotificationLevel,
    Rule,
    Severity,
    ToolInfo,
)
from hullscan.redact import is_placeholder, mask, redact, token_spans
from hullscan.secrets.keyword import (
    credential_kind,
    entropy,
    file_kind,
    inside_string,
    inside_template,
    lowered,
    not_a_secret,
    path_context,
)
from hullscan.textfile import UnreadableFile, read_text

log = logging.getLogger("hullscan.secrets")

NAME = "secrets"
DETECT_SECRETS_URI = "https://github.com/bridgecrewio/detect-secrets"

_BINARY_WORDS = (
    ".png .jpg .jpeg .gif .bmp .ico .webp .tif .tiff .psd .pdf .zip .gz .tgz .bz2 .xz .zst .7z "
    ".rar .tar .jar .war .ear .class .so .dylib .dll .exe .o .a .lib .bin .iso .dmg .img .whl "
    ".egg .pyc .pyo .woff .woff2 .ttf .otf .eot .mp3 .mp4 .m4a .mov .avi .webm .wav .flac .ogg "
    ".wasm .sqlite .sqlite3 .db .parquet .avro .pkl .npy .npz .h5 .onnx .pt .deb .rpm .apk "
    ".keystore .jks .p12 .pfx .der"
)
BINARY_EXTENSIONS = frozenset(_BINARY_WORDS.split())
LOCK_FILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock",
    "Pipfile.lock", "uv.lock", "pdm.lock", "Cargo.lock", "Gemfile.lock", "composer.lock",
    "go.sum", "packages.lock.json", "gradle.lockfile", "mix.lock", "pubspec.lock",
    "flake.lock", "bun.lock", "conda-lock.yml", "Podfile.lock",
})
MINIFIABLE = frozenset({".js", ".mjs", ".cjs", ".css", ".map"})
MINIFIED_LINE = 1000
# Keyword assignments need quotes in these languages (`password = get_password()` is code).
_SOURCE_WORDS = (
    ".py .js .mjs .cjs .ts .tsx .jsx .go .java .kt .kts .scala .rb .php .cs .rs .c .h .cc .cpp "
    ".hpp .swift .m .groovy .dart .lua .pl .r"
)
SOURCE_EXTENSIONS = frozenset(_SOURCE_WORDS.split())
# ... and where a bare value is an expression: HCL (`password = var.db_password`), markup that
# shows code, Solidity
_MARKUP_WORDS = ".tf .hcl .tfvars .bicep .sol .html .htm .vue .svelte .erb .ejs .hbs .jsp .cshtml"
_QUOTES_NEEDED = SOURCE_EXTENSIONS | frozenset(_MARKUP_WORDS.split())
# Documentation examples (AWS's own) and obvious dummies: never reported.
_DUMMY = re.compile(
    r"example|sample|dummy|placeholder|changeme|change_me|redacted|fake|xxxx|\*\*\*\*|"
    r"^(.)\1+$|\$\{|\{\{|<[^>]*>|%\(|your[-_]?",
    re.IGNORECASE,
)


def _rule(rule_id: str, name: str, what: str, why: str, severity: Severity) -> Rule:
    return make_rule(
        rule_id, name, f"{what} committed in plain text",
        f"A {what.lower()} is written in a file of the repository. {why} Anyone who can read "
        "the repository, its history, a fork or a built image can use it.",
        "Revoke and rotate the credential now (removing it from the file does not remove it "
        "from the history), then load it at run time from a secret store or the environment "
        "(Kubernetes Secrets from an external store, Docker build secrets, CI secrets).",
        severity, ("secrets", "CWE-798"),
    )


R = Severity
RULES: dict[str, Rule] = {r.id: r for r in (
    _rule("HS200", "aws-access-key-id", "AWS access key id",
          "Together with its secret key it grants the IAM user's permissions.", R.HIGH),
    _rule("HS201", "private-key", "Private key (PEM, OpenSSH or PGP)",
          "It impersonates its owner: TLS servers, SSH logins, signatures.", R.CRITICAL),
    _rule("HS202", "github-token", "GitHub token",
          "It acts on GitHub with its owner's permissions.", R.CRITICAL),
    _rule("HS203", "gitlab-token", "GitLab token",
          "It acts on GitLab with its owner's permissions.", R.CRITICAL),
    _rule("HS204", "slack-token", "Slack token",
          "It reads and posts in the workspace.", R.HIGH),
    _rule("HS205", "stripe-key", "Stripe live key",
          "It moves money on the Stripe account.", R.CRITICAL),
    _rule("HS206", "npm-token", "npm token",
          "It publishes packages as its owner (a supply-chain risk).", R.HIGH),
    _rule("HS207", "pypi-token", "PyPI token",
          "It publishes packages as its owner (a supply-chain risk).", R.HIGH),
    _rule("HS208", "json-web-token", "JSON Web Token",
          "It is a bearer credential until it expires.", R.HIGH),
    _rule("HS209", "password-in-url", "Password in a URL",
          "Basic-auth URLs give the password to anyone reading the URL.", R.HIGH),
    _rule("HS210", "secret-keyword-assignment", "Secret assigned to a secret-named key",
          "A password, token or key is set to a literal value.", R.MEDIUM),
    _rule("HS211", "aws-secret-access-key", "AWS secret access key",
          "It signs AWS API calls as its IAM user.", R.CRITICAL),
    _rule("HS212", "azure-storage-key", "Azure storage account key",
          "It gives full access to the storage account.", R.CRITICAL),
    _rule("HS213", "google-api-key", "Google API key",
          "It is billed to and acts for the Google Cloud project.", R.HIGH),
    _rule("HS214", "gcp-service-account-key", "GCP service-account key",
          "The private key of a service-account JSON signs in as that service account.",
          R.CRITICAL),
    _rule("HS215", "kubernetes-secret-literal", "Kubernetes Secret value",
          "A `Secret` manifest's `data`/`stringData` holds the real value.", R.HIGH),
)}
ALL_RULES = tuple(RULES.values())

# kind (redact.TOKEN_PATTERNS, detect-secrets' secret_type) -> rule id
_KIND_RULE = {
    "AWS access key id": "HS200", "private key": "HS201", "GitHub token": "HS202",
    "GitLab token": "HS203", "Slack token": "HS204", "Stripe key": "HS205",
    "npm token": "HS206", "PyPI token": "HS207", "JSON Web Token": "HS208",
    "password in URL": "HS209", "AWS secret access key": "HS211",
    "Azure storage key": "HS212", "Google API key": "HS213",
    # detect-secrets
    "GitHub Token": "HS202", "Slack Token": "HS204", "Stripe Access Key": "HS205",
    "NPM tokens": "HS206", "Basic Auth Credentials": "HS209",
    "Azure Storage Account access key": "HS212",
}
_DS_KIND = {
    "GitHub Token": "GitHub token", "Slack Token": "Slack token",
    "Stripe Access Key": "Stripe key", "NPM tokens": "npm token",
    "Basic Auth Credentials": "password in URL", "JSON Web Token": "JSON Web Token",
    "Azure Storage Account access key": "Azure storage key",
}
_AWS_ID = re.compile(r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}")
# Rules more specific than a keyword assignment win when both see the same value.
_PRIORITY = {"HS214": 0, "HS201": 1, "HS210": 9, "HS215": 8}

_ASSIGN = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)[\"']?\s*(?P<sep>:=|=>|=|:)(?P<gap>\s*)"
    r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s\"'`,;#&]+))"
)
_K8S_NAME = re.compile(r"^\s*-?\s*name:\s*[\"']?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)")
_K8S_VALUE = re.compile(r"^\s*value:\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>\S+))")
_K8S_SECRET_KIND = re.compile(r"^kind:\s*[\"']?Secret[\"']?\s*$", re.MULTILINE)
_K8S_ENTRY = re.compile(
    r"^\s+(?P<key>[A-Za-z0-9_.-]+):\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s#]+))"
)
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")


@dataclass(frozen=True)
class _Hit:
    rule_id: str
    kind: str
    secret: str  # the secret itself (decoded for Kubernetes `data`)
    raw: str  # its text on the line
    start: int  # column (0-based) of `raw`
    severity: Severity | None = None
    name: str | None = None
    context: str | None = None  # "test" or "documentation": a sample, one severity lower


class _Engine:
    """detect-secrets' regex plugins, instantiated once (no global settings, no filters)."""

    def __init__(self) -> None:
        from detect_secrets.plugins.aws import AWSKeyDetector
        from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
        from detect_secrets.plugins.basic_auth import BasicAuthDetector
        from detect_secrets.plugins.github_token import GitHubTokenDetector
        from detect_secrets.plugins.jwt import JwtTokenDetector
        from detect_secrets.plugins.npm import NpmDetector
        from detect_secrets.plugins.slack import SlackDetector
        from detect_secrets.plugins.stripe import StripeDetector

        self.plugins = [
            AWSKeyDetector(), AzureStorageKeyDetector(), BasicAuthDetector(),
            GitHubTokenDetector(), JwtTokenDetector(), NpmDetector(), SlackDetector(),
            StripeDetector(),
        ]

    def hits(self, line: str) -> Iterable[_Hit]:
        for plugin in self.plugins:
            kind = str(plugin.secret_type)
            if kind == "Azure Storage Account access key" and not re.search(
                r"(?i)account_?key|azure", line
            ):
                continue  # its plugin wants this context too
            for found in plugin.analyze_string(line):
                if not isinstance(found, str) or not found:
                    continue
                secret = found if len(found) >= 8 else _whole_match(plugin, line, found)
                start = line.find(secret)
                if start < 0:
                    continue
                if kind == "AWS Access Key":
                    if _AWS_ID.fullmatch(secret):
                        yield _Hit("HS200", "AWS access key id", secret, secret, start)
                    else:
                        yield _Hit("HS211", "AWS secret access key", secret, secret, start)
                    continue
                rule_id = _KIND_RULE.get(kind)
                if rule_id is not None:
                    yield _Hit(rule_id, _DS_KIND.get(kind, kind), secret, secret, start)


def _whole_match(plugin: object, line: str, found: str) -> str:
    """A plugin whose regex captures only a prefix (`(ghp|gho)_...`): its whole match."""
    for regex in getattr(plugin, "denylist", ()):
        for m in regex.finditer(line):
            if found in m.group(0):
                return str(m.group(0))
    return found


def is_dummy(value: str) -> bool:
    """Placeholders and documentation examples (AKIAIOSFODNN7EXAMPLE, `changeme`, `${VAR}`)."""
    return is_placeholder(value) or bool(_DUMMY.search(value))


def _keyword_severity(value: str) -> Severity | None:
    """None when the value is too short or too regular to be a secret."""
    if len(value) < 6 or value.isdigit() or value[0] in "!&*|>$({[%@":
        return None
    bits = entropy(value)
    if bits < 2.0:
        return None
    return Severity.HIGH if len(value) >= 16 and bits >= 3.5 else Severity.MEDIUM


def _value(m: re.Match[str]) -> tuple[str, int, bool]:
    for group, quoted in (("dq", True), ("sq", True), ("bare", False)):
        if m.group(group) is not None:
            return m.group(group), m.start(group), quoted
    return "", m.end(), False


class SecretsChecker:
    name = NAME
    description = "Secrets in any text file: detect-secrets' plugins and hullscan's patterns"

    def applies(self, target: Target) -> bool:
        return target.path.suffix.lower() not in BINARY_EXTENSIONS

    def check(self, targets: Sequence[Target], context: CheckContext) -> CheckerResult:
        notes: list[Notification] = []
        successful = True
        tools: list[ToolInfo] = []
        engine: _Engine | None = None
        try:
            engine = _Engine()
            tools.append(ToolInfo("detect-secrets", _ds_version(), DETECT_SECRETS_URI))
        except Exception as exc:  # missing or broken: hullscan's own patterns still run
            successful = False
            notes.append(Notification(
                NAME, NotificationLevel.ERROR,
                f"detect-secrets is not usable ({type(exc).__name__}: install hullscan[secrets]);"
                " only hullscan's own patterns ran",
            ))
        skipped: dict[str, list[str]] = {}
        findings: list[Finding] = []
        scanned = 0
        for target in targets:
            reason, text = _load(target, context.config.max_file_size)
            if reason is not None:
                skipped.setdefault(reason, []).append(target.rel)
                continue
            assert text is not None
            scanned += 1
            findings.extend(scan_text(target.rel, text, engine))
        for reason, paths in skipped.items():
            level = NotificationLevel.WARNING if reason == "unreadable" else NotificationLevel.NOTE
            plural = "" if len(paths) == 1 else "s"
            noun = {"binary": "binary file", "lock": "lock file", "minified": "minified file",
                    "size": "file over the size limit", "encoding": "non-UTF-8 file",
                    "unreadable": "unreadable file"}[reason]
            noun = noun.replace("file", f"file{plural}", 1)
            sample = ", ".join(paths[:3]) + (", ..." if len(paths) > 3 else "")
            notes.append(Notification(NAME, level, f"skipped {len(paths)} {noun} ({sample})"))
        return CheckerResult(
            checker=NAME, findings=tuple(findings), notifications=tuple(notes),
            successful=successful, tools=tuple(tools),
            files_scanned=scanned,
        )


def _ds_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("bc-detect-secrets")
    except Exception:
        return None


def _load(target: Target, max_size: int) -> tuple[str | None, str | None]:
    """(skip reason, None) or (None, text)."""
    path: Path = target.path
    name = path.name
    suffix = path.suffix.lower()
    if suffix in BINARY_EXTENSIONS:
        return "binary", None
    if name in LOCK_FILES or name.endswith(".lock"):
        return "lock", None
    if name.endswith((".min.js", ".min.css", ".min.mjs")):
        return "minified", None
    try:
        text = read_text(path, max_size)
    except UnreadableFile as exc:
        message = str(exc)
        if "size limit" in message:
            return "size", None
        if "binary" in message:
            return "binary", None
        if "UTF-8" in message:
            return "encoding", None
        return "unreadable", None
    if suffix in MINIFIABLE and any(len(line) > MINIFIED_LINE for line in text.splitlines()):
        return "minified", None
    return None, text


def _k8s_secret_lines(lines: Sequence[str]) -> dict[int, str]:
    """Line index -> "data" or "stringData" for entries of Kubernetes Secret objects."""
    out: dict[int, str] = {}
    docs: list[list[int]] = [[]]
    for i, line in enumerate(lines):
        if line.startswith("---"):
            docs.append([])
        else:
            docs[-1].append(i)
    for doc in docs:
        if not any(_K8S_SECRET_KIND.match(lines[i]) for i in doc):
            continue
        block: str | None = None
        for i in doc:
            line = lines[i]
            if line[:1] not in (" ", "\t", "") and not line.startswith("#"):
                key = line.split(":", 1)[0].strip()
                block = key if key in ("data", "stringData") else None
            elif block is not None and line.strip():
                out[i] = block
    return out


def _line_hits(
    line: str, keywords: _Keywords | None, engine: _Engine | None, secret_block: str | None,
    pending_name: str | None, gcp: bool,
) -> list[_Hit]:
    hits: list[_Hit] = []
    for kind, start, end in token_spans(line):
        raw = line[start:end].rstrip(" ")
        rule_id = _KIND_RULE[kind]
        if rule_id == "HS201" and gcp and '"private_key"' in line:
            rule_id, kind = "HS214", "GCP service-account private key"
        hits.append(_Hit(rule_id, kind, raw, raw, start))
    if engine is not None:
        hits.extend(engine.hits(line))
    if secret_block is not None:
        m = _K8S_ENTRY.match(line)
        if m:
            raw, start, _ = _value(m)
            secret = raw
            if secret_block == "data":
                try:
                    secret = base64.b64decode(raw, validate=True).decode("utf-8")
                except (binascii.Error, ValueError):
                    secret = raw
            for kind, s, e in token_spans(secret):
                hits.append(_Hit(_KIND_RULE[kind], kind, secret[s:e], raw, start))
            if secret and _keyword_severity(secret) is not None:
                hits.append(_Hit("HS215", f"Kubernetes Secret {secret_block} value", secret,
                                 raw, start, name=m.group("key")))
        return hits
    if keywords is None:
        return hits
    for m in _ASSIGN.finditer(line):
        name = m.group("name")
        value, start, quoted = _value(m)
        tight = m.group("sep") == ":" and not m.group("gap")
        if not quoted and (keywords.quotes_needed or tight):
            continue  # an expression (`password = var.pw`), or `image:tag`, `host:port`
        if keywords.quotes_needed and inside_string(line, m.start("name"), m.end("name")):
            continue  # `"token: " + token` is text
        if inside_template(line, m.start("name")):
            continue  # `{{- $password := .Values.auth.password }}` is template code
        if not quoted and m.group("sep") == ":" and len(line[m.end():].split()) >= 2:
            continue  # `refresh_token: allows the client to ...` is a description
        hit = keywords.hit(name, value, start, quoted)
        if hit is not None:
            hits.append(hit)
    if pending_name is not None:
        m2 = _K8S_VALUE.match(line)
        if m2:
            value, start, quoted = _value(m2)
            hit = keywords.hit(pending_name, value, start, quoted)
            if hit is not None:
                hits.append(hit)
    return hits


@dataclass(frozen=True)
class _Keywords:
    """How HS210 reads one file: whether bare values are literals, and the severity step for
    samples (tests, documentation)."""

    quotes_needed: bool
    literal_bare: bool
    context: str | None

    def hit(self, name: str, value: str, start: int, quoted: bool) -> _Hit | None:
        credential = credential_kind(name.rsplit(".", 1)[-1])
        if credential is None:
            return None
        if not_a_secret(value, quoted=quoted or self.literal_bare, credential=credential,
                        name=name):
            return None
        severity = credential.severity
        if self.context is not None:
            severity = lowered(severity)
        return _Hit("HS210", credential.kind, value, value, start, severity, name,
                    self.context)


_LITERAL_BARE_WORDS = ".yaml .yml .env .properties .ini .cfg .conf .toml .sh .bash"
_LITERAL_BARE = frozenset(_LITERAL_BARE_WORDS.split())


def _keywords(rel: str, text: str) -> _Keywords | None:
    """None where HS210 does not look (translations, vendored and generated files)."""
    if file_kind(rel, text) is not None:
        return None
    path = Path(rel)
    suffix = path.suffix.lower()
    literal_bare = suffix in _LITERAL_BARE or path.name.startswith(".env") or (
        path.name in ("Dockerfile", "Containerfile") or path.name.endswith(".dockerfile")
    )
    return _Keywords(suffix in _QUOTES_NEEDED, literal_bare, path_context(rel))


def _select(hits: list[_Hit]) -> list[_Hit]:
    """One finding per secret: the most specific rule wins overlapping spans."""
    chosen: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (_PRIORITY.get(h.rule_id, 5), h.start, -len(h.raw))):
        if is_dummy(hit.secret) or is_dummy(hit.raw):
            continue
        end = hit.start + len(hit.raw)
        if any(hit.start < c.start + len(c.raw) and c.start < end for c in chosen):
            continue
        chosen.append(hit)
    return chosen


def scan_text(rel: str, text: str, engine: _Engine | None) -> list[Finding]:
    lines = text.splitlines()
    suffix = Path(rel).suffix.lower()
    k8s = (
        _k8s_secret_lines(lines)
        if suffix in (".yaml", ".yml") and _K8S_SECRET_KIND.search(text) else {}
    )
    gcp = '"service_account"' in text and '"private_key"' in text
    keywords = _keywords(rel, text)
    findings: list[Finding] = []
    pending_name: str | None = None
    aws_pair = _AWS_ID.search(text) is not None
    for index, line in enumerate(lines):
        hits = _select(_line_hits(line, keywords, engine, k8s.get(index), pending_name, gcp))
        if aws_pair:
            hits = [_aws_secret(hit) for hit in hits]
        m = _K8S_NAME.match(line)
        pending_name = m.group("name") if m and credential_kind(m.group("name")) else None
        for hit in hits:
            findings.append(_finding(rel, index + 1, line, hit))
    return findings


_AWS_SECRET = re.compile(r"[A-Za-z0-9/+]{40}")


def _aws_secret(hit: _Hit) -> _Hit:
    """In a file with an AWS access key id, a secret-named 40-character value beside it is the
    pair's secret access key (`secret_key = "..."` in a Terraform provider)."""
    if hit.rule_id == "HS210" and _AWS_SECRET.fullmatch(hit.secret):
        return _Hit("HS211", "AWS secret access key", hit.secret, hit.raw, hit.start,
                    name=hit.name)
    return hit


def _finding(rel: str, number: int, line: str, hit: _Hit) -> Finding:
    rule = RULES[hit.rule_id]
    masked = line.replace(hit.raw, "<secret>").replace(hit.secret, "<secret>")
    where = f" ({hit.name})" if hit.name else ""
    message = f"{hit.kind[:1].upper()}{hit.kind[1:]} in plain text{where}: {mask(hit.secret)}"
    return Finding(
        rule=rule,
        checker=NAME,
        severity=hit.severity or rule.default_severity,
        message=message,
        location=Location(rel, number, hit.start + 1),
        fingerprint_basis=f"{rule.id} {hit.kind} {redact(masked)}",
        properties={"kind": hit.kind, "cwe": list(rule.cwe),
                    **({"sampleIn": hit.context} if hit.context else {})},
    )

