"""hullscan's rules for what an image itself holds (its configuration and its layers)."""

from __future__ import annotations

from hullscan.core.catalog import make_rule
from hullscan.core.model import Severity

IMAGE_ROOT = make_rule(
    "HS300", "image-runs-as-root", "The image runs as root",
    "The image configuration sets no user, or user root/0: its containers run as root unless "
    "the runtime overrides it, so an escape from the process lands as root on the host's "
    "kernel.",
    "Add a USER instruction with a non-root numeric UID to the final stage.",
    Severity.HIGH, ("CWE-250",),
)
IMAGE_ENV_SECRET = make_rule(
    "HS301", "image-env-secret", "A secret is set in the image's environment",
    "The image configuration's Env holds a credential. Everyone who can pull the image can "
    "read it (docker inspect), and every container inherits it.",
    "Remove it from ENV; pass secrets at run time (orchestrator secrets, mounted files) or use "
    "build secrets (RUN --mount=type=secret) for build-time needs. Rotate the exposed value.",
    Severity.HIGH, ("CWE-798", "secrets"),
)
IMAGE_SSH_PORT = make_rule(
    "HS302", "image-exposes-ssh", "The image exposes the SSH port",
    "The image configuration exposes port 22: an SSH server in a container widens the attack "
    "surface and bypasses the orchestrator's access controls.",
    "Remove the SSH server and EXPOSE 22; use `docker exec` / `kubectl exec` for access.",
    Severity.MEDIUM, ("CWE-284",),
)
IMAGE_KEY_FILE = make_rule(
    "HS303", "image-ships-credentials", "A key or credential file is in an image layer",
    "A private key or credentials file is stored in a layer. Deleting it in a later layer "
    "does not help: the layer that added it is still part of the image and anyone who pulls "
    "the image can extract it.",
    "Do not copy credentials into the build context or image; use build secrets "
    "(RUN --mount=type=secret) and .dockerignore. Rotate the exposed key.",
    Severity.CRITICAL, ("CWE-312", "secrets"),
)
ALL_RULES = (IMAGE_ROOT, IMAGE_ENV_SECRET, IMAGE_SSH_PORT, IMAGE_KEY_FILE)
