"""Container concepts every file kind can express (a Dockerfile, a Compose file, a Kubernetes
manifest, a built image): one rule id each, reported by whichever checker finds the problem."""

from __future__ import annotations

from hullscan.core.catalog import make_rule
from hullscan.core.model import Severity

ROOT_USER = make_rule(
    "HS100", "container-runs-as-root", "The final stage runs as root",
    "The image's final stage has no USER instruction, or its last USER is root or uid 0, so "
    "the container's processes run as root. A process escaping the application, or a "
    "container breakout, then starts with full privileges inside the container and often on "
    "the host's kernel.",
    "Create an unprivileged user and switch to it at the end of the final stage, e.g. "
    "`RUN useradd --uid 10001 --no-create-home app` then `USER 10001`.",
    Severity.HIGH, ("CWE-250",),
)
SECRET_IN_IMAGE = make_rule(
    "HS110", "secret-in-image-config", "Secret written into the image",
    "A secret is set as a literal value in an instruction (ENV, ARG, LABEL, RUN, ...). Values of "
    "ENV and ARG, and every instruction's text, stay in the image's layers and history: anyone "
    "who can pull the image can read them.",
    "Remove the value and rotate the secret. Pass secrets at build time with BuildKit secret "
    "mounts (`RUN --mount=type=secret,id=token ...`) and at run time from the orchestrator's "
    "secret store.",
    Severity.HIGH, ("secrets", "CWE-798"),
)
PRIVILEGED = make_rule(
    "HS132", "privileged-build-or-run", "Privileged mode requested",
    "`RUN --security=insecure` runs a build step without the sandbox (like a privileged "
    "container), and `--privileged` in a command starts a container with every capability "
    "and the host's devices.",
    "Remove the flag; grant only the specific capability or device the step needs.",
    Severity.HIGH, ("CWE-250",),
)
