"""Secrets in one file's text: token shapes, detect-secrets' plugins, Kubernetes `Secret` data,
GCP service-account keys and secret-named assignments (the keyword rule, `keyword.py`).

A secret never leaves this module in full: messages carry the kind and `redact.mask(secret)`,
and the fingerprint basis is the line with the secret replaced by `<secret>`, redacted again.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hullscan.checkers.secrets.detect_secrets import Engine
from hullscan.checkers.secrets.hit import Hit
from hullscan.checkers.secrets.keyword import (
    DUMMY,
    credential_kind,
    entropy,
    file_kind,
    inside_string,
    inside_template,
    lowered,
    not_a_secret,
    path_context,
)
from hullscan.checkers.secrets.rules import AWS_ID, KIND_RULE, NAME, PRIORITY, RULES
from hullscan.core.model import Finding, Location, Severity
from hullscan.core.redact import is_placeholder, mask, redact, token_spans

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


def is_dummy(value: str) -> bool:
    """Placeholders and documentation examples (AKIAIOSFODNN7EXAMPLE, `changeme`, `${VAR}`)."""
    return is_placeholder(value) or bool(DUMMY.search(value))


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
    line: str, keywords: _Keywords | None, engine: Engine | None, secret_block: str | None,
    pending_name: str | None, gcp: bool,
) -> list[Hit]:
    hits: list[Hit] = []
    for kind, start, end in token_spans(line):
        raw = line[start:end].rstrip(" ")
        rule_id = KIND_RULE[kind]
        if rule_id == "HS201" and gcp and '"private_key"' in line:
            rule_id, kind = "HS214", "GCP service-account private key"
        hits.append(Hit(rule_id, kind, raw, raw, start))
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
                hits.append(Hit(KIND_RULE[kind], kind, secret[s:e], raw, start))
            if secret and _keyword_severity(secret) is not None:
                hits.append(Hit("HS215", f"Kubernetes Secret {secret_block} value", secret,
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

    def hit(self, name: str, value: str, start: int, quoted: bool) -> Hit | None:
        credential = credential_kind(name.rsplit(".", 1)[-1])
        if credential is None:
            return None
        if not_a_secret(value, quoted=quoted or self.literal_bare, credential=credential,
                        name=name):
            return None
        severity = credential.severity
        if self.context is not None:
            severity = lowered(severity)
        return Hit("HS210", credential.kind, value, value, start, severity, name,
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


def _select(hits: list[Hit]) -> list[Hit]:
    """One finding per secret: the most specific rule wins overlapping spans."""
    chosen: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (PRIORITY.get(h.rule_id, 5), h.start, -len(h.raw))):
        if is_dummy(hit.secret) or is_dummy(hit.raw):
            continue
        end = hit.start + len(hit.raw)
        if any(hit.start < c.start + len(c.raw) and c.start < end for c in chosen):
            continue
        chosen.append(hit)
    return chosen


def scan_text(rel: str, text: str, engine: Engine | None) -> list[Finding]:
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
    aws_pair = AWS_ID.search(text) is not None
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


def _aws_secret(hit: Hit) -> Hit:
    """In a file with an AWS access key id, a secret-named 40-character value beside it is the
    pair's secret access key (`secret_key = "..."` in a Terraform provider)."""
    if hit.rule_id == "HS210" and _AWS_SECRET.fullmatch(hit.secret):
        return Hit("HS211", "AWS secret access key", hit.secret, hit.raw, hit.start,
                    name=hit.name)
    return hit


def _finding(rel: str, number: int, line: str, hit: Hit) -> Finding:
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
