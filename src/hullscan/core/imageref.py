"""Container image references (`[registry/]repository[:tag][@digest]`), normalised."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["DOCKER_HUB", "ImageRef", "parse_image_ref", "registry_matches"]

DOCKER_HUB = "docker.io"
_DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})

_HOST_LABEL = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)"
_REGISTRY_RE = re.compile(
    rf"^(?:{_HOST_LABEL}(?:\.{_HOST_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$"
)
_COMPONENT_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]+$")
_PINNED_DIGEST_RE = re.compile(r"^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")


@dataclass(frozen=True)
class ImageRef:
    """A parsed, normalised image reference."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None
    original: str

    @property
    def pinned(self) -> bool:
        """True when a well-formed sha256 / sha512 digest is present."""
        return self.digest is not None and _PINNED_DIGEST_RE.match(self.digest) is not None

    @property
    def familiar_name(self) -> str:
        """The name as people write it: `python`, `myorg/app`, `ghcr.io/x/y`."""
        if self.registry == DOCKER_HUB:
            prefix = "library/"
            rest = self.repository[len(prefix) :]
            if self.repository.startswith(prefix) and "/" not in rest:
                return rest
            return self.repository
        return f"{self.registry}/{self.repository}"


def _normalise_registry(host: str) -> str:
    host = host.lower()
    return DOCKER_HUB if host in _DOCKER_HUB_ALIASES else host


def parse_image_ref(text: str) -> ImageRef | None:
    """Parse an image reference; None for empty, invalid or `scratch` text."""
    original = text
    text = text.strip()
    if not text or text == "scratch" or any(ch.isspace() for ch in text):
        return None

    name, at, digest_text = text.partition("@")
    digest: str | None = None
    if at:
        if not _DIGEST_RE.match(digest_text):
            return None
        digest = digest_text

    components = name.split("/")
    first = components[0]
    if len(components) > 1 and ("." in first or ":" in first or first == "localhost"):
        if not _REGISTRY_RE.match(first):
            return None
        registry = _normalise_registry(first)
        components = components[1:]
    else:
        registry = DOCKER_HUB

    last, colon, tag_text = components[-1].rpartition(":")
    tag: str | None = None
    if colon:
        if not _TAG_RE.match(tag_text):
            return None
        components[-1] = last
        tag = tag_text

    if not all(_COMPONENT_RE.match(component) for component in components):
        return None
    if registry == DOCKER_HUB and len(components) == 1:
        components = ["library", *components]
    repository = "/".join(components)
    if len(registry) + 1 + len(repository) > 255:
        return None
    return ImageRef(
        registry=registry, repository=repository, tag=tag, digest=digest, original=original
    )


def registry_matches(ref: ImageRef, patterns: Sequence[str]) -> bool:
    """Whether `ref` lies under any of `patterns`.

    A pattern is a registry host, optionally followed by a path prefix (`ghcr.io`,
    `ghcr.io/myorg`, `docker.io/library`). The host may use fnmatch wildcards
    (`*.dkr.ecr.*.amazonaws.com`). Matching is case-insensitive and on path-component
    boundaries; Docker Hub host spellings are normalised on both sides.
    """
    ref_parts = ref.repository.lower().split("/")
    registry = ref.registry.lower()
    for raw in patterns:
        pattern = raw.strip().lower()
        for scheme in ("https://", "http://"):
            if pattern.startswith(scheme):
                pattern = pattern[len(scheme) :]
        pattern = pattern.strip("/")
        if not pattern:
            continue
        host, _, path = pattern.partition("/")
        if not fnmatch.fnmatchcase(registry, _normalise_registry(host)):
            continue
        prefix = [part for part in path.split("/") if part] if path else []
        if len(prefix) > len(ref_parts):
            continue
        pairs = zip(ref_parts[: len(prefix)], prefix, strict=True)
        if all(fnmatch.fnmatchcase(part, want) for part, want in pairs):
            return True
    return False
