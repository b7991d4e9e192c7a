"""registry: images pulled over the registry HTTP API v2 from a registry served on 127.0.0.1
(tests/registry_server.py). Name resolution is blocked for every other host, so nothing here
can reach the network."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from registry_server import (
    SCHEMA1,
    Pushed,
    RegistryServer,
    descriptor,
    make_config,
    make_layer,
    running,
    sha256,
)

from hullscan.image.model import Image, ImageError
from hullscan.image.sources.registry import (
    Platform,
    RegistrySource,
    parse_challenges,
    parse_reference,
)

LAYERS = [
    make_layer({"etc/os-release": b"ID=test\nVERSION_ID=1\n"}),
    make_layer({"app/main.py": b"print('hello')\n"}),
]
STEPS = ["ADD rootfs.tar /", "COPY main.py /app/"]
DIGEST = "sha256:" + "a" * 64


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise socket.gaierror(socket.EAI_NONAME, f"the tests do not resolve {host}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


@pytest.fixture(autouse=True)
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty DOCKER_CONFIG folder: the developer's ~/.docker is never read."""
    folder = tmp_path / "docker"
    folder.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    return folder


@pytest.fixture
def registry() -> Iterator[RegistryServer]:
    with running() as server:
        yield server


def source(**kwargs: Any) -> RegistrySource:
    return RegistrySource(timeout=10, backoff=0, **kwargs)


def push_app(registry: RegistryServer, tag: str | None = "1", repository: str = "app",
             **config: Any) -> Pushed:
    return registry.push_image(repository, tag, LAYERS,
                               make_config(LAYERS, created_by=STEPS, **config))


def read_layers(image: Image) -> list[bytes]:
    blobs = []
    for layer in image.layers:
        with image.open_layer(layer) as stream:
            blobs.append(stream.read())
    return blobs


def write_config(folder: Path, content: dict[str, Any]) -> None:
    (folder / "config.json").write_text(json.dumps(content), encoding="utf-8")


def one_line(exc: pytest.ExceptionInfo[ImageError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


# --- references -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "registry", "repository", "reference"),
    [
        ("alpine", "registry-1.docker.io", "library/alpine", "latest"),
        ("alpine:3.19", "registry-1.docker.io", "library/alpine", "3.19"),
        ("docker.io/library/alpine:3.19", "registry-1.docker.io", "library/alpine", "3.19"),
        ("docker.io/alpine", "registry-1.docker.io", "library/alpine", "latest"),
        ("index.docker.io/myorg/app:2", "registry-1.docker.io", "myorg/app", "2"),
        ("myorg/app", "registry-1.docker.io", "myorg/app", "latest"),
        ("foo/bar/baz", "registry-1.docker.io", "foo/bar/baz", "latest"),
        ("ghcr.io/org/app:v1", "ghcr.io", "org/app", "v1"),
        ("localhost/app", "localhost", "app", "latest"),
        (f"localhost:5000/team/app@{DIGEST}", "localhost:5000", "team/app", DIGEST),
        ("127.0.0.1:5000/app:1", "127.0.0.1:5000", "app", "1"),
        (f"registry:quay.io/org/app:tag@{DIGEST}", "quay.io", "org/app", DIGEST),
        ("registry:alpine", "registry-1.docker.io", "library/alpine", "latest"),
    ],
)
def test_reference_parsing(text: str, registry: str, repository: str, reference: str) -> None:
    parsed = parse_reference(text)
    assert (parsed.registry, parsed.repository, parsed.reference) == (
        registry, repository, reference)


@pytest.mark.parametrize("text", ["", "Upper/app", "app:bad tag", "app@sha256:short",
                                  f"app@md5:{'a' * 32}", "a//b"])
def test_bad_references(text: str) -> None:
    with pytest.raises(ImageError):
        parse_reference(text)


def test_challenge_parsing() -> None:
    header = ('Bearer realm="https://auth.example/token",service="reg",'
              'scope="repository:a/b:pull,push"')
    assert parse_challenges([header, 'Basic realm="x"']) == [
        ("bearer", {"realm": "https://auth.example/token", "service": "reg",
                    "scope": "repository:a/b:pull,push"}),
        ("basic", {"realm": "x"}),
    ]


# --- pulling --------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["token", "access_token"])
def test_anonymous_token_flow(registry: RegistryServer, field: str) -> None:
    registry.auth = "bearer"
    registry.token_field = field
    pushed = push_app(registry, user="nobody", ports=("8080/tcp", "22/tcp"))
    src = source()
    image = src.open(f"registry:{registry.ref('app:1')}", None)

    assert image.reference == f"registry:{registry.host}/app:1"
    assert image.digest == pushed.digest
    assert image.verify_digests
    config = image.config
    assert (config.user, config.env, config.exposed_ports) == (
        "nobody", ("PATH=/usr/bin",), ("22/tcp", "8080/tcp"))
    assert (config.os, config.architecture, config.variant) == ("linux", "amd64", "")
    assert len(config.history) == 3  # the ENV entry made no layer
    assert [(la.index, la.digest, la.size, la.created_by) for la in image.layers] == [
        (i, d, len(b), s) for i, (d, b, s) in
        enumerate(zip(pushed.layer_digests, LAYERS, STEPS, strict=True))
    ]
    assert image.layers[0].media_type == "application/vnd.docker.image.rootfs.diff.tar.gzip"
    assert read_layers(image) == LAYERS

    # one token for the scope, anonymous, reused by the manifest, config and layers
    assert len(registry.token_requests) == 1
    token_request = registry.token_requests[0]
    assert "authorization" not in token_request.headers
    assert "scope=repository%3Aapp%3Apull" in token_request.path
    assert "service=test-registry" in token_request.path
    authorized = [r for r in registry.requests if "authorization" in r.headers]
    assert len(authorized) == len(registry.requests) - 1  # only the first went without
    # the token is cached for the session: a second pull asks for none
    src.open(registry.ref("app:1"), None)
    assert len(registry.token_requests) == 1


@pytest.mark.parametrize("style", ["auth", "username", "url-key"])
def test_credentials_from_docker_config(registry: RegistryServer, docker_config: Path,
                                        style: str) -> None:
    registry.auth = "bearer"
    registry.token_needs_credentials = True
    registry.users = {"alice": "s3cret-pass"}
    push_app(registry)
    if style == "auth":
        entry = {registry.host: {"auth": base64.b64encode(b"alice:s3cret-pass").decode()}}
    elif style == "username":
        entry = {registry.host: {"username": "alice", "password": "s3cret-pass"}}
    else:
        entry = {f"http://{registry.host}/v2/": {"username": "alice", "password": "s3cret-pass"}}
    write_config(docker_config, {"auths": entry})
    image = source().open(registry.ref("app:1"), None)
    assert read_layers(image) == LAYERS
    sent = registry.token_requests[0].headers["authorization"]
    assert base64.b64decode(sent.split()[1]) == b"alice:s3cret-pass"


def test_missing_or_wrong_credentials(registry: RegistryServer, docker_config: Path) -> None:
    registry.auth = "bearer"
    registry.token_needs_credentials = True
    registry.users = {"alice": "s3cret-pass"}
    push_app(registry)
    with pytest.raises(ImageError) as missing:
        source().open(registry.ref("app:1"), None)
    assert "(401)" in one_line(missing)
    assert f"no credentials for {registry.host}" in str(missing.value)

    write_config(docker_config, {"auths": {registry.host: {"username": "alice",
                                                           "password": "wrong-pass"}}})
    with pytest.raises(ImageError) as wrong:
        source().open(registry.ref("app:1"), None)
    message = one_line(wrong)
    assert "credentials were refused" in message
    assert "wrong-pass" not in message and "alice" not in message


def test_rejected_token_is_a_one_line_unauthorized(registry: RegistryServer) -> None:
    registry.auth = "bearer"
    registry.reject_tokens = True
    push_app(registry)
    with pytest.raises(ImageError) as caught:
        source().open(registry.ref("app:1"), None)
    message = one_line(caught)
    assert message.startswith(
        f"registry:{registry.host}/app:1: unauthorized: authentication required (401)")
    assert "tok-" not in message


def test_basic_auth_registry(registry: RegistryServer, docker_config: Path) -> None:
    registry.auth = "basic"
    registry.users = {"bob": "hunter2"}
    push_app(registry)
    with pytest.raises(ImageError) as caught:
        source().open(registry.ref("app:1"), None)
    assert "(401)" in one_line(caught)

    write_config(docker_config, {"auths": {registry.host: {
        "auth": base64.b64encode(b"bob:hunter2").decode()}}})
    image = source().open(registry.ref("app:1"), None)
    assert read_layers(image) == LAYERS
    assert not registry.token_requests


@pytest.mark.parametrize("config", [
    {"credsStore": "desktop", "auths": {"HOST": {}}},
    {"credHelpers": {"HOST": "ecr-login"}},
])
def test_credential_helpers_are_not_run(registry: RegistryServer, docker_config: Path,
                                        config: dict[str, Any]) -> None:
    registry.auth = "bearer"
    push_app(registry)
    write_config(docker_config, json.loads(json.dumps(config).replace("HOST", registry.host)))
    src = source()
    image = src.open(registry.ref("app:1"), None)  # anonymous: this registry allows it
    assert image.layers
    helper = config.get("credsStore") or config["credHelpers"]["HOST"]
    assert any(f"docker-credential-{helper}" in note and "anonymously" in note
               for note in src.notes)
    assert "authorization" not in registry.token_requests[0].headers


# --- platforms ------------------------------------------------------------------------------


def push_multiplatform(registry: RegistryServer, *, oci: bool = True,
                       arm64_variant: str = "v8") -> dict[str, Pushed]:
    images = {
        "amd64": push_app(registry, None, architecture="amd64"),
        "arm64": push_app(registry, None, architecture="arm64", variant=arm64_variant),
        "arm": push_app(registry, None, architecture="arm", variant="v7"),
        "attestation": registry.push_image("app", None, [make_layer({"x": b"{}"})],
                                           make_config([b""], architecture="unknown",
                                                       os="unknown")),
    }
    arm64 = {"os": "linux", "architecture": "arm64"}
    if arm64_variant:
        arm64["variant"] = arm64_variant
    attestation = {"vnd.docker.reference.type": "attestation-manifest",
                   "vnd.docker.reference.digest": images["amd64"].digest}
    entries = [
        # an attestation known by its annotation alone comes first: it must be skipped
        descriptor(images["attestation"], {"os": "linux", "architecture": "amd64"}, attestation),
        descriptor(images["amd64"], {"os": "linux", "architecture": "amd64"}),
        descriptor(images["arm64"], arm64),
        descriptor(images["arm"], {"os": "linux", "architecture": "arm", "variant": "v7"}),
        descriptor(images["attestation"], {"os": "unknown", "architecture": "unknown"}),
    ]
    images["index"] = registry.push_index("app", "multi", entries, oci=oci)
    return images


@pytest.mark.parametrize(("platform", "expected"), [
    (None, "amd64"),
    ("linux/amd64", "amd64"),
    ("linux/arm64", "arm64"),
    ("linux/arm64/v8", "arm64"),
    ("linux/aarch64", "arm64"),
    ("linux/arm/v7", "arm"),
    ("linux/arm", "arm"),
])
@pytest.mark.parametrize("oci", [True, False])
def test_platform_selection(registry: RegistryServer, platform: str | None, expected: str,
                            oci: bool) -> None:
    images = push_multiplatform(registry, oci=oci)
    image = source().open(registry.ref("app:multi"), platform)
    assert image.digest == images[expected].digest
    assert image.config.architecture == expected
    assert not any(images["attestation"].digest in path for path in registry.paths())


def test_arm64_without_variant_serves_v8(registry: RegistryServer) -> None:
    images = push_multiplatform(registry, arm64_variant="")
    image = source().open(registry.ref("app:multi"), "linux/arm64/v8")
    assert image.digest == images["arm64"].digest


def test_no_matching_platform_lists_the_available_ones(registry: RegistryServer) -> None:
    push_multiplatform(registry)
    for wanted in ("linux/s390x", "linux/arm/v6", "windows/amd64"):
        with pytest.raises(ImageError) as caught:
            source().open(registry.ref("app:multi"), wanted)
        message = one_line(caught)
        assert f"no image for platform {wanted}" in message
        assert "(available: linux/amd64, linux/arm64/v8, linux/arm/v7)" in message


def test_explicit_platform_against_a_single_platform_image(registry: RegistryServer) -> None:
    push_app(registry, architecture="arm64", variant="v8")
    assert source().open(registry.ref("app:1"), "linux/arm64").config.architecture == "arm64"
    assert source().open(registry.ref("app:1"), None).config.architecture == "arm64"
    with pytest.raises(ImageError) as caught:
        source().open(registry.ref("app:1"), "linux/amd64")
    assert "available: linux/arm64/v8" in one_line(caught)


def test_bad_platform(registry: RegistryServer) -> None:
    with pytest.raises(ImageError, match="os/arch"):
        source().open(registry.ref("app:1"), "amd64")
    assert Platform.parse("linux/arm64").rank(Platform("linux", "arm64", "v8")) == 0


def test_nested_index(registry: RegistryServer) -> None:
    amd64 = push_app(registry, None)
    arm64 = push_app(registry, None, architecture="arm64", variant="v8")
    inner = registry.push_index("app", None, [
        descriptor(amd64, {"os": "linux", "architecture": "amd64"}),
        descriptor(arm64, {"os": "linux", "architecture": "arm64", "variant": "v8"}),
    ])
    registry.push_index("app", "nested", [descriptor(inner)])
    assert source().open(registry.ref("app:nested"), "linux/arm64").digest == arm64.digest


def test_index_nested_too_deep(registry: RegistryServer) -> None:
    current = registry.push_index("app", None, [
        descriptor(push_app(registry, None), {"os": "linux", "architecture": "amd64"})])
    for _ in range(5):
        current = registry.push_index("app", None, [descriptor(current)])
    registry.push_index("app", "deep", [descriptor(current)])
    with pytest.raises(ImageError, match="nested deeper"):
        source().open(registry.ref("app:deep"), None)


def test_schema1_is_refused(registry: RegistryServer) -> None:
    body = json.dumps({"schemaVersion": 1, "name": "old", "tag": "1", "fsLayers": []}).encode()
    registry.push_manifest("old", body, SCHEMA1, "1")
    with pytest.raises(ImageError) as caught:
        source().open(registry.ref("old:1"), None)
    assert one_line(caught) == (
        f"registry:{registry.host}/old:1: schema 1 manifests are not supported")


# --- integrity ------------------------------------------------------------------------------


def test_config_digest_mismatch(registry: RegistryServer) -> None:
    pushed = push_app(registry)
    registry.corrupt.add(pushed.config_digest)
    with pytest.raises(ImageError) as caught:
        source().open(registry.ref("app:1"), None)
    message = one_line(caught)
    assert message.startswith(
        f"registry:{registry.host}/app:1: config blob {pushed.config_digest[:19]}…: "
        "digest mismatch")


def test_manifest_by_digest_mismatch(registry: RegistryServer) -> None:
    pushed = push_app(registry)
    assert source().open(registry.ref(f"app@{pushed.digest}"), None).digest == pushed.digest
    media_type, body = registry.manifests[("app", pushed.digest)]
    registry.manifests[("app", pushed.digest)] = (media_type, body.replace(b"  ", b"   "))
    with pytest.raises(ImageError) as caught:
        source().open(registry.ref(f"app@{pushed.digest}"), None)
    assert f"manifest {pushed.digest[:19]}…: digest mismatch" in one_line(caught)


def test_index_child_digest_mismatch(registry: RegistryServer) -> None:
    images = push_multiplatform(registry)
    key = ("app", images["amd64"].digest)
    media_type, body = registry.manifests[key]
    registry.manifests[key] = (media_type, body + b"\n")
    with pytest.raises(ImageError, match="digest mismatch"):
        source().open(registry.ref("app:multi"), None)


def test_layer_streams_are_the_blobs(registry: RegistryServer) -> None:
    pushed = push_app(registry)
    image = source().open(registry.ref("app:1"), None)
    for layer, expected in zip(image.layers, LAYERS, strict=True):
        with image.open_layer(layer) as stream:
            digest = hashlib.sha256()
            while chunk := stream.read(7):  # small reads: streamed, not slurped
                digest.update(chunk)
        assert "sha256:" + digest.hexdigest() == layer.digest == sha256(expected)
    # a corrupted blob comes through as sent; hashing it (as the walker does) shows it
    registry.corrupt.add(pushed.layer_digests[1])
    with image.open_layer(image.layers[1]) as stream:
        assert sha256(stream.read()) != image.layers[1].digest


def test_missing_blob_and_wrong_size(registry: RegistryServer) -> None:
    pushed = push_app(registry)
    image = source().open(registry.ref("app:1"), None)
    registry.missing.add(pushed.layer_digests[0])
    with pytest.raises(ImageError) as caught:
        image.open_layer(image.layers[0])
    assert one_line(caught) == (
        f"registry:{registry.host}/app:1: blob {pushed.layer_digests[0][:19]}…: "
        "blob unknown to registry (404)")

    manifest = json.loads(pushed.manifest)
    manifest["layers"][1]["size"] += 1
    registry.push_manifest("app", json.dumps(manifest).encode(), pushed.media_type, "bad-size")
    image = source().open(registry.ref("app:bad-size"), None)
    with pytest.raises(ImageError, match="the manifest says"):
        image.open_layer(image.layers[1])


def test_missing_config_blob(registry: RegistryServer) -> None:
    pushed = push_app(registry)
    registry.missing.add(pushed.config_digest)
    with pytest.raises(ImageError, match=r"config blob .*: blob unknown to registry \(404\)"):
        source().open(registry.ref("app:1"), None)


def test_document_size_limit(registry: RegistryServer) -> None:
    push_app(registry)
    with pytest.raises(ImageError, match="allowed"):
        source(max_document_size=100).open(registry.ref("app:1"), None)


# --- transport ------------------------------------------------------------------------------


def test_blob_redirect_drops_authorization(registry: RegistryServer) -> None:
    registry.auth = "bearer"
    registry.redirect_blobs = True
    push_app(registry)
    image = source().open(registry.ref("app:1"), None)
    assert read_layers(image) == LAYERS
    blob_requests = [r for r in registry.requests if "/blobs/" in r.path]
    assert blob_requests and all("authorization" in r.headers for r in blob_requests)
    assert len(registry.cdn_requests) == 3  # the config and two layers
    assert all("authorization" not in r.headers for r in registry.cdn_requests)


def test_plain_http_only_for_loopback_and_insecure(registry: RegistryServer) -> None:
    strict = source()
    assert strict.plain_http_allowed("127.0.0.1:5000")
    assert strict.plain_http_allowed("localhost")
    assert strict.plain_http_allowed("[::1]:5000")
    assert not strict.plain_http_allowed("registry.example.test:5000")
    remote = parse_reference("registry.example.test:5000/app:1").registry
    assert strict.base_url(remote) == "https://registry.example.test:5000"
    insecure = source(insecure_registries=["registry.example.test:5000", "http://cdn.example.test"])
    assert insecure.base_url(remote) == "http://registry.example.test:5000"
    assert insecure.plain_http_allowed("cdn.example.test:8080")  # no port: any port
    assert not insecure.plain_http_allowed("registry.example.test:5001")

    # a redirect to plain HTTP on another host is refused before connecting...
    push_app(registry)
    registry.redirect_blobs = True
    registry.redirect_location = "http://cdn.example.test/blob?sig=secret"
    with pytest.raises(ImageError) as caught:
        strict.open(registry.ref("app:1"), None)
    message = one_line(caught)
    assert "refusing plain HTTP to cdn.example.test" in message
    assert "secret" not in message
    # ...unless the host is an insecure registry (then it is tried; here it cannot resolve)
    with pytest.raises(ImageError, match=r"cannot connect to cdn\.example\.test"):
        insecure.open(registry.ref("app:1"), None)

    # a token realm on plain HTTP elsewhere is refused too
    registry.redirect_blobs = False
    registry.auth = "bearer"
    registry.realm = "http://auth.example.test/token"
    with pytest.raises(ImageError, match=r"refusing plain HTTP to auth\.example\.test"):
        strict.open(registry.ref("app:1"), None)


def test_unknown_manifest_is_one_line(registry: RegistryServer) -> None:
    push_app(registry)
    with pytest.raises(ImageError) as caught:
        source().open(registry.ref("app:nope"), None)
    assert one_line(caught) == f"registry:{registry.host}/app:nope: manifest unknown (404)"


def test_throttled_once_then_served(registry: RegistryServer) -> None:
    push_app(registry)
    registry.throttle = 1
    image = source().open(registry.ref("app:1"), None)
    assert read_layers(image) == LAYERS
    assert registry.throttle == 0
    assert registry.paths()[0] == registry.paths()[1]  # the manifest, asked twice


def test_server_errors_give_up_after_three_tries(registry: RegistryServer) -> None:
    push_app(registry)
    registry.fail = True
    with pytest.raises(ImageError) as caught:
        source().open(registry.ref("app:1"), None)
    assert one_line(caught) == (
        f"registry:{registry.host}/app:1: internal server error (500) (after 3 tries)")
    assert len(registry.requests) == 3


def test_unreachable_registry(registry: RegistryServer) -> None:
    host = registry.host
    registry.close()
    with pytest.raises(ImageError, match=f"cannot connect to {host}"):
        source(tries=1).open(f"{host}/app:1", None)
