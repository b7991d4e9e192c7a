"""Image manifests, indexes and configurations (OCI and Docker's), as every source reads them."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hullscan.image.model import ImageConfig, ImageError, LayerInfo

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
REF_NAME = "org.opencontainers.image.ref.name"
MAX_JSON = 8 * 1024 * 1024
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
ATTESTATION_ANNOTATION = "vnd.docker.reference.type"
DEFAULT_PLATFORM = "linux/amd64"
_PLATFORM_PART_RE = re.compile(r"^[a-z0-9._-]+$")
_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "i386": "386"}
_DEFAULT_VARIANT = {"arm64": "v8", "arm": "v7"}


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def check_digest(data: bytes, expected: str, what: str) -> None:
    if not _DIGEST.match(expected or ""):
        raise ImageError(f"{what}: unsupported or malformed digest {expected!r}")
    actual = sha256(data)
    if actual != expected:
        raise ImageError(f"{what}: digest mismatch (expected {expected[:19]}…, got "
                         f"{actual[:19]}…)")


def load_json(data: bytes, what: str) -> Any:
    if len(data) > MAX_JSON:
        raise ImageError(f"{what}: larger than {MAX_JSON:,} bytes")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImageError(f"{what}: not valid JSON ({exc})") from None


@dataclass(frozen=True)
class Platform:
    """os/architecture[/variant], as in an index's descriptors."""

    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.strip().lower().split("/")
        if len(parts) not in (2, 3) or not all(_PLATFORM_PART_RE.match(p) for p in parts):
            raise ImageError(f"platform {text!r}: expected os/arch[/variant], e.g. linux/arm64/v8")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else "")

    @classmethod
    def from_descriptor(cls, raw: object) -> Platform | None:
        if not isinstance(raw, Mapping):
            return None
        os_name, arch, variant = raw.get("os"), raw.get("architecture"), raw.get("variant", "")
        if not isinstance(os_name, str) or not isinstance(arch, str) or not os_name or not arch:
            return None
        variant = variant.lower() if isinstance(variant, str) else ""
        return cls(os_name.lower(), arch.lower(), variant)

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    @property
    def arch(self) -> str:
        return _ARCH_ALIASES.get(self.architecture, self.architecture)

    @property
    def normal_variant(self) -> str:
        """arm64 without a variant is v8, arm is v7; amd64's v1 is no variant."""
        if self.arch == "amd64" and self.variant == "v1":
            return ""
        return self.variant or _DEFAULT_VARIANT.get(self.arch, "")

    def rank(self, candidate: Platform) -> int | None:
        """How well `candidate` serves this wanted platform: 0 exact, 1 another variant of the
        same architecture (only when no variant was asked for), None not at all."""
        if candidate.os != self.os or candidate.arch != self.arch:
            return None
        if candidate.normal_variant == self.normal_variant:
            return 0
        return None if self.variant else 1


def is_attestation(descriptor: Mapping[str, Any]) -> bool:
    annotations = descriptor.get("annotations")
    if isinstance(annotations, Mapping) and (
        annotations.get(ATTESTATION_ANNOTATION) == "attestation-manifest"
    ):
        return True
    platform = descriptor.get("platform")
    return (
        isinstance(platform, Mapping)
        and platform.get("os") == "unknown"
        and platform.get("architecture") == "unknown"
    )



def select_from_index(index: Mapping[str, Any], platform: str | None, what: str,
                      tag: str | None = None) -> Mapping[str, Any]:
    """The descriptor of an index that serves the platform (default linux/amd64; and the tag's
    ref.name annotation, when given), by the same rules as a registry pull: an exact match
    first, then another variant of the architecture when no variant was asked for, an entry
    without a platform as a last resort; attestation manifests are skipped."""
    manifests = [m for m in index.get("manifests") or [] if isinstance(m, Mapping)]
    if tag:
        named = [m for m in manifests if (m.get("annotations") or {}).get(REF_NAME) == tag]
        if not named:
            tags = sorted({str((m.get("annotations") or {}).get(REF_NAME)) for m in manifests
                           if (m.get("annotations") or {}).get(REF_NAME)})
            raise ImageError(f"{what}: no image tagged {tag!r}"
                             + (f" (tags: {', '.join(tags)})" if tags else ""))
        manifests = named
    candidates = [m for m in manifests if not is_attestation(m)]
    if not candidates:
        raise ImageError(f"{what}: the index lists no image manifest")
    if len(candidates) == 1 and not candidates[0].get("platform"):
        return candidates[0]
    wanted = Platform.parse(platform or DEFAULT_PLATFORM)
    ranked: list[tuple[int, int, Mapping[str, Any]]] = []
    for order, descriptor in enumerate(candidates):
        offered = Platform.from_descriptor(descriptor.get("platform"))
        rank = 2 if offered is None else wanted.rank(offered)
        if rank is not None:
            ranked.append((rank, order, descriptor))
    if ranked:
        return min(ranked, key=lambda item: (item[0], item[1]))[2]
    if platform is None and len(candidates) == 1:
        return candidates[0]
    available = ", ".join(sorted({str(p) for d in candidates
                                  if (p := Platform.from_descriptor(d.get("platform")))}))
    raise ImageError(f"{what}: no image for platform {wanted} (available: {available})")


MAX_INDEX_DEPTH = 4


def resolve_index(index: Mapping[str, Any], read_blob: Callable[[str, str], bytes], what: str,
                  tag: str | None, platform: str | None) -> tuple[str, ImageConfig,
                                                                  list[Mapping[str, Any]]]:
    """From an OCI index (index.json) to the image: (manifest digest, configuration, layer
    descriptors), following nested indexes. `read_blob(digest, what)` returns a blob whose
    digest it has checked."""
    for _depth in range(MAX_INDEX_DEPTH):
        descriptor = select_from_index(index, platform, what, tag)
        tag = None
        digest = str(descriptor.get("digest") or "")
        document = load_json(read_blob(digest, "manifest"), f"{what}: manifest {digest[:19]}")
        if document.get("mediaType") in INDEX_TYPES or "manifests" in document:
            index = document
            continue
        config_digest = str((document.get("config") or {}).get("digest") or "")
        config = parse_config(load_json(read_blob(config_digest, "configuration"), what))
        return digest, config, list(document.get("layers") or [])
    raise ImageError(f"{what}: image indexes nested too deeply")


def parse_config(data: Mapping[str, Any]) -> ImageConfig:
    config = data.get("config") or {}
    history = tuple(h for h in data.get("history") or [] if isinstance(h, Mapping))
    return ImageConfig(
        user=str(config.get("User") or ""),
        env=tuple(str(e) for e in config.get("Env") or []),
        exposed_ports=tuple(sorted(str(p) for p in (config.get("ExposedPorts") or {}))),
        os=str(data.get("os") or ""),
        architecture=str(data.get("architecture") or ""),
        variant=str(data.get("variant") or ""),
        history=history,
        raw=data,
    )


def layer_infos(config: ImageConfig, descriptors: Sequence[Mapping[str, Any]]) -> tuple[
        LayerInfo, ...]:
    """Layers in order, each with the `created_by` of its history entry (history entries with
    `empty_layer` make no layer)."""
    created = [str(h.get("created_by") or "") for h in config.history if not h.get("empty_layer")]
    if len(created) != len(descriptors):
        created = [""] * len(descriptors)  # history that does not line up says nothing
    return tuple(
        LayerInfo(index=i, digest=str(d.get("digest") or ""),
                  media_type=str(d.get("mediaType") or ""),
                  size=int(d["size"]) if isinstance(d.get("size"), int) else None,
                  created_by=created[i] or None)
        for i, d in enumerate(descriptors)
    )


def diff_ids(config: ImageConfig) -> list[str]:
    rootfs = config.raw.get("rootfs") or {}
    return [str(d) for d in rootfs.get("diff_ids") or []]
