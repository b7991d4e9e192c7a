"""Key and credential files shipped in an image: present in any layer counts, even when a later
layer deletes them (the earlier layer still ships them to everyone who pulls the image)."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from hullscan.image.model import FileVersion, FileView, Inventory, OSInfo, Package

_LIMIT = 256 * 1024
_KEY_NAMES = {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"}
_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_ENV_ASSIGNMENT = re.compile(rb"^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*\S", re.MULTILINE)
_NPM_AUTH = re.compile(rb"_auth(?:Token)?\s*=|_password\s*=")
_DOCKER_AUTH = re.compile(rb'"auth"\s*:\s*"[^"]+"|"identitytoken"\s*:\s*"[^"]+"')
_PASSWORD_LINE = re.compile(rb"^\s*password\s*[=:]?\s*\S", re.MULTILINE | re.IGNORECASE)
_NETRC_PASSWORD = re.compile(rb"\bpassword\s+\S")
_AWS_SECRET = re.compile(rb"aws_secret_access_key\s*=\s*\S", re.IGNORECASE)
_GIT_CREDENTIALS = re.compile(rb"https?://[^:/\s]+:[^@\s]+@")
_DOC_PARTS = ("usr/share/doc/", "usr/share/man/", "/test/", "/tests/", "/testdata/",
              "/examples/", "site-packages/", "dist-packages/", "node_modules/")


@dataclass(frozen=True)
class SensitiveFile:
    path: str
    layer: int
    kind: str  # "private key", "environment file", ...


def _kind(path: str) -> str | None:
    """What a path would be, by name; the content decides whether it really is one."""
    base = posixpath.basename(path)
    if any(part in f"/{path}" for part in _DOC_PARTS):
        return None
    if base in _KEY_NAMES:
        return "SSH private key"
    if base.startswith("ssh_host_") and base.endswith("_key"):
        return "SSH host private key"
    if base.endswith((".pem", ".key", ".p8")) or base in ("privkey.pem", "private.key"):
        return "private key"
    if base == ".env" or (base.startswith(".env.") and not base.endswith(
            (".example", ".sample", ".template", ".dist", ".defaults"))):
        return "environment file"
    if path.endswith(".aws/credentials"):
        return "AWS credentials file"
    if base == ".npmrc":
        return "npm credentials (.npmrc)"
    if path.endswith(".docker/config.json"):
        return "Docker registry credentials"
    if base == ".pypirc":
        return "PyPI credentials (.pypirc)"
    if base == ".netrc":
        return "netrc credentials"
    if base == ".git-credentials":
        return "git credentials"
    return None


def _holds_secret(kind: str, data: bytes) -> bool:
    if kind in ("SSH private key", "SSH host private key", "private key"):
        return bool(_PRIVATE_KEY.search(data))
    if kind == "environment file":
        return bool(_ENV_ASSIGNMENT.search(data))
    if kind == "AWS credentials file":
        return bool(_AWS_SECRET.search(data))
    if kind.startswith("npm"):
        return bool(_NPM_AUTH.search(data))
    if kind.startswith("Docker"):
        return bool(_DOCKER_AUTH.search(data))
    if kind.startswith("PyPI"):
        return bool(_PASSWORD_LINE.search(data))
    if kind.startswith("netrc"):
        return bool(_NETRC_PASSWORD.search(data))
    if kind.startswith("git"):
        return bool(_GIT_CREDENTIALS.search(data))
    return False


class SensitiveFilesInventory(Inventory):
    """Captures candidate files; `found` lists those whose content is a key or credentials,
    for every layer that wrote one."""

    name = "sensitive-files"

    def wants(self, path: str, size: int, mode: int) -> int:
        return _LIMIT if _kind(path) is not None else 0

    def packages(self, files: FileView, os_info: OSInfo) -> list[Package]:
        return []


def found(files: FileView, candidates: list[str]) -> list[SensitiveFile]:
    out: list[SensitiveFile] = []
    for path in candidates:
        kind = _kind(path)
        if kind is None:
            continue
        seen: set[int] = set()
        versions: list[FileVersion] = list(files.history(path))
        for version in versions:
            if version.layer in seen or not _holds_secret(kind, version.data):
                continue
            seen.add(version.layer)
            out.append(SensitiveFile(path, version.layer, kind))
    return out
