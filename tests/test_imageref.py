"""Tests for hullscan.core.imageref."""

from __future__ import annotations

import pytest

from hullscan.core.imageref import ImageRef, parse_image_ref, registry_matches

SHA256 = "sha256:" + "a" * 64
SHA512 = "sha512:" + "0123456789abcdef" * 8


def _ref(text: str) -> ImageRef:
    ref = parse_image_ref(text)
    assert ref is not None, text
    return ref


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        ("python", "docker.io", "library/python", None, None),
        ("python:3.12-slim", "docker.io", "library/python", "3.12-slim", None),
        ("myorg/app:1.0", "docker.io", "myorg/app", "1.0", None),
        ("docker.io/python", "docker.io", "library/python", None, None),
        ("index.docker.io/library/python:3", "docker.io", "library/python", "3", None),
        ("registry-1.docker.io/myorg/app", "docker.io", "myorg/app", None, None),
        ("ghcr.io/myorg/app:v2", "ghcr.io", "myorg/app", "v2", None),
        ("localhost/app", "localhost", "app", None, None),
        ("localhost:5000/team/app:dev", "localhost:5000", "team/app", "dev", None),
        ("registry.example.com:443/a/b/c", "registry.example.com:443", "a/b/c", None, None),
        (f"alpine@{SHA256}", "docker.io", "library/alpine", None, SHA256),
        (f"ghcr.io/x/y:1.2@{SHA256}", "ghcr.io", "x/y", "1.2", SHA256),
        ("GHCR.IO/x/y", "ghcr.io", "x/y", None, None),
        ("my_org/my-app__x", "docker.io", "my_org/my-app__x", None, None),
    ],
)
def test_parse_components(
    text: str, registry: str, repository: str, tag: str | None, digest: str | None
) -> None:
    ref = _ref(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry,
        repository,
        tag,
        digest,
    )
    assert ref.original == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "scratch",
        "python 3",
        "Python",
        "myorg/App",
        "ghcr.io/x/Y:1",
        "a//b",
        "/a",
        "a/",
        "python:",
        "python:bad tag",
        "python:-x",
        "python@",
        "python@sha256",
        "python@@sha256:abc",
        "$BASE",
        "${BASE}:3",
        "python:3.12@sha256:zz z",
        "a" * 300,
        "bad_host!.io/x",
    ],
)
def test_invalid_references(text: str) -> None:
    assert parse_image_ref(text) is None


def test_surrounding_whitespace_is_tolerated() -> None:
    ref = _ref("  python:3  ")
    assert ref.repository == "library/python"
    assert ref.tag == "3"


def test_pinned() -> None:
    assert _ref(f"python@{SHA256}").pinned
    assert _ref(f"python:3@{SHA512}").pinned
    assert not _ref("python:3").pinned
    assert not _ref("python@sha256:abc").pinned
    assert not _ref("python@sha256:" + "A" * 64).pinned
    assert not _ref("python@sha512:" + "a" * 64).pinned
    assert not _ref("python@md5:" + "a" * 32).pinned


def test_familiar_name() -> None:
    assert _ref("docker.io/library/python:3").familiar_name == "python"
    assert _ref("python").familiar_name == "python"
    assert _ref("docker.io/myorg/app").familiar_name == "myorg/app"
    assert _ref("index.docker.io/myorg/app").familiar_name == "myorg/app"
    assert _ref("library/x/y").familiar_name == "library/x/y"
    assert _ref("ghcr.io/x/y:1").familiar_name == "ghcr.io/x/y"
    assert _ref("localhost:5000/app").familiar_name == "localhost:5000/app"


@pytest.mark.parametrize(
    ("text", "patterns"),
    [
        ("ghcr.io/myorg/app", ["ghcr.io"]),
        ("ghcr.io/myorg/app", ["ghcr.io/myorg"]),
        ("ghcr.io/myorg/app", ["ghcr.io/myorg/app"]),
        ("ghcr.io/myorg/app", ["GHCR.io/MyOrg/"]),
        ("ghcr.io/myorg/app", ["quay.io", "ghcr.io/myorg"]),
        ("python:3", ["docker.io"]),
        ("python:3", ["docker.io/library"]),
        ("python:3", ["index.docker.io/library"]),
        ("index.docker.io/library/python", ["docker.io/library"]),
        ("registry-1.docker.io/myorg/app", ["docker.io/myorg"]),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app", ["*.dkr.ecr.*.amazonaws.com"]),
        ("eu.gcr.io/project/img", ["*.gcr.io"]),
        ("localhost:5000/app", ["localhost:5000"]),
        ("ghcr.io/myorg/app", ["https://ghcr.io/myorg"]),
    ],
)
def test_registry_matches_positive(text: str, patterns: list[str]) -> None:
    assert registry_matches(_ref(text), patterns)


@pytest.mark.parametrize(
    ("text", "patterns"),
    [
        ("ghcr.io/myorg/app", ["ghcr.io/my"]),
        ("ghcr.io/myorg/app", ["ghcr.io/myorg/app/extra"]),
        ("ghcr.io/myorg/app", ["ghcr.i"]),
        ("ghcr.io/myorg/app", ["ghcr.io.evil.com"]),
        ("ghcr.io/myorg/app", ["docker.io"]),
        ("ghcr.io/myorg/app", ["", "   "]),
        ("ghcr.io/myorg/app", []),
        ("python:3", ["docker.io/myorg"]),
        ("python:3", ["ghcr.io"]),
        ("myorg/app", ["docker.io/library"]),
        ("evil.com/dkr.ecr.us-east-1.amazonaws.com/x", ["*.dkr.ecr.*.amazonaws.com"]),
        ("localhost:5000/app", ["localhost"]),
    ],
)
def test_registry_matches_negative(text: str, patterns: list[str]) -> None:
    assert not registry_matches(_ref(text), patterns)
