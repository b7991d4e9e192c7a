"""hullscan's own Dockerfile rules: their definitions, and what a rule check produces."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from hullscan.containers.images import MUTABLE_IMAGE, UNPINNED_IMAGE, UNTRUSTED_REGISTRY

# the container concepts this checker reports too, defined where every checker takes them from
from hullscan.containers.rules import PRIVILEGED as PRIVILEGED
from hullscan.containers.rules import ROOT_USER as ROOT_USER
from hullscan.containers.rules import SECRET_IN_IMAGE as SECRET_IN_IMAGE
from hullscan.core.catalog import make_rule
from hullscan.core.model import Rule, Severity
from hullscan.dockerfile.parser import Dockerfile, Heredoc, Instruction, Stage

SECRET_FILE_COPIED = make_rule(
    "HS111", "secret-file-copied", "Credential file copied into the image",
    "COPY or ADD puts a file that usually holds credentials (private keys, .env, .npmrc, "
    ".pypirc, .netrc, cloud credentials, ...) into an image layer, by naming it or by copying "
    "a build context or folder that holds it and that .dockerignore does not exclude. "
    "Deleting it in a later layer does not remove it from the image.",
    "Do not copy the file. Use `RUN --mount=type=secret` or `--mount=type=ssh` for build-time "
    "access, and list such files in .dockerignore.",
    Severity.HIGH, ("secrets", "CWE-538"),
)
CONTEXT_WITHOUT_DOCKERIGNORE = make_rule(
    "HS112", "context-copied-without-dockerignore",
    "Whole build context copied without .dockerignore",
    "`COPY .` or `ADD .` copies the entire build context, and there is no .dockerignore beside "
    "the Dockerfile, so local secrets (.env, keys, .git) can end up in the image.",
    "Add a .dockerignore that excludes .git, .env*, keys and build output, or copy only the "
    "files the image needs.",
    Severity.LOW, ("secrets",),
)
REMOTE_ADD = make_rule(
    "HS120", "add-from-remote-url", "ADD fetches a remote URL without a checksum",
    "ADD downloads from a URL at build time without `--checksum`: the content is not verified, "
    "and a changed or compromised server changes the image.",
    "Download with a pinned checksum (`ADD --checksum=sha256:<digest> <url> <dest>`), or fetch "
    "in a RUN step that verifies a checksum or signature.",
    Severity.MEDIUM, ("supply-chain", "CWE-494"),
)
CURL_PIPE_SHELL = make_rule(
    "HS121", "remote-script-piped-to-shell", "Remote script piped into a shell",
    "A RUN step downloads a script and executes it directly (`curl ... | sh`). Whatever the "
    "server returns at build time runs with the build's privileges, unreviewed and unverified.",
    "Download to a file, verify its checksum or signature, then run it; or install from a "
    "package manager with pinned versions.",
    Severity.HIGH, ("supply-chain", "CWE-494"),
)
TLS_DISABLED = make_rule(
    "HS122", "tls-verification-disabled", "TLS certificate verification disabled",
    "A download or package manager runs with certificate verification turned off (`curl -k`, "
    "`wget --no-check-certificate`, `pip --trusted-host`, `NODE_TLS_REJECT_UNAUTHORIZED=0`, "
    "...), so anyone on the network path can substitute what is installed.",
    "Remove the option; install the needed CA certificate into the image instead.",
    Severity.MEDIUM, ("supply-chain", "CWE-295"),
)
WORLD_WRITABLE = make_rule(
    "HS130", "world-writable-permissions", "World-writable permissions",
    "`chmod 777`, `a+w` or `o+w` makes files or folders writable by every user in the "
    "container, so any process can replace code or configuration that others run.",
    "Give ownership to the user that needs write access (`COPY --chown=app ...`, `chown`) "
    "and use modes such as 755/644.",
    Severity.MEDIUM, ("CWE-732",),
)
SUDO = make_rule(
    "HS131", "sudo-in-image", "sudo used or installed",
    "sudo in a Dockerfile either runs needlessly (build steps already run as the current USER) "
    "or is installed so that the runtime user can become root again, which defeats running "
    "as non-root.",
    "Run privileged steps before switching USER, drop the sudo package, and use gosu or "
    "su-exec only in an entrypoint that drops privileges.",
    Severity.HIGH, ("CWE-250",),
)
SSH_SERVER = make_rule(
    "HS133", "ssh-server-in-image", "SSH server installed or port 22 exposed",
    "The image installs an SSH server or exposes port 22. Remote shells in containers add an "
    "authenticated network service with keys or passwords to manage, and bypass the "
    "orchestrator's access control and audit (`kubectl exec`, `docker exec`).",
    "Remove the SSH server and the EXPOSE 22; use `docker exec`/`kubectl exec` for debugging.",
    Severity.MEDIUM, ("CWE-284",),
)
NO_HEALTHCHECK = make_rule(
    "HS134", "healthcheck-missing", "The final stage has no HEALTHCHECK",
    "Neither the final stage nor a stage it is built FROM has a HEALTHCHECK instruction, so "
    "Docker and Compose cannot tell a hung or broken container from a healthy one and keep "
    "sending it traffic (unless the base image defines a health check). This is hygiene, not "
    "a vulnerability. hullscan's counterpart of checkov's CKV_DOCKER_2 and trivy's DS026.",
    "Add `HEALTHCHECK CMD <a command that fails when the service is unhealthy>` to the final "
    "stage, or `HEALTHCHECK NONE` to say the image deliberately has none (an orchestrator's "
    "probes check it instead).",
    Severity.LOW, ("hygiene",),
)

ALL_RULES: tuple[Rule, ...] = (
    ROOT_USER, UNPINNED_IMAGE, MUTABLE_IMAGE, UNTRUSTED_REGISTRY, SECRET_IN_IMAGE,
    SECRET_FILE_COPIED, CONTEXT_WITHOUT_DOCKERIGNORE, REMOTE_ADD, CURL_PIPE_SHELL, TLS_DISABLED,
    WORLD_WRITABLE, SUDO, PRIVILEGED, SSH_SERVER, NO_HEALTHCHECK,
)

# hadolint rules that one of ours covers with more context: dropped on the same line.
SUPERSEDES: dict[str, str] = {
    "DL3002": ROOT_USER.id,
    "DL3004": SUDO.id,
    "DL3006": MUTABLE_IMAGE.id,
    "DL3007": MUTABLE_IMAGE.id,
    "DL3064": SECRET_IN_IMAGE.id,
}



@dataclass(frozen=True)
class Hit:
    """One own-rule finding before it becomes a model Finding."""

    rule: Rule
    line: int
    end_line: int
    message: str
    fingerprint_basis: str | None = None


@dataclass(frozen=True)
class RuleContext:
    path: Path  # the Dockerfile on disk
    trusted_registries: tuple[str, ...] | None
    # the repository root: with it, the files a `COPY .` sends are listed (never outside it)
    root: Path | None = None
    # (line, message) notes for the user: what could not be fully checked
    notes: list[tuple[int, str]] = field(default_factory=list, compare=False)



def hit(rule: Rule, ins: Instruction, message: str, basis: str | None = None) -> Hit:
    return Hit(rule, ins.start_line, ins.end_line, message, basis)


# --- helpers several rule families use --------------------------------------------------


def split_words(text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


def assignments(ins: Instruction) -> list[tuple[str, str | None]]:
    """NAME=value pairs of ENV/ARG/LABEL (and ENV's legacy `ENV NAME value` form)."""
    words = split_words(ins.args)
    if not words:
        return []
    if ins.keyword == "ENV" and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    pairs: list[tuple[str, str | None]] = []
    for word in words:
        if "=" in word:
            name, value = word.split("=", 1)
            pairs.append((name, value))
        elif ins.keyword == "ARG":
            pairs.append((word, None))
    return pairs

def stage_env(dockerfile: Dockerfile, stage: Stage) -> dict[str, str | None]:
    env: dict[str, str | None] = dict(dockerfile.global_args)
    for ins in dockerfile.stage_instructions(stage.index):
        if ins.keyword in ("ARG", "ENV"):
            for name, value in assignments(ins):
                # `ARG NAME` without a value in a stage takes the global ARG's default.
                env[name] = env.get(name) if value is None and ins.keyword == "ARG" else value
    return env

def stage_chain(dockerfile: Dockerfile) -> list[Stage]:
    """The final stage, then the stage it is built FROM, and so on (loops cut)."""
    chain: list[Stage] = []
    seen: set[int] = set()
    stage = dockerfile.final_stage
    while stage is not None and stage.index not in seen:
        seen.add(stage.index)
        chain.append(stage)
        stage = dockerfile.stages[stage.from_stage] if stage.from_stage is not None else None
    return chain


def final_from(dockerfile: Dockerfile) -> Instruction | None:
    """The FROM instruction that opens the final stage (where final-stage rules report)."""
    final = dockerfile.final_stage
    if final is None:
        return None
    return next((i for i in dockerfile.stage_instructions(final.index) if i.keyword == "FROM"),
                None)


_SCRIPT_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})


def shell_heredoc(ins: Instruction) -> Heredoc | None:
    """The heredoc whose body BuildKit runs as a shell script: `RUN <<EOF` (the default shell),
    `RUN <<EOF bash`, `RUN bash <<EOF` / `RUN sh -e <<EOF`. The body of `RUN python3 <<EOF` is
    a program's stdin, of `RUN cat <<EOF > f` a file's content, and the bodies of `RUN <<A <<B`
    or `RUN <<A cat > a && <<B cat > b` are stdin too: not shell."""
    if ins.keyword != "RUN" or len(ins.heredocs) != 1 or ins.exec_form() is not None:
        return None
    before, _, after = ins.args.partition("<<")
    head = before.split()
    if not head:
        head = after.split()[1:]  # the words after the marker: `<<EOF bash -e`
        if not head:
            return ins.heredocs[0]
    if head[0].rsplit("/", 1)[-1] in _SCRIPT_SHELLS and all(w.startswith("-") for w in head[1:]):
        return ins.heredocs[0]
    return None
