"""Image manifests, indexes and configurations (OCI and Docker's), as every source reads them."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from hullscan.image.model import ImageConfig, ImageError, LayerInfo

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
REF_NAME = "org.opencontainers.image.ref.name"
MAX_JSON = 8 * 1024 * 1024
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


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


def parse_platform(text: str | None) -> tuple[str, str, str]:
    if not text:
        return ("linux", "amd64", "")
    parts = text.strip().split("/")
    if len(parts) < 2 or not all(parts[:2]):
        raise ImageError(f"--platform {text!r}: expected OS/ARCH[/VARIANT], e.g. linux/arm64")
    return (parts[0], parts[1], parts[2] if len(parts) > 2 else "")


def _is_attestation(descriptor: Mapping[str, Any]) -> bool:
    annotations = descriptor.get("annotations") or {}
    platform = descriptor.get("platform") or {}
    return (annotations.get("vnd.docker.reference.type") == "attestation-manifest"
            or (platform.get("os") == "unknown" and platform.get("architecture") == "unknown"))


def describe_platform(platform: Mapping[str, Any]) -> str:
    text = f"{platform.get('os', '?')}/{platform.get('architecture', '?')}"
    return text + (f"/{platform['variant']}" if platform.get("variant") else "")


def select_from_index(index: Mapping[str, Any], platform: str | None, what: str,
                      tag: str | None = None) -> Mapping[str, Any]:
    """The descriptor of an index that matches the platform (and the tag's ref.name
    annotation, when given); attestation manifests are skipped."""
    manifests = [m for m in index.get("manifests") or [] if isinstance(m, Mapping)]
    if tag:
        named = [m for m in manifests if (m.get("annotations") or {}).get(REF_NAME) == tag]
        if not named:
            tags = sorted({str((m.get("annotations") or {}).get(REF_NAME)) for m in manifests
                           if (m.get("annotations") or {}).get(REF_NAME)})
            raise ImageError(f"{what}: no image tagged {tag!r}"
                             + (f" (tags: {', '.join(tags)})" if tags else ""))
        manifests = named
    candidates = [m for m in manifests if not _is_attestation(m)]
    if not candidates:
        raise ImageError(f"{what}: the index lists no image manifest")
    if len(candidates) == 1 and not candidates[0].get("platform"):
        return candidates[0]
    os_name, arch, variant = parse_platform(platform)
    matching = []
    for descriptor in candidates:
        plat = descriptor.get("platform") or {}
        if plat.get("os") != os_name or plat.get("architecture") != arch:
            continue
        if variant and plat.get("variant") and plat.get("variant") != variant:
            continue
        matching.append(descriptor)
    if not matching:
        if platform is None and len(candidates) == 1:
            return candidates[0]
        available = ", ".join(sorted({describe_platform(d.get("platform") or {})
                                      for d in candidates}))
        wanted = f"{os_name}/{arch}" + (f"/{variant}" if variant else "")
        raise ImageError(f"{what}: no image for platform {wanted} (available: {available})")
    # prefer an exact variant match (arm64 + v8), then the first
    exact = [d for d in matching if (d.get("platform") or {}).get("variant", "") == variant]
    return (exact or matching)[0]


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
