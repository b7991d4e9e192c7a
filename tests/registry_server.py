"""A container registry for tests: the HTTP API v2 served from memory on 127.0.0.1.

Two threaded servers on two ports (two origins): the registry itself (`/v2/...`, and `/token`
when it asks for Bearer tokens) and a "CDN" that blob requests can be redirected to; the CDN
records the headers it receives so tests can check Authorization never reaches it.

Switchable behaviours (attributes of `RegistryServer`, changed by tests between requests):
`auth` ("none", "bearer", "basic"), `users` (user -> password), `token_needs_credentials`,
`token_field` ("token" or "access_token"), `reject_tokens` (tokens are issued but never
accepted), `realm` (override the realm URL), `redirect_blobs`
(307 to the CDN), `redirect_location` (override where blobs are redirected), `corrupt` (blob
digests served with one byte flipped), `missing` (blob digests answered 404), `throttle`
(how many 429 answers come before normal ones), `fail` (answer 500 to everything under /v2/).

Image helpers: `make_layer` (a gzip'd tar), `make_config`, `RegistryServer.push_image`,
`RegistryServer.push_index`.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.server
import io
import json
import re
import tarfile
import threading
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"

_MANIFEST_PATH = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$")
_BLOB_PATH = re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<digest>[^/]+)$")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_layer(files: Mapping[str, bytes]) -> bytes:
    """A gzip'd tar with the given regular files (reproducible: mtime 0)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def make_config(layers: Sequence[bytes], *, os: str = "linux", architecture: str = "amd64",
                variant: str = "", user: str = "app", env: Sequence[str] = ("PATH=/usr/bin",),
                ports: Sequence[str] = ("8080/tcp",),
                created_by: Sequence[str] | None = None) -> dict[str, Any]:
    """An image configuration whose history has one entry per layer plus an empty-layer entry
    (ENV) in the middle."""
    steps = list(created_by or [f"RUN step {i}" for i in range(len(layers))])
    history: list[dict[str, Any]] = []
    for index, step in enumerate(steps):
        history.append({"created_by": step})
        if index == 0:
            history.append({"created_by": "ENV A=1", "empty_layer": True})
    config: dict[str, Any] = {
        "architecture": architecture,
        "os": os,
        "config": {"User": user, "Env": list(env), "ExposedPorts": {p: {} for p in ports}},
        "rootfs": {
            "type": "layers",
            "diff_ids": [sha256(gzip.decompress(layer)) for layer in layers],
        },
        "history": history,
    }
    if variant:
        config["variant"] = variant
    return config


@dataclass(frozen=True)
class Pushed:
    repository: str
    digest: str  # the manifest's
    manifest: bytes
    config_digest: str
    layer_digests: tuple[str, ...]
    size: int
    media_type: str


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]


@dataclass
class RegistryServer:
    """The store, the behaviours, and the two running servers (see the module docstring)."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    manifests: dict[tuple[str, str], tuple[str, bytes]] = field(default_factory=dict)
    auth: str = "none"
    users: dict[str, str] = field(default_factory=dict)
    token_needs_credentials: bool = False
    token_field: str = "token"
    reject_tokens: bool = False
    realm: str | None = None
    redirect_blobs: bool = False
    redirect_location: str | None = None
    corrupt: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    throttle: int = 0
    fail: bool = False
    requests: list[Recorded] = field(default_factory=list)
    token_requests: list[Recorded] = field(default_factory=list)
    cdn_requests: list[Recorded] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # token -> scope
    lock: threading.Lock = field(default_factory=threading.Lock)
    _servers: list[http.server.ThreadingHTTPServer] = field(default_factory=list)

    # --- addresses ------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._servers[0].server_address[1]}"

    @property
    def cdn_host(self) -> str:
        return f"127.0.0.1:{self._servers[1].server_address[1]}"

    def ref(self, name: str) -> str:
        return f"{self.host}/{name}"

    def paths(self) -> list[str]:
        with self.lock:
            return [r.path for r in self.requests]

    # --- the store ------------------------------------------------------------------------

    def push_blob(self, data: bytes) -> str:
        digest = sha256(data)
        self.blobs[digest] = data
        return digest

    def push_manifest(self, repository: str, body: bytes, media_type: str,
                      tag: str | None = None) -> str:
        digest = sha256(body)
        self.manifests[(repository, digest)] = (media_type, body)
        if tag:
            self.manifests[(repository, tag)] = (media_type, body)
        return digest

    def push_image(self, repository: str, tag: str | None, layers: Sequence[bytes],
                   config: Mapping[str, Any], *, oci: bool = False) -> Pushed:
        config_bytes = json.dumps(config).encode()
        config_digest = self.push_blob(config_bytes)
        layer_digests = tuple(self.push_blob(layer) for layer in layers)
        media_type = OCI_MANIFEST if oci else DOCKER_MANIFEST
        manifest = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {"mediaType": OCI_CONFIG if oci else DOCKER_CONFIG,
                       "digest": config_digest, "size": len(config_bytes)},
            "layers": [{"mediaType": OCI_LAYER if oci else DOCKER_LAYER,
                        "digest": digest, "size": len(layer)}
                       for digest, layer in zip(layer_digests, layers, strict=True)],
        }
        body = json.dumps(manifest, indent=2).encode()
        digest = self.push_manifest(repository, body, media_type, tag)
        return Pushed(repository, digest, body, config_digest, layer_digests, len(body),
                      media_type)

    def push_index(self, repository: str, tag: str | None,
                   entries: Sequence[Mapping[str, Any]], *, oci: bool = True) -> Pushed:
        """`entries` are descriptors; `descriptor(pushed, platform)` builds them."""
        media_type = OCI_INDEX if oci else DOCKER_LIST
        body = json.dumps({"schemaVersion": 2, "mediaType": media_type,
                           "manifests": list(entries)}).encode()
        digest = self.push_manifest(repository, body, media_type, tag)
        return Pushed(repository, digest, body, "", (), len(body), media_type)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        for role in ("registry", "cdn"):
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, role))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
            self._servers.append(server)

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()


def descriptor(pushed: Pushed, platform: Mapping[str, str] | None = None,
               annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"mediaType": pushed.media_type, "digest": pushed.digest,
                             "size": pushed.size}
    if platform is not None:
        entry["platform"] = dict(platform)
    if annotations is not None:
        entry["annotations"] = dict(annotations)
    return entry


@contextmanager
def running() -> Iterator[RegistryServer]:
    server = RegistryServer()
    server.start()
    try:
        yield server
    finally:
        server.close()


def _error(code: str, message: str) -> bytes:
    return json.dumps({"errors": [{"code": code, "message": message}]}).encode()


def _handler(state: RegistryServer, role: str) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None,
                  content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _blob_bytes(self, digest: str) -> bytes | None:
            if digest in state.missing or digest not in state.blobs:
                return None
            data = state.blobs[digest]
            if digest in state.corrupt:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            return data

        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            record = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()})
            if role == "cdn":
                with state.lock:
                    state.cdn_requests.append(record)
                data = self._blob_bytes(parts.path.rsplit("/", 1)[-1])
                if data is None:
                    self._send(404, b"no such blob", content_type="text/plain")
                else:
                    self._send(200, data, content_type="application/octet-stream")
                return
            if parts.path == "/token":
                with state.lock:
                    state.token_requests.append(record)
                self._token(urllib.parse.parse_qs(parts.query))
                return
            with state.lock:
                state.requests.append(record)
                throttled = state.throttle > 0
                if throttled:
                    state.throttle -= 1
            if throttled:
                self._send(429, _error("TOOMANYREQUESTS", "slow down"))
                return
            if state.fail:
                self._send(500, b"oops", content_type="text/plain")
                return
            manifest = _MANIFEST_PATH.match(parts.path)
            blob = _BLOB_PATH.match(parts.path)
            name = (manifest or blob).group("name") if (manifest or blob) else ""
            if not self._authorized(name):
                return
            if parts.path == "/v2/":
                self._send(200, b"{}")
            elif manifest:
                self._manifest(name, manifest.group("ref"))
            elif blob:
                self._blob(blob.group("digest"))
            else:
                self._send(404, _error("NAME_UNKNOWN", "repository name not known"))

        def _authorized(self, name: str) -> bool:
            given = self.headers.get("Authorization", "")
            if state.auth == "bearer":
                token = given[len("Bearer "):] if given.startswith("Bearer ") else ""
                scope = state.tokens.get(token)
                granted = scope is not None and not state.reject_tokens
                if granted and (not name or scope == f"repository:{name}:pull"):
                    return True
                realm = state.realm or f"http://{state.host}/token"
                challenge = f'Bearer realm="{realm}",service="test-registry"'
                if name:
                    challenge += f',scope="repository:{name}:pull"'
                self._send(401, _error("UNAUTHORIZED", "authentication required"),
                           {"WWW-Authenticate": challenge})
                return False
            if state.auth == "basic":
                if self._basic_ok(given):
                    return True
                self._send(401, _error("UNAUTHORIZED", "authentication required"),
                           {"WWW-Authenticate": 'Basic realm="test-registry"'})
                return False
            return True

        def _basic_ok(self, given: str) -> bool:
            if not given.startswith("Basic "):
                return False
            try:
                user, _, password = base64.b64decode(given[6:]).decode().partition(":")
            except ValueError:
                return False
            return state.users.get(user) == password

        def _token(self, query: Mapping[str, list[str]]) -> None:
            given = self.headers.get("Authorization", "")
            if (given or state.token_needs_credentials) and not self._basic_ok(given):
                self._send(401, _error("UNAUTHORIZED", "incorrect username or password"))
                return
            scope = (query.get("scope") or [""])[0]
            with state.lock:
                token = f"tok-{len(state.tokens) + 1}"
                state.tokens[token] = scope
            self._send(200, json.dumps({state.token_field: token, "expires_in": 300}).encode())

        def _manifest(self, name: str, ref: str) -> None:
            found = state.manifests.get((name, ref))
            if found is None:
                self._send(404, _error("MANIFEST_UNKNOWN", "manifest unknown"))
                return
            media_type, body = found
            self._send(200, body, {"Docker-Content-Digest": sha256(body)}, media_type)

        def _blob(self, digest: str) -> None:
            if digest in state.missing or digest not in state.blobs:
                self._send(404, _error("BLOB_UNKNOWN", "blob unknown to registry"))
                return
            if state.redirect_blobs:
                location = state.redirect_location or (
                    f"http://{state.cdn_host}/cdn/{digest}?sig=signed-url-secret"
                )
                self._send(307, b"", {"Location": location})
                return
            data = self._blob_bytes(digest) or b""
            self._send(200, data, content_type="application/octet-stream")

    return Handler
