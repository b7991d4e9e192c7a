"""When is `NAME = value` a committed credential? The keyword rule (HS210) of the secrets checker.

A secret-looking *name* is only the start. The rule then asks three questions, each answered
here, and reports only when every answer points at a real credential:

- the **name**: what kind of credential it claims to hold (`credential_kind`). A password,
  secret, token, API key or signing key is a *strong* claim; a bare `key` / `*_key` / `*Key` is
  *weak* (map keys, S3 object keys, i18n keys, tag keys, `secretKeyRef.key`), and names that
  only describe a secret (`PASSWORD_FILE`, `passwordError`, `tokenUrl`) make no claim at all;
- the **value** (`not_a_secret`): a literal, not a lookup, an expression, an environment read,
  a variable or file name, a version, a sentence or a placeholder; for a weak name it must
  also look machine-made (long, mixed character classes, high entropy);
- the **file** (`file_kind`): translation catalogues, generated and vendored files are not
  credential stores; tests and documentation (`path_context`) hold sample credentials, which
  are reported one severity lower.

Severity comes from the kind of credential, never from the value's length.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath

from hullscan.core.model import Severity
from hullscan.core.redact import is_placeholder


@dataclass(frozen=True)
class Credential:
    """What a secret-named key says it holds."""

    kind: str  # "password", "secret", "token", "API key", "signing key", "credential", "key"
    severity: Severity
    weak: bool  # only the word "key": the value must look machine-made to count


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")
# Words naming something *about* a secret (where it is, how long, how it is shown), when they
# end the name: PASSWORD_FILE, passwordError, tokenUrl, API_KEY_ID, SECRET_NAME.
_DESCRIBING = _words("""
    FILE FILES PATH DIR DIRECTORY URL URI ENDPOINT HOST PORT NAME NAMES ID IDS LENGTH LEN SIZE
    TYPE KIND ENABLED DISABLED HEADER PARAM PARAMETER FIELD REGION VERSION ALGORITHM ALG
    EXPIRY EXPIRES EXPIRATION TTL TIMEOUT LIFETIME FINGERPRINT ERROR ERRORS MESSAGE MSG LABEL
    TEXT HINT PROMPT TITLE PLACEHOLDER PATTERN REGEX POLICY RULE RULES COUNT MIN MAX HASH
    HASHED FORMAT MODE PREFIX SUFFIX LOCATION REF SELECTOR INPUT FORM BUTTON REPEAT CONFIRM
    CONFIRMATION RESET CHANGED CHANGE FORGOT FORGOTTEN CHALLENGE STRENGTH VISIBLE HIDDEN SHOW
    REQUIRED VALID INVALID VALIDATOR VALIDATION METHOD SOURCE PROVIDER STORE MANAGER SERVICE
    ENV VAR VARIABLE KEYRING KEYSERVER SERVER LINK STATUS STATE EVENT HANDLER CALLBACK
    COOKIE SCOPE SCOPES AUDIENCE ISSUER TEMPLATE DESCRIPTION HELP DOC ICON CLASS STYLE
    PARTITION SORT CACHE INDEX PRIMARY FOREIGN LOOKUP MAP PROPERTY ATTRIBUTE COLUMN
    NAMESPACE NS CMD COMMAND MTIME TIME DATE CREATED UPDATED ROTATED
""")
# Words that, first in the name, make it a pointer: Helm charts' `existingSecretPasswordKey`.
_POINTING = _words("EXISTING REF")
# Only public material: GPG key ids and fingerprints (official images), public keys.
_PUBLIC = re.compile(r"^(GPG|PGP)(_KEYS?)?$|PUBLIC_?KEY|PUB_?KEY|_KEY_?ID$|^KEY_?ID$")
_STRONG_KEY_WORDS = _words(
    "API ACCESS PRIVATE SECRET AUTH ENCRYPTION SIGNING SIGN MASTER HMAC CRYPTO CRYPT JWT "
    "SESSION LICENSE LICENCE CLIENT APP ACCOUNT SERVICE SSH AES CIPHER"
)


def credential_kind(name: str) -> Credential | None:
    """The credential a key name claims to hold, or None when it claims none."""
    words = [w.upper() for w in _SPLIT.split(_CAMEL.sub(r"\1_\2", name)) if w]
    if not words or words[-1] in _DESCRIBING or words[0] in _POINTING:
        return None
    if _PUBLIC.search("_".join(words)):
        return None
    joined = "_".join(words)
    high = Severity.HIGH
    if words[-1] == "KEY" and len(words) > 1 and (
        words[-2] in ("PASSWORD", "PASSWORDS", "TOKEN", "KEYSTORE", "TRUSTSTORE")
        or "SECRET" in words[:-2]
    ):
        return None  # adminPasswordKey: the key of a Secret that holds the password
    if any(w in ("PASSWORD", "PASSWD", "PASSPHRASE", "PWD", "PASS") for w in words) or (
        re.search(r"PASSWORD|PASSWD", joined)
    ):
        return Credential("password", high, False)
    if "SECRET" in words or "SECRET" in joined:
        return Credential("secret", high, False)
    if "TOKEN" in words or joined.endswith("TOKEN"):
        return Credential("token", high, False)
    if "APIKEY" in words or re.search(r"API_?KEY", joined):
        return Credential("API key", high, False)
    if "CREDENTIAL" in words or "CREDENTIALS" in words or "CREDS" in words:
        return Credential("credential", high, False)
    if words[-1] in ("KEY", "KEYS") or joined.endswith("KEY"):
        before = words[-2] if len(words) > 1 else ""
        if before in _STRONG_KEY_WORDS or joined in ("ACCESSKEY", "PRIVATEKEY", "SECRETKEY"):
            return Credential("signing key" if before in ("SIGNING", "SIGN", "HMAC", "JWT")
                              else f"{before.lower()} key", high, False)
        return Credential("key", Severity.MEDIUM, True)
    return None


# --- the value ------------------------------------------------------------------------------

# Documentation examples (AWS's own) and obvious dummies: never reported, by any secret rule.
DUMMY = re.compile(
    r"example|sample|dummy|placeholder|changeme|change_me|redacted|fake|xxxx|\*\*\*\*|"
    r"^(.)\1+$|\$\{|\{\{|<[^>]*>|%\(|your[-_]?",
    re.IGNORECASE,
)
# ... and what only a keyword's value is when it is no credential: words that name a setting,
# not a secret (`credentials: 'same-origin'`, `secrets: inherit`), more placeholder forms
_KEYWORD_PLACEHOLDER = re.compile(
    r"^(undefined|n/?a|same-origin|omit|include|required|optional|auto|basic|bearer|oauth2?|"
    r"inherit)$",
    re.IGNORECASE,
)
_KEYWORD_DUMMY = re.compile(
    r"change-me|\$\(|%[A-Za-z_]+%|(^|[-_ ])here$|replace[-_ ]?(me|this)|insert[-_ ]",
    re.IGNORECASE,
)
# shell interpolation: `password-$RANDOM`, `$DB_PASS` (case-sensitive: `$q3Ds` is a password)
_INTERPOLATION = re.compile(r"\$[A-Z_][A-Z0-9_]{2,}\b")
# Values made of nothing but these words name the slot, not a credential ("mysecretpassword",
# "test-password", "secret").
_FILLER = (
    "password", "passwd", "secret", "token", "apikey", "api", "key", "pass", "test", "my",
    "your", "the", "some", "super", "value", "default", "demo", "local", "dev", "here",
    "change", "me", "foo", "bar", "baz", "abc", "xyz", "please", "enter", "put", "new",
    "access", "auth", "whatever", "invalid", "incorrect", "wrong", "bad", "changethis",
    "changeit", "client",
)
_FILLER_RE = re.compile("|".join(sorted(_FILLER, key=len, reverse=True)))
_UPPER_IDENT = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_CALL = re.compile(r"^[A-Za-z_][\w.]*\(")
# a Kubernetes object's name (`tlsSecret: grafana.local-tls`, `- secret: my-ca-2`)
_OBJECT_NAME = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*[-.][a-z0-9]+$", re.IGNORECASE)
_CAMEL_IDENT = re.compile(r"^[a-z]+(?:[A-Z][a-z]+)+$")
_KEBAB_WORDS = re.compile(r"^[a-z]+(?:[-_][a-z]+)+$")
_KEBAB_LONG = re.compile(r"^[a-z]+(?:[-_][a-z]+){2,}$")  # juiceshop_chat_conversations
# reads of the environment or of configuration objects, in any file (a script in a workflow)
_LOOKUP = re.compile(
    r"^(?:process\.env|os\.environ|os\.getenv|env|ENV|System\.getenv|config|settings|"
    r"secrets|vars|inputs|github|steps|needs|var|local|data|module|self|this|props|window|"
    r"request|req|params|context|ctx|cfg|conf|options|opts|app)(?:\.|\[)"
)
_DOTTED = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[[^\]]*\])+;?$")
_FILE_NAME = re.compile(
    r"^[\w.~@+-]*\.(?:json|pem|key|crt|cer|csr|p12|pfx|jks|keystore|der|gpg|asc|pub|txt|ya?ml|"
    r"xml|xlsx?|csv|env|conf|cfg|ini|properties|toml|js|ts|py|sh|html?|png|jpe?g|zip|gz|tar)$",
    re.IGNORECASE,
)
_PATH = re.compile(r"^(?:[A-Za-z]:)?[\w.~@+-]*(?:[/\\][\w.~@+-]+)+[/\\]?$")
_VERSION = re.compile(r"^[=<>~!^]*v?\d+(?:\.[\w*]+)+\S*$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")  # an Ethereum account or contract: public
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_HEX = re.compile(r"^(?:0x)?[0-9a-fA-F]+$")
_SENTENCE_END = re.compile(r"[.!?:]\s*$")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


def is_prose(value: str, *, passphrase: bool = False) -> bool:
    """A sentence or a message template (`Invalid token. Try again.`). Where a passphrase may
    stand (`password: 'kitten lesser pooch karate'`), many words alone are not prose."""
    words = value.split()
    if "{0}" in value or "%s" in value or "{{" in value:
        return True
    if len(words) >= 3 and _SENTENCE_END.search(value):
        return True
    return not passphrase and len(words) >= 5


def looks_machine_made(value: str) -> bool:
    """Long, varied and without structure: what generated keys look like."""
    if len(value) < 16 or any(c.isspace() for c in value) or _HEX.fullmatch(value):
        return False
    if _transitions(value) * 3 < len(value):
        return False  # words: web3SandboxChallenge, challenge-requires-2
    classes = sum((
        any(c.islower() for c in value), any(c.isupper() for c in value),
        any(c.isdigit() for c in value), any(c in "+/=_-" for c in value),
    ))
    return classes >= 3 and entropy(value) >= 3.5


def _transitions(value: str) -> int:
    """How often the character class changes (`web3Sandbox`: 3); random keys change often."""
    def kind(c: str) -> int:
        return 0 if c.islower() else 1 if c.isupper() else 2 if c.isdigit() else 3
    return sum(kind(a) != kind(b) for a, b in itertools.pairwise(value))


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def not_a_secret(
    value: str, *, quoted: bool, credential: Credential, name: str = ""
) -> str | None:
    """Why `value` is not a committed credential of that kind, or None when it is one."""
    text = value.strip()
    if (is_placeholder(text) or _KEYWORD_PLACEHOLDER.match(text) or DUMMY.search(text)
            or _KEYWORD_DUMMY.search(text) or _INTERPOLATION.search(text)):
        return "placeholder"
    if name and _squash(text) in _squash(name) and credential_kind(text) is not None:
        return "placeholder"  # privateKey: 'privateKey', client_secret: "client_secret"
    if _LOOKUP.match(text):
        return "a lookup"
    if len(text) < 6 or text.isdigit() or text[0] in "!&*|>$({[%@":
        return "too short or not a literal"
    if entropy(text) < 2.0:
        return "too regular"
    if _URL.match(text) or _PATH.fullmatch(text) or _FILE_NAME.fullmatch(text):
        return "a location"
    if _VERSION.match(text):
        return "a version"
    if _ADDRESS.fullmatch(text):
        return "a public address"
    if is_prose(text, passphrase=credential.kind == "password"):
        return "prose"
    if not _FILLER_RE.sub("", text.lower()).strip("-_. "):
        return "placeholder"
    if _UPPER_IDENT.fullmatch(text) or (
        _CAMEL_IDENT.fullmatch(text) and re.search(r"(?i)passw|secret|token|key", text)
    ):
        return "a variable name"  # GOOGLE_API_KEY_VAL, myCassandraPasswordKey
    if _CALL.match(text):
        return "an expression"
    if credential.kind == "secret" and _OBJECT_NAME.fullmatch(text) and not _HEX.fullmatch(
        text.replace("-", "")
    ):
        return "the name of a Secret object"
    if _KEBAB_LONG.fullmatch(text):
        return "an identifier"
    if not quoted and ("(" in text or _DOTTED.fullmatch(text) or _CAMEL_IDENT.fullmatch(text)
                       or _KEBAB_WORDS.fullmatch(text)):
        return "an expression"
    if credential.weak and not looks_machine_made(text):
        return "an identifier under a generic key name"
    return None


def inside_template(line: str, start: int) -> bool:
    """Is position `start` inside a `{{ ... }}` template action (Helm, Jinja, Go templates)?"""
    opened = line.rfind("{{", 0, start)
    return opened >= 0 and line.rfind("}}", 0, start) < opened


def inside_string(line: str, start: int, end: int) -> bool:
    """Is the name at line[start:end] text inside a string literal (`"token: " + t`), rather
    than a key (`"token": t`, `token: t`)?"""
    before = line[start - 1] if start else ""
    if before and before in "\"'":
        return line[end:end + 1] != before  # `"key": x` closes at the name; `"key: "` does not
    return any(line[:start].count(quote) % 2 for quote in "\"'`")


# --- the file --------------------------------------------------------------------------------

_TRANSLATION_DIRS = _words(
    "i18n l10n locale locales lang langs language languages translation translations "
    "messages lproj"
)
_TRANSLATION_FILE = re.compile(
    r"\.(?:po|pot|mo|xlf|xliff|resx|strings|stringsdict|arb|ftl)$|"
    r"^(?:messages|labels|strings|translations?|webgoatlabels)(?:[-_][A-Za-z]{2,3}(?:[-_][A-Za-z]{2,4})?)?"
    r"\.(?:properties|json|ya?ml)$|"
    r"^[a-z]{2}[-_](?:[A-Z]{2}|[A-Z][a-z]{3})\.(?:json|ya?ml|properties|js|ts)$",
    re.IGNORECASE,
)
_VENDORED_DIRS = _words(
    "node_modules vendor vendors bower_components third_party third-party thirdparty "
    "jspm_packages .yarn"
)
_GENERATED = re.compile(
    r"@generated|code generated .* do not edit|\bdo not edit\b|auto-?generated|"
    r"this file (?:is|was) generated|generated by ",
    re.IGNORECASE,
)
_TEST_DIRS = _words(
    "test tests testing __tests__ spec specs e2e cypress fixtures fixture testdata test-data "
    "test_data mocks __mocks__ it integration-tests"
)
_TEST_FILE = re.compile(
    r"(?:^test_.*\.py|_test\.\w+|\.test\.\w+|\.spec\.\w+|Tests?\.(?:java|kt|cs|scala|groovy)|"
    r"_spec\.rb|Spec\.\w+)$"
)
_DOC_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".adoc", ".asciidoc", ".txt"})
_DOC_DIRS = _words("doc docs documentation guide guides tutorial tutorials")


def file_kind(rel: str, text: str) -> str | None:
    """Files that are not credential stores, where HS210 does not look: "translation",
    "vendored", "generated". The token rules (shape-recognised secrets) still run there."""
    path = PurePosixPath(rel.replace("\\", "/"))
    folders = {p.lower() for p in path.parts[:-1]}
    if folders & _TRANSLATION_DIRS or _TRANSLATION_FILE.search(path.name):
        return "translation"
    if folders & _VENDORED_DIRS or "wwwroot/lib/" in rel:
        return "vendored"
    if _GENERATED.search(text[:600]):
        return "generated"
    return None


def path_context(rel: str) -> str | None:
    """"test" or "documentation" for files whose credentials are usually samples."""
    path = PurePosixPath(rel.replace("\\", "/"))
    folders = {p.lower() for p in path.parts[:-1]}
    if folders & _TEST_DIRS or _TEST_FILE.search(path.name):
        return "test"
    if path.suffix.lower() in _DOC_SUFFIXES or folders & _DOC_DIRS:
        return "documentation"
    return None


def lowered(severity: Severity) -> Severity:
    """One step down (HIGH -> MEDIUM), for samples in tests and documentation."""
    order = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
    return order[max(order.index(severity) - 1, 0)]
