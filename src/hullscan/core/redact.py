"""Secrets never leave hullscan in full: recognisers for secret-looking values, and masking.

Used by every checker that may see a secret (the Dockerfile's ENV/ARG rule now, the secrets
checker later) and by the fingerprinting, so no output, not even a hash of a line, carries one.
"""

from __future__ import annotations

import re

# Values that are secrets whatever they are called: (kind, pattern).
TOKEN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    # the header and, when the key is on one line (JSON, "\n" escapes), its body up to END
    (
        "private key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/= \\]|\\n)*"
            r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?"
        ),
    ),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})")),
    ("GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("Slack token", re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}")),
    ("Stripe key", re.compile(r"\b[sr]k_live_[A-Za-z0-9]{20,}")),
    ("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("PyPI token", re.compile(r"\bpypi-AgE[A-Za-z0-9_-]{40,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    (
        "JSON Web Token",
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ),
    ("password in URL", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:([^\s@/'\"]{3,})@")),
    # the 40-character secret key near an AWS keyword (the pattern detect-secrets uses)
    (
        "AWS secret access key",
        re.compile(
            r"aws.{0,20}?(?:key|pwd|pw|password|pass|token|secret).{0,20}?"
            r"(?<![0-9a-zA-Z/+])([0-9a-zA-Z/+]{40})(?![0-9a-zA-Z/+=])",
            re.IGNORECASE,
        ),
    ),
    ("Azure storage key", re.compile(r"(?i)\bAccountKey\s*=\s*([A-Za-z0-9+/]{86}==)")),
)

_SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|"
    r"AUTH_?KEY|_KEY$|^KEY$|_PWD$|^PWD_)",
    re.IGNORECASE,
)
# Names that only point at a secret (a file, a path, a variable name) or describe it.
_REFERENCE_NAME = re.compile(
    r"(_FILE|_PATH|_DIR|_URL|_URI|_ENDPOINT|_HOST|_PORT|_NAME|_ID|_LENGTH|_SIZE|_TYPE|_ENABLED|"
    r"_HEADER|_PARAM|_FIELD|_REGION|_VERSION|_ALGORITHM|_EXPIRY|_TTL|_TIMEOUT|_FINGERPRINT)$"
    # public material: GPG key ids/fingerprints (as in official images), public keys
    r"|^(GPG|PGP)_KEYS?$|PUBLIC_?KEY|_KEY_?ID$|KEYRING|KEYSERVER",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"^(|[\"']{2}|\$\{?[A-Za-z_][A-Za-z0-9_]*(:?[-+=?][^}]*)?\}?|<[^>]*>|\{\{.*\}\}|%\w+%|"
    r"x+|\*+|\.+|-|none|null|nil|true|false|yes|no|on|off|0|1|example|dummy|placeholder|"
    r"your[-_ ]?\w*|redacted|\*\*\*|todo|tbd|/.*|\./.*)$",
    re.IGNORECASE,
)
# NAME=value, NAME: value, --name=value (quotes allowed around the value).
_ASSIGNMENT = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)(?P<sep>\s*[=:]\s*)(?P<q>[\"']?)(?P<value>[^\s\"']+)"
)
_WORDS = re.compile(r"(\s+)")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")

def is_secret_name(name: str) -> bool:
    """A variable or key name that says it holds a secret (DB_PASSWORD, API_KEY, ...)."""
    return bool(_SECRET_NAME.search(name)) and not _REFERENCE_NAME.search(name)


def is_placeholder(value: str) -> bool:
    """Empty values, variable references, templates and obvious dummies."""
    return bool(_PLACEHOLDER.match(value.strip()))


def token_kind(value: str) -> str | None:
    """The kind of secret a value looks like by its shape alone, if any."""
    for kind, pattern in TOKEN_PATTERNS:
        if pattern.search(value):
            return kind
    return None


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """Every shape-recognised secret in `text`: (kind, start, end) of the secret part (for a
    pattern with a group, only the group: a URL's password, not its host)."""
    spans: list[tuple[str, int, int]] = []
    for kind, pattern in TOKEN_PATTERNS:
        for m in pattern.finditer(text):
            if m.re.groups and m.group(1) is not None:
                spans.append((kind, m.start(1), m.end(1)))
            else:
                spans.append((kind, m.start(), m.end()))
    return spans


def mask(secret: str) -> str:
    """A hint that identifies a secret to its owner without revealing it: at most the first few
    characters (none for short secrets) and the length."""
    shown = 0 if len(secret) < 12 else min(4, len(secret) // 5)
    return f"{secret[:shown]}{'*' * 6} ({len(secret)} chars)"


def _mask_match(m: re.Match[str]) -> str:
    """The whole token, or only its secret group (a URL keeps its scheme, user and host)."""
    if m.re.groups:
        start, end = m.span(1) if m.group(1) is not None else m.span()
        return m.string[m.start():start] + "<secret>" + m.string[end:m.end()]
    return "<secret>"


def redact(text: str, *, prose: bool = False) -> str:
    """`text` with every secret-looking value replaced, for fingerprints and messages.

    `NAME=value` and `NAME: value` count as assignments everywhere. Without `prose` (a line of
    a scanned file) `NAME value` counts too, as in a Dockerfile's legacy `ENV NAME value`; a
    tool's message (`prose=True`) keeps sentences such as "Tokens are mounted" readable."""
    for _, pattern in TOKEN_PATTERNS:
        text = pattern.sub(_mask_match, text)

    def _assignment(m: re.Match[str]) -> str:
        if is_secret_name(m.group("name")) and not is_placeholder(m.group("value")):
            return f"{m.group('name')}{m.group('sep')}{m.group('q')}<secret>"
        return m.group(0)

    text = _ASSIGNMENT.sub(_assignment, text)
    if prose:
        return text
    parts = _WORDS.split(text)  # words at even indexes, whitespace at odd ones
    for index in range(0, len(parts) - 2, 2):
        name, value = parts[index].strip("\"'"), parts[index + 2]
        if _IDENTIFIER.fullmatch(name) and is_secret_name(name) and not is_placeholder(
            value.strip("\"'")
        ):
            parts[index + 2] = "<secret>"
    return "".join(parts)
