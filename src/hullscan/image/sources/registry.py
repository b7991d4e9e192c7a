"""`registry:NAME[:TAG|@DIGEST]`: an image pulled from a registry over the HTTP API v2.

No Docker daemon and no third-party HTTP client: urllib with a verified TLS context, our own
redirect handling (the Authorization header never leaves the registry's scheme+host+port), the
Bearer token flow (anonymous, or Basic credentials from the Docker config's `auths`), retries
for 429/5xx, and size limits on every document read into memory.

What is verified here: the manifest's digest when it is pulled by digest (a child of an index
always is) or when the registry states it (Docker-Content-Digest), and the config blob's digest
and size. Layer blobs are handed out as streams, never read here: the layer walker hashes them
while it reads (`Image.verify_digests`); the stream only checks that the registry sends neither
more nor fewer bytes than the manifest says.

Choices:
- Platform: `platform` ("os/arch[/variant]") or, when None, linux/amd64 (not the host's: a scan
  should give the same answer on a laptop and in CI). Attestation manifests are skipped.
- Plain HTTP: used (and only used) for loopback registries (localhost, 127.0.0.0/8, ::1) and the
  hosts named in `insecure_registries`; everything else is HTTPS with certificate checks, and a
  redirect or token realm pointing at plain HTTP elsewhere is refused. There is no "try HTTPS
  first" fallback for those hosts.
- Credentials: `DOCKER_CONFIG`/config.json (default ~/.docker) `auths` entries (`auth` or
  `username`/`password`). Credential helpers (`credsStore`, `credHelpers`) and identity tokens
  are not run: the pull is anonymous and a note is recorded in `RegistrySource.notes`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import http
import http.client
import io
import ipaddress
import json
import logging
import os
import re
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from hullscan import __version__
from hullscan.core.imageref import DOCKER_HUB, parse_image_ref
from hullscan.image.manifest import (
    DEFAULT_PLATFORM,
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    Platform,
    is_attestation,
)
from hullscan.image.model import Image, ImageConfig, ImageError, ImageSource, LayerInfo

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = [
    "DEFAULT_PLATFORM",
    "DOCKER_HUB_HOST",
    "LayerStreamError",
    "Platform",
    "RegistryReference",
    "RegistrySource",
    "parse_reference",
]

log = logging.getLogger("hullscan.image.registry")

PREFIX = "registry:"
DOCKER_HUB_HOST = "registry-1.docker.io"
DEFAULT_TIMEOUT = 60.0
TRIES = 3
BACKOFF = 0.5
MAX_DOCUMENT_SIZE = 8 * 1024 * 1024  # a manifest, an index or a config blob
MAX_TOKEN_ANSWER = 1024 * 1024
MAX_ERROR_BODY = 64 * 1024
MAX_REDIRECTS = 5
MAX_INDEX_DEPTH = 4  # an index inside an index inside ...
MAX_RETRY_AFTER = 10.0
STREAM_BUFFER = 1024 * 1024

SCHEMA1_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    }
)
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
CONFIG_TYPES = frozenset(
    {
        "application/vnd.oci.image.config.v1+json",
        "application/vnd.docker.container.image.v1+json",
    }
)
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))

_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_DIGEST_RE = re.compile(r"^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

T = TypeVar("T")


# --- references -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryReference:
    """A reference resolved to what is asked over the wire."""

    registry: str  # host[:port] to connect to; Docker Hub is registry-1.docker.io
    repository: str  # library/alpine, myorg/app
    tag: str | None
    digest: str | None

    @property
    def reference(self) -> str:
        """The manifest reference to GET: the digest when given (a tag beside it is ignored,
        as Docker does), else the tag (latest by default)."""
        return self.digest or self.tag or "latest"


def parse_reference(text: str) -> RegistryReference:
    """Parse `[registry:]NAME[:TAG|@DIGEST]` with Docker's normalisation (no host or
    docker.io -> registry-1.docker.io, `library/` for one-component Hub names). A host is the
    first component when it contains '.' or ':' or is 'localhost'. Raises ImageError."""
    bare = text[len(PREFIX) :] if text.startswith(PREFIX) else text
    parsed = parse_image_ref(bare)
    if parsed is None:
        raise ImageError(f"{PREFIX}{bare}: not a valid image reference (NAME[:TAG|@DIGEST])")
    if parsed.digest is not None and not _DIGEST_RE.match(parsed.digest):
        raise ImageError(
            f"{PREFIX}{bare}: unsupported digest {parsed.digest} (sha256 or sha512 expected)"
        )
    registry = DOCKER_HUB_HOST if parsed.registry == DOCKER_HUB else parsed.registry
    tag = parsed.tag if parsed.tag is not None or parsed.digest is not None else "latest"
    return RegistryReference(registry, parsed.repository, tag, parsed.digest)


def _split_host(hostport: str) -> tuple[str, int | None]:
    """`host[:port]` or `[v6]:port` -> (host without brackets, lowercased; port or None)."""
    text = hostport.strip().lower()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, ""  # a bare IPv6 address, or no port
    return host, int(port) if port.isdigit() else None


def _registry_key(text: str) -> str:
    """A registry as config files name it (`https://index.docker.io/v1/`, `ghcr.io`,
    `http://host:5000/v2/`) -> `host[:port]`, lowercased, Docker Hub spellings merged."""
    name = text.strip().lower()
    for scheme in ("https://", "http://"):
        if name.startswith(scheme):
            name = name[len(scheme) :]
    name = name.split("/", 1)[0]
    return "docker.io" if name in _HUB_ALIASES else name


def is_loopback(hostport: str) -> bool:
    """localhost, 127.0.0.0/8 and ::1, with or without a port."""
    host, _ = _split_host(hostport)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _short(digest: str) -> str:
    algorithm, _, value = digest.partition(":")
    return f"{algorithm}:{value[:12]}…" if len(value) > 12 else digest


def _digest_of(data: bytes, algorithm: str) -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _where(*parts: str) -> str:
    return ": ".join(part for part in parts if part)


# --- platforms ------------------------------------------------------------------------------


# --- HTTP plumbing --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Credentials:
    username: str
    password: str = field(repr=False)

    def header(self) -> str:
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


@dataclass
class _Reply:
    status: int
    reason: str
    headers: Message
    body: IO[bytes]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.body.close()


@dataclass(frozen=True)
class _Target:
    """One image being pulled: the reference, the label for messages, the registry's base URL
    and origin (the only origin that ever gets an Authorization header)."""

    label: str
    ref: RegistryReference
    base: str
    origin: tuple[str, str, int]

    def path(self, kind: str, reference: str) -> str:
        return f"{self.base}/v2/{self.ref.repository}/{kind}/{reference}"


@dataclass(frozen=True)
class _Descriptor:
    media_type: str
    digest: str
    size: int | None


@dataclass(frozen=True)
class _Manifest:
    media_type: str
    doc: Mapping[str, Any]
    digest: str

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES


class _Transient(Exception):
    """A failure that may pass: 429, 5xx, a connection that broke."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _origin(url: str) -> tuple[str, str, int]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


def _hostport(url: str) -> str:
    """host[:port] of a URL, without user information, for messages and host checks."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def _status_text(status: int, reason: str, body: bytes) -> str:
    """`manifest unknown (404)`, `unauthorized: authentication required (401)`, from the
    registry's error JSON when there is one."""
    detail = ""
    try:
        answer = json.loads(body) if body else None
    except ValueError:
        answer = None
    errors = answer.get("errors") if isinstance(answer, Mapping) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        code = errors[0].get("code")
        message = errors[0].get("message")
        words = code.replace("_", " ").lower() if isinstance(code, str) else ""
        text = message.strip() if isinstance(message, str) else ""
        redundant = not words or not text or words in text.lower()
        detail = (text or words) if redundant else f"{words}: {text}"
    if not detail:
        try:
            detail = http.HTTPStatus(status).phrase.lower()
        except ValueError:
            detail = reason.lower() or "error"
    return f"{_one_line(detail)} ({status})"


def _retry_after(headers: Message) -> float | None:
    value = headers.get("Retry-After", "")
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER) if value else None
    except ValueError:
        return None


_CHALLENGE_PARAM = re.compile(r'([A-Za-z][\w.-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)')
_CHALLENGE_SCHEME = re.compile(r"([A-Za-z][\w.-]*)(?:\s+|$|(?=,))")


def parse_challenges(values: Iterable[str]) -> list[tuple[str, dict[str, str]]]:
    """`WWW-Authenticate` values -> [(scheme lowercased, {param: value})]."""
    found: list[tuple[str, dict[str, str]]] = []
    for value in values:
        pos = 0
        while pos < len(value):
            if value[pos] in " \t,":
                pos += 1
                continue
            param = _CHALLENGE_PARAM.match(value, pos)
            if param and found:
                raw = param.group(2)
                if raw.startswith('"'):
                    raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
                found[-1][1][param.group(1).lower()] = raw
                pos = param.end()
                continue
            scheme = _CHALLENGE_SCHEME.match(value, pos)
            if scheme:
                found.append((scheme.group(1).lower(), {}))
                pos = scheme.end()
                continue
            pos += 1
    return found


class LayerStreamError(ImageError, OSError):
    """A layer download that failed midway. Also an OSError, so the layer walker records it as
    a broken layer (keeping the layers before it) like any other read error."""


class _BlobStream(io.RawIOBase):
    """A layer blob as the registry sends it. Not hashed here (the walker does that); it turns
    network failures into ImageError and refuses more or fewer bytes than the manifest says."""

    def __init__(self, response: IO[bytes], where: str, size: int | None) -> None:
        super().__init__()
        self._response = response
        self._where = where
        self._size = size
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self._response.read(len(view))
        except (OSError, http.client.HTTPException) as exc:
            reason = _one_line(str(exc) or type(exc).__name__)
            raise LayerStreamError(f"{self._where}: download failed: {reason}") from exc
        count = len(data)
        view[:count] = data
        self._count += count
        if self._size is not None:
            if self._count > self._size:
                raise LayerStreamError(
                    f"{self._where}: the registry sent more than the {self._size} bytes "
                    "the manifest names"
                )
            if count == 0 and len(view) and self._count < self._size:
                raise LayerStreamError(
                    f"{self._where}: truncated ({self._count} of {self._size} bytes)"
                )
        return count

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(OSError):
                self._response.close()
        super().close()


def _opener(proxies: Mapping[str, str] | None) -> urllib.request.OpenerDirector:
    """An opener that verifies TLS and follows no redirects (3xx come back as replies)."""
    opener = urllib.request.OpenerDirector()
    context = ssl.create_default_context()
    for handler in (
        urllib.request.ProxyHandler(None if proxies is None else dict(proxies)),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(context=context),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


# --- the source -----------------------------------------------------------------------------


class RegistrySource(ImageSource):
    """Pull manifests and configs from a registry; hand out layer blobs as streams.

    `insecure_registries`: `host[:port]` values (the CLI's `--insecure-registry`) that may be
    spoken to over plain HTTP; a value without a port covers every port of that host.
    `docker_config`: the folder holding config.json (default: $DOCKER_CONFIG, else ~/.docker).
    Tokens and credentials are cached for the life of the object; `notes` collects what a
    user should know (credential helpers not run, unreadable config).
    """

    prefix = PREFIX

    def __init__(
        self,
        insecure_registries: Iterable[str] = (),
        *,
        timeout: float = DEFAULT_TIMEOUT,
        tries: int = TRIES,
        backoff: float = BACKOFF,
        docker_config: str | os.PathLike[str] | None = None,
        default_platform: str = DEFAULT_PLATFORM,
        max_document_size: int = MAX_DOCUMENT_SIZE,
    ) -> None:
        self.insecure = tuple(
            _split_host(_registry_key(entry)) for entry in insecure_registries if entry.strip()
        )
        self.timeout = timeout
        self.tries = max(1, tries)
        self.backoff = backoff
        self.default_platform = Platform.parse(default_platform)
        self.max_document_size = max_document_size
        self.notes: list[str] = []
        self._docker_config_dir = docker_config
        self._docker_config: Mapping[str, Any] | None = None
        self._credentials: dict[str, _Credentials | None] = {}
        self._tokens: dict[tuple[str, str, str], str] = {}
        self._auth: dict[tuple[tuple[str, str, int], str], str] = {}
        self._lock = threading.Lock()
        self._proxied = _opener(None)  # the environment's proxies
        self._direct = _opener({})  # loopback is never proxied
        self._agent = f"hullscan/{__version__}"

    # --- public API --------------------------------------------------------------------------

    def open(self, reference: str, platform: str | None) -> Image:
        bare = reference[len(PREFIX) :] if reference.startswith(PREFIX) else reference
        ref = parse_reference(bare)
        label = f"{PREFIX}{bare}"
        try:
            wanted = Platform.parse(platform) if platform else self.default_platform
        except ImageError as exc:
            raise ImageError(f"{label}: {exc}") from None
        target = self._target(ref, label)
        manifest = self._resolve(target, wanted)
        config_descriptor = self._descriptor(target, manifest.doc.get("config"), "config")
        if config_descriptor.media_type and config_descriptor.media_type not in CONFIG_TYPES:
            raise ImageError(
                f"{label}: not a container image (config media type "
                f"{_one_line(config_descriptor.media_type, 80)})"
            )
        raw_config = self._fetch_document(target, config_descriptor, "config blob")
        try:
            config_doc = json.loads(raw_config)
        except ValueError:
            config_doc = None
        if not isinstance(config_doc, dict):
            raise ImageError(f"{label}: config blob {_short(config_descriptor.digest)}: not JSON")
        config = _image_config(config_doc)
        if platform:
            self._check_single_platform(target, config, wanted)
        layers = self._layers(target, manifest, config)
        log.debug("%s: %s, %d layers", label, manifest.digest, len(layers))

        def open_layer(layer: LayerInfo) -> IO[bytes]:
            return self._open_blob(target, layer)

        return Image(
            reference=label,
            config=config,
            layers=layers,
            open_layer=open_layer,
            digest=manifest.digest,
            verify_digests=True,
        )

    def base_url(self, registry: str) -> str:
        """`http://` for loopback and insecure registries, `https://` for every other."""
        scheme = "http" if self.plain_http_allowed(registry) else "https"
        return f"{scheme}://{registry}"

    def plain_http_allowed(self, hostport: str) -> bool:
        """Loopback hosts and the `insecure_registries`."""
        if is_loopback(hostport):
            return True
        host, port = _split_host(_registry_key(hostport))
        return any(host == h and (p is None or p == port) for h, p in self.insecure)

    def _target(self, ref: RegistryReference, label: str) -> _Target:
        base = self.base_url(ref.registry)
        return _Target(label, ref, base, _origin(base))

    def _open_blob(self, target: _Target, layer: LayerInfo) -> IO[bytes]:
        """A layer blob as a stream (compressed as stored, not verified here)."""
        what = f"blob {_short(layer.digest)}"
        if not _DIGEST_RE.match(layer.digest):
            raise ImageError(f"{target.label}: layer {layer.index}: unsupported digest")
        reply = self._retrying(
            target, what, lambda: self._get_once(target, target.path("blobs", layer.digest),
                                                 None, what)
        )
        length = reply.headers.get("Content-Length", "")
        if layer.size is not None and length.isdigit() and int(length) != layer.size:
            reply.close()
            raise ImageError(
                f"{target.label}: {what}: the registry sends {length} bytes, "
                f"the manifest says {layer.size}"
            )
        stream = _BlobStream(reply.body, _where(target.label, what), layer.size)
        return io.BufferedReader(stream, buffer_size=STREAM_BUFFER)

    # --- manifests ---------------------------------------------------------------------------

    def _resolve(self, target: _Target, wanted: Platform) -> _Manifest:
        top = self._fetch_manifest(target, target.ref.reference, None)
        if not top.is_index:
            return top
        available: list[str] = []
        found = self._select(target, top, wanted, available, 1)
        if found is None:
            listed = ", ".join(dict.fromkeys(available)) or "none"
            raise ImageError(
                f"{target.label}: no image for platform {wanted} (available: {listed})"
            )
        return found

    def _select(self, target: _Target, index: _Manifest, wanted: Platform,
                available: list[str], depth: int) -> _Manifest | None:
        entries = index.doc.get("manifests")
        if not isinstance(entries, list):
            raise ImageError(f"{target.label}: index {_short(index.digest)} has no manifests list")
        ranked: list[tuple[int, int, _Descriptor]] = []
        nested: list[_Descriptor] = []
        for order, entry in enumerate(entries):
            if not isinstance(entry, Mapping) or is_attestation(entry):
                continue
            descriptor = self._descriptor(target, entry, "index entry")
            platform = Platform.from_descriptor(entry.get("platform"))
            if descriptor.media_type in INDEX_TYPES:
                if platform is None or wanted.rank(platform) is not None:
                    nested.append(descriptor)
                elif platform is not None:
                    available.append(str(platform))
                continue
            if platform is None:
                available.append("(no platform)")
                ranked.append((2, order, descriptor))  # a last resort
                continue
            available.append(str(platform))
            rank = wanted.rank(platform)
            if rank is not None:
                ranked.append((rank, order, descriptor))
        ranked.sort(key=lambda item: (item[0], item[1]))
        best = [d for rank, _, d in ranked if rank < 2]
        if best:
            return self._child(target, best[0], wanted, available, depth)
        for descriptor in nested:
            found = self._child(target, descriptor, wanted, available, depth)
            if found is not None:
                return found
        if ranked:
            return self._child(target, ranked[0][2], wanted, available, depth)
        return None

    def _child(self, target: _Target, descriptor: _Descriptor, wanted: Platform,
               available: list[str], depth: int) -> _Manifest | None:
        child = self._fetch_manifest(target, descriptor.digest, descriptor)
        if not child.is_index:
            return child
        if depth >= MAX_INDEX_DEPTH:
            raise ImageError(f"{target.label}: indexes nested deeper than {MAX_INDEX_DEPTH}")
        return self._select(target, child, wanted, available, depth + 1)

    def _fetch_manifest(self, target: _Target, reference: str,
                        descriptor: _Descriptor | None) -> _Manifest:
        by_digest = _DIGEST_RE.match(reference) is not None
        what = f"manifest {_short(reference)}" if by_digest else ""
        url = target.path("manifests", reference)
        data, headers = self._retrying(
            target, what, lambda: self._read_document(target, url, MANIFEST_ACCEPT, what)
        )
        named = f"manifest {_short(reference)}" if by_digest else f"manifest {reference}"
        if by_digest:
            digest = _digest_of(data, reference.split(":", 1)[0])
            if digest != reference:
                raise ImageError(f"{target.label}: {named}: digest mismatch (got {_short(digest)})")
        else:
            digest = _digest_of(data, "sha256")
            stated = headers.get("Docker-Content-Digest", "").strip()
            if _DIGEST_RE.match(stated) and _digest_of(data, stated.split(":", 1)[0]) != stated:
                raise ImageError(
                    f"{target.label}: {named}: digest mismatch (the registry says "
                    f"{_short(stated)})"
                )
        if descriptor is not None and descriptor.size is not None and descriptor.size != len(data):
            raise ImageError(
                f"{target.label}: {named}: {len(data)} bytes, the index says {descriptor.size}"
            )
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise ImageError(f"{target.label}: {named}: not a JSON object")
        header_type = headers.get_content_type() if headers.get("Content-Type") else ""
        doc_type = doc.get("mediaType") if isinstance(doc.get("mediaType"), str) else ""
        if doc.get("schemaVersion") == 1 or doc_type in SCHEMA1_TYPES or (
            header_type in SCHEMA1_TYPES
        ):
            raise ImageError(f"{target.label}: schema 1 manifests are not supported")
        media_type = doc_type or header_type
        if media_type not in INDEX_TYPES | MANIFEST_TYPES:
            if isinstance(doc.get("manifests"), list):
                media_type = OCI_INDEX
            elif isinstance(doc.get("layers"), list) and isinstance(doc.get("config"), Mapping):
                media_type = OCI_MANIFEST
            else:
                raise ImageError(
                    f"{target.label}: {named}: unsupported manifest type "
                    f"{_one_line(media_type or '(none)', 80)}"
                )
        return _Manifest(media_type, doc, digest)

    def _check_single_platform(self, target: _Target, config: ImageConfig,
                               wanted: Platform) -> None:
        """An explicit platform against a single-platform image's configuration."""
        if not config.os or not config.architecture:
            return
        actual = Platform(config.os.lower(), config.architecture.lower(), config.variant.lower())
        if actual.os != wanted.os or actual.arch != wanted.arch or (
            wanted.variant and actual.variant and actual.normal_variant != wanted.normal_variant
        ):
            raise ImageError(
                f"{target.label}: no image for platform {wanted} (available: {actual})"
            )

    def _layers(self, target: _Target, manifest: _Manifest,
                config: ImageConfig) -> tuple[LayerInfo, ...]:
        raw = manifest.doc.get("layers")
        if not isinstance(raw, list):
            raise ImageError(f"{target.label}: manifest {_short(manifest.digest)} has no layers")
        descriptors = [self._descriptor(target, entry, f"layer {i}") for i, entry in enumerate(raw)]
        built = [h for h in config.history if not h.get("empty_layer")]
        if len(built) != len(descriptors):
            log.debug("%s: %d history entries for %d layers: no created_by",
                      target.label, len(built), len(descriptors))
            built = []
        layers = []
        for index, descriptor in enumerate(descriptors):
            created = built[index].get("created_by") if built else None
            layers.append(LayerInfo(
                index=index,
                digest=descriptor.digest,
                media_type=descriptor.media_type,
                size=descriptor.size,
                created_by=created if isinstance(created, str) else None,
            ))
        return tuple(layers)

    def _descriptor(self, target: _Target, raw: object, what: str) -> _Descriptor:
        if not isinstance(raw, Mapping):
            raise ImageError(f"{target.label}: {what}: missing descriptor")
        digest = raw.get("digest")
        if not isinstance(digest, str) or not _DIGEST_RE.match(digest):
            shown = _one_line(digest, 80) if isinstance(digest, str) else "none"
            raise ImageError(f"{target.label}: {what}: unsupported or malformed digest {shown}")
        size = raw.get("size")
        media_type = raw.get("mediaType")
        return _Descriptor(
            media_type=media_type if isinstance(media_type, str) else "",
            digest=digest,
            size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0
            else None,
        )

    def _fetch_document(self, target: _Target, descriptor: _Descriptor, kind: str) -> bytes:
        """A blob small enough to hold (the config): size limit, size and digest checked."""
        what = f"{kind} {_short(descriptor.digest)}"
        if descriptor.size is not None and descriptor.size > self.max_document_size:
            raise ImageError(f"{target.label}: {what}: larger than the "
                             f"{self.max_document_size} bytes allowed")
        url = target.path("blobs", descriptor.digest)
        data, _ = self._retrying(target, what, lambda: self._read_document(target, url, None, what))
        digest = _digest_of(data, descriptor.digest.split(":", 1)[0])
        if digest != descriptor.digest:
            raise ImageError(f"{target.label}: {what}: digest mismatch (got {_short(digest)})")
        if descriptor.size is not None and descriptor.size != len(data):
            raise ImageError(
                f"{target.label}: {what}: {len(data)} bytes, the manifest says {descriptor.size}"
            )
        return data

    # --- HTTP ----------------------------------------------------------------------------------

    def _retrying(self, target: _Target, what: str, attempt: Callable[[], T]) -> T:
        last = ""
        delay = 0.0
        for number in range(self.tries):
            if number:
                time.sleep(delay)
            try:
                return attempt()
            except _Transient as exc:
                last = exc.reason
                backoff = self.backoff * 2**number
                delay = backoff if exc.retry_after is None else max(backoff, exc.retry_after)
                log.debug("%s: %s (try %d of %d)", _where(target.label, what), last,
                          number + 1, self.tries)
        raise ImageError(f"{_where(target.label, what)}: {last} (after {self.tries} tries)")

    def _read_document(self, target: _Target, url: str, accept: str | None,
                       what: str) -> tuple[bytes, Message]:
        reply = self._get_once(target, url, accept, what)
        limit = self.max_document_size
        try:
            length = reply.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > limit:
                raise ImageError(f"{_where(target.label, what)}: {length} bytes, more than the "
                                 f"{limit} allowed")
            try:
                data = reply.body.read(limit + 1)
            except (OSError, http.client.HTTPException) as exc:
                raise _Transient(f"download failed: {_one_line(str(exc) or type(exc).__name__)}"
                                 ) from exc
        finally:
            reply.close()
        if len(data) > limit:
            raise ImageError(f"{_where(target.label, what)}: more than the {limit} bytes allowed")
        return data, reply.headers

    def _open(self, url: str, headers: Mapping[str, str]) -> _Reply:
        request = urllib.request.Request(url, headers=dict(headers), method="GET")
        opener = self._direct if is_loopback(_hostport(url)) else self._proxied
        parts = urllib.parse.urlsplit(url)
        log.debug("GET %s://%s%s", parts.scheme, parts.netloc, parts.path)  # never the query
        try:
            response = opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            return _Reply(exc.code, str(exc.reason or ""), exc.headers, exc)
        return _Reply(response.status, str(response.reason or ""), response.headers, response)

    def _connect(self, url: str, headers: Mapping[str, str], where: str) -> _Reply:
        try:
            return self._open(url, headers)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            text = _one_line(str(reason) or type(exc).__name__)
            if isinstance(reason, ssl.SSLCertVerificationError | ValueError):
                raise ImageError(f"{where}: cannot connect to {_hostport(url)}: {text}") from None
            raise _Transient(f"cannot connect to {_hostport(url)}: {text}") from exc

    def _check_url(self, target: _Target, url: str, what: str) -> None:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        host = _hostport(url)
        if scheme == "https":
            return
        if scheme == "http" and self.plain_http_allowed(host):
            return
        if scheme == "http":
            raise ImageError(
                f"{_where(target.label, what)}: refusing plain HTTP to {host} (not a loopback "
                "host or an insecure registry)"
            )
        raise ImageError(f"{_where(target.label, what)}: unsupported URL scheme {scheme!r}")

    def _get_once(self, target: _Target, url: str, accept: str | None, what: str) -> _Reply:
        """GET with the registry's authorization (on its origin only), redirects followed by
        hand, one authentication round on 401. Returns an open 2xx reply."""
        current = url
        redirects = 0
        authenticated = False
        while True:
            self._check_url(target, current, what)
            same_origin = _origin(current) == target.origin
            headers = {"User-Agent": self._agent}
            if accept:
                headers["Accept"] = accept
            sent = self._auth_header(target) if same_origin else None
            if sent:
                headers["Authorization"] = sent
            reply = self._connect(current, headers, _where(target.label, what))
            status = reply.status
            if 200 <= status < 300:
                return reply
            if status in _REDIRECTS:
                location = reply.headers.get("Location", "")
                reply.close()
                redirects += 1
                if not location:
                    raise ImageError(f"{_where(target.label, what)}: redirect without a Location")
                if redirects > MAX_REDIRECTS:
                    raise ImageError(
                        f"{_where(target.label, what)}: more than {MAX_REDIRECTS} redirects"
                    )
                current = urllib.parse.urljoin(current, location)
                continue
            if status == 401 and same_origin and not authenticated:
                challenges = reply.headers.get_all("WWW-Authenticate") or []
                reply.close()
                self._authenticate(target, challenges, sent, what)
                authenticated = True
                continue
            try:
                body = reply.body.read(MAX_ERROR_BODY)
            except (OSError, http.client.HTTPException):
                body = b""
            finally:
                reply.close()
            text = _status_text(status, reply.reason, body)
            if status == 429 or status >= 500:
                raise _Transient(text, _retry_after(reply.headers))
            if status in (401, 403):
                text += self._credentials_hint(target)
            raise ImageError(f"{_where(target.label, what)}: {text}")

    # --- authentication ----------------------------------------------------------------------

    def _auth_header(self, target: _Target) -> str | None:
        with self._lock:
            return self._auth.get((target.origin, target.ref.repository))

    def _authenticate(self, target: _Target, values: list[str], sent: str | None,
                      what: str) -> None:
        challenges = parse_challenges(values)
        schemes = dict(challenges[::-1])  # the first challenge of a scheme wins
        where = _where(target.label, what)
        if "bearer" in schemes:
            params = schemes["bearer"]
            realm = params.get("realm", "")
            if not realm:
                raise ImageError(f"{where}: unauthorized: a Bearer challenge without realm (401)")
            service = params.get("service", "")
            scope = params.get("scope") or f"repository:{target.ref.repository}:pull"
            key = (realm, service, scope)
            with self._lock:
                token = self._tokens.get(key)
            if token is None or f"Bearer {token}" == sent:
                token = self._fetch_token(target, realm, service, scope)
                with self._lock:
                    self._tokens[key] = token
            header = f"Bearer {token}"
        elif "basic" in schemes:
            credentials = self._credentials_for(target.ref.registry)
            if credentials is None:
                raise ImageError(f"{where}: unauthorized: the registry asks for credentials "
                                 f"(401){self._credentials_hint(target)}")
            header = credentials.header()
            if header == sent:
                raise ImageError(f"{where}: unauthorized: credentials refused (401)")
        else:
            shown = ", ".join(scheme for scheme, _ in challenges) or "none"
            raise ImageError(f"{where}: unauthorized (401); authentication scheme {shown} "
                             "is not supported")
        with self._lock:
            self._auth[(target.origin, target.ref.repository)] = header

    def _fetch_token(self, target: _Target, realm: str, service: str, scope: str) -> str:
        what = f"token from {_hostport(realm)}"
        self._check_url(target, realm, what)
        query = urllib.parse.urlencode(
            [("scope", scope), *([("service", service)] if service else [])]
        )
        url = f"{realm}{'&' if '?' in realm else '?'}{query}"
        headers = {"User-Agent": self._agent, "Accept": "application/json"}
        credentials = self._credentials_for(target.ref.registry)
        if credentials is not None:
            headers["Authorization"] = credentials.header()

        def attempt() -> bytes:
            reply = self._connect(url, headers, _where(target.label, what))
            try:
                if reply.status == 200:
                    try:
                        return reply.body.read(MAX_TOKEN_ANSWER)
                    except (OSError, http.client.HTTPException) as exc:
                        raise _Transient(f"download failed: {type(exc).__name__}") from exc
                try:
                    body = reply.body.read(MAX_ERROR_BODY)
                except (OSError, http.client.HTTPException):
                    body = b""
            finally:
                reply.close()
            text = _status_text(reply.status, reply.reason, body)
            if reply.status == 429 or reply.status >= 500:
                raise _Transient(text, _retry_after(reply.headers))
            if reply.status in (401, 403):
                text += (" (the credentials were refused)" if credentials is not None
                         else self._credentials_hint(target))
            raise ImageError(f"{_where(target.label, what)}: {text}")

        data = self._retrying(target, what, attempt)
        try:
            answer = json.loads(data)
        except ValueError:
            answer = None
        token = None
        if isinstance(answer, Mapping):
            token = answer.get("token") or answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise ImageError(f"{_where(target.label, what)}: the answer holds no token")
        return token

    # --- Docker configuration --------------------------------------------------------------

    def _note(self, text: str) -> None:
        with self._lock:
            if text in self.notes:
                return
            self.notes.append(text)
        log.warning("%s", text)

    def _config_path(self) -> Path:
        folder = self._docker_config_dir or os.environ.get("DOCKER_CONFIG")
        return (Path(folder) if folder else Path.home() / ".docker") / "config.json"

    def _load_docker_config(self) -> Mapping[str, Any]:
        if self._docker_config is not None:
            return self._docker_config
        path = self._config_path()
        loaded: Mapping[str, Any] = {}
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        except (OSError, UnicodeDecodeError) as exc:
            self._note(f"cannot read {path} ({type(exc).__name__}): pulling anonymously")
            text = ""
        if text.strip():
            try:
                answer = json.loads(text)
            except ValueError:
                answer = None
            if isinstance(answer, dict):
                loaded = answer
            else:
                self._note(f"{path} is not a JSON object: pulling anonymously")
        self._docker_config = loaded
        return loaded

    def _credentials_for(self, registry: str) -> _Credentials | None:
        key = _registry_key(registry)
        with self._lock:
            if key in self._credentials:
                return self._credentials[key]
        found = self._lookup_credentials(key, registry)
        with self._lock:
            self._credentials[key] = found
        return found

    def _lookup_credentials(self, key: str, registry: str) -> _Credentials | None:
        config = self._load_docker_config()
        path = self._config_path()
        auths = config.get("auths")
        for name, entry in (auths.items() if isinstance(auths, Mapping) else ()):
            if not isinstance(name, str) or _registry_key(name) != key:
                continue
            if not isinstance(entry, Mapping):
                continue
            auth = entry.get("auth")
            if isinstance(auth, str) and auth:
                try:
                    pair = base64.b64decode(auth, validate=True).decode("utf-8")
                except (binascii.Error, ValueError):
                    pair = ""
                user, colon, password = pair.partition(":")
                if colon and user:
                    return _Credentials(user, password)
                self._note(f"{path}: the auth entry for {name} is not base64 user:password")
            user_value, password_value = entry.get("username"), entry.get("password")
            if isinstance(user_value, str) and user_value and isinstance(password_value, str):
                return _Credentials(user_value, password_value)
            if entry.get("identitytoken"):
                self._note(f"{path}: identity tokens ({name}) are not supported: "
                           "pulling anonymously")
        helpers = config.get("credHelpers")
        helper = None
        if isinstance(helpers, Mapping):
            helper = next((value for name, value in helpers.items()
                           if isinstance(name, str) and _registry_key(name) == key), None)
        store = config.get("credsStore")
        chosen = helper or store
        if isinstance(chosen, str) and chosen:
            self._note(
                f"credentials for {registry} are kept by the credential helper "
                f"docker-credential-{chosen}, which hullscan does not run: pulling anonymously"
            )
        return None

    def _credentials_hint(self, target: _Target) -> str:
        if self._credentials_for(target.ref.registry) is not None:
            return ""
        return f"; no credentials for {target.ref.registry} in {self._config_path()}"


def _image_config(doc: Mapping[str, Any]) -> ImageConfig:
    inner = doc.get("config")
    settings: Mapping[str, Any] = inner if isinstance(inner, Mapping) else {}
    user = settings.get("User")
    env = settings.get("Env")
    ports = settings.get("ExposedPorts")
    history = doc.get("history")

    def text(value: object) -> str:
        return value if isinstance(value, str) else ""

    return ImageConfig(
        user=text(user),
        env=tuple(e for e in env if isinstance(e, str)) if isinstance(env, list) else (),
        exposed_ports=tuple(sorted(str(p) for p in ports)) if isinstance(ports, Mapping) else (),
        os=text(doc.get("os")),
        architecture=text(doc.get("architecture")),
        variant=text(doc.get("variant")),
        history=tuple(h for h in history if isinstance(h, Mapping))
        if isinstance(history, list) else (),
        raw=doc,
    )
