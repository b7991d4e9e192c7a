"""Image references in any file kind (Dockerfile FROM, Compose `image:`, Kubernetes
containers, workflow `container:`): one implementation of the image-trust rules, one rule id per
concept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hullscan.core.catalog import make_rule
from hullscan.core.imageref import ImageRef, parse_image_ref, registry_matches
from hullscan.core.model import Rule, Severity

UNPINNED_IMAGE = make_rule(
    "HS101", "image-not-pinned-by-digest", "Image not pinned by digest",
    "The image is referenced by tag only. A tag is a movable pointer: the registry (or anyone "
    "who controls it) can point it at different content, so builds are not reproducible and a "
    "compromised or changed upstream image enters silently.",
    "Append the image's digest: `FROM name:tag@sha256:<digest>` (find it with "
    "`docker buildx imagetools inspect name:tag` or `crane digest name:tag`), and let a bot "
    "such as Renovate or Dependabot update it.",
    Severity.MEDIUM, ("supply-chain",),
)
MUTABLE_IMAGE = make_rule(
    "HS102", "image-latest-or-untagged", "Image uses `latest` or no tag",
    "The image is referenced without a tag or with `latest`, and without a digest: every build "
    "may get a different image, including a new major version, with no review.",
    "Pin an explicit version and its digest: `FROM name:1.2.3@sha256:<digest>`.",
    Severity.HIGH, ("supply-chain",),
)
UNTRUSTED_REGISTRY = make_rule(
    "HS103", "image-from-untrusted-registry", "Image from a registry outside trusted_registries",
    "The image comes from a registry that is not in the `trusted_registries` list of "
    ".hullscan.yaml. Images from unvetted registries bypass the organisation's scanning and "
    "provenance controls.",
    "Use an image from a trusted registry (mirror it there first), or add the registry to "
    "`trusted_registries` after review.",
    Severity.HIGH, ("supply-chain",),
)


@dataclass(frozen=True)
class ImageIssue:
    rule: Rule
    message: str
    image: str  # the reference as written (for fingerprints: identity, not line)


def image_issues(
    text: str, trusted_registries: Sequence[str] | None, what: str = "Image"
) -> list[ImageIssue]:
    """Problems with one image reference: not pinned by digest, `latest`/untagged, or from a
    registry outside `trusted_registries` (checked only when the list is set)."""
    ref = parse_image_ref(text)
    if ref is None:
        return []
    name = ref.original
    issues: list[ImageIssue] = []
    if not ref.pinned:
        if ref.tag is None or ref.tag == "latest":
            tag = "the `latest` tag" if ref.tag else "no tag (implicitly `latest`)"
            issues.append(ImageIssue(
                MUTABLE_IMAGE,
                f"{what} {name} uses {tag} and no digest; pin a version and its digest "
                f"({pin_hint(ref)})",
                name,
            ))
        else:
            issues.append(ImageIssue(
                UNPINNED_IMAGE, f"{what} {name} is not pinned by digest; use {pin_hint(ref)}", name
            ))
    if trusted_registries is not None and not registry_matches(ref, trusted_registries):
        allowed = ", ".join(trusted_registries) or "(none)"
        issues.append(ImageIssue(
            UNTRUSTED_REGISTRY,
            f"{what} {name} comes from {ref.registry}, which is not in trusted_registries "
            f"({allowed})",
            name,
        ))
    return issues


def pin_hint(ref: ImageRef) -> str:
    base = ref.original.split("@", 1)[0]
    if ref.tag is None:
        base = f"{base}:<version>"
    elif ref.tag == "latest":
        base = base[: -len("latest")] + "<version>"
    return f"{base}@sha256:<digest>"
