"""hullscan's own container rules for Dockerfiles: what hadolint does not check or ranks too low.

Rule ids name a concept, not a file kind (an unpinned image is HS101 wherever it is written), so
later checkers for Compose, Kubernetes and workflows reuse the same rules.
"""

from __future__ import annotations

import os
import posixpath
import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hullscan.catalog import make_rule
from hullscan.dockerfile.context import (
    BuildContext,
    compose_context,
    contains,
    ignore_files,
    is_glob,
    load_context,
    looks_private,
    read_dockerignore,
)
from hullscan.dockerfile.parser import Dockerfile, Heredoc, Instruction, Stage, substitute
from hullscan.imageref import parse_image_ref
from hullscan.images import MUTABLE_IMAGE, UNPINNED_IMAGE, UNTRUSTED_REGISTRY, image_issues
from hullscan.model import Rule, Severity
from hullscan.redact import is_placeholder, is_secret_name, mask, token_kind

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
PRIVILEGED = make_rule(
    "HS132", "privileged-build-or-run", "Privileged mode requested",
    "`RUN --security=insecure` runs a build step without the sandbox (like a privileged "
    "container), and `--privileged` in a command starts a container with every capability "
    "and the host's devices.",
    "Remove the flag; grant only the specific capability or device the step needs.",
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


def check(dockerfile: Dockerfile, context: RuleContext) -> list[Hit]:
    hits: list[Hit] = []
    build = _LazyContext(context)
    hits.extend(_root_user(dockerfile))
    hits.extend(_healthcheck(dockerfile))
    hits.extend(_images(dockerfile, context))
    for ins in dockerfile.instructions:
        hits.extend(_secrets(ins))
        if ins.keyword in ("COPY", "ADD"):
            hits.extend(_copies(ins, context, build, dockerfile))
        if ins.keyword in ("RUN", "CMD", "ENTRYPOINT"):
            hits.extend(_commands(ins))
        if ins.keyword == "EXPOSE":
            hits.extend(_expose(ins))
        if ins.keyword == "ENV":
            hits.extend(_env_tls(ins))
    return hits


def _hit(rule: Rule, ins: Instruction, message: str, basis: str | None = None) -> Hit:
    return Hit(rule, ins.start_line, ins.end_line, message, basis)


# --- user -----------------------------------------------------------------------------------

_ROOT_NAMES = frozenset({"root", "0"})


def _stage_env(dockerfile: Dockerfile, stage: Stage) -> dict[str, str | None]:
    env: dict[str, str | None] = dict(dockerfile.global_args)
    for ins in dockerfile.stage_instructions(stage.index):
        if ins.keyword in ("ARG", "ENV"):
            for name, value in _assignments(ins):
                # `ARG NAME` without a value in a stage takes the global ARG's default.
                env[name] = env.get(name) if value is None and ins.keyword == "ARG" else value
    return env


def _root_user(dockerfile: Dockerfile) -> Iterator[Hit]:
    final = dockerfile.final_stage
    if final is None:
        return
    stage: Stage | None = final
    origin = final  # the first stage of the FROM chain: its base image is the final image's
    seen: set[int] = set()
    while stage is not None and stage.index not in seen:
        seen.add(stage.index)
        origin = stage
        users = [i for i in dockerfile.stage_instructions(stage.index) if i.keyword == "USER"]
        if users:
            last = users[-1]
            value, resolved = substitute(last.args.strip(), _stage_env(dockerfile, stage))
            user = value.split(":", 1)[0].strip()
            if resolved and user.lower() in _ROOT_NAMES:
                yield _hit(
                    ROOT_USER, last,
                    f"The last USER of the final stage is {user!r}: the container runs as root",
                )
            return
        stage = (
            dockerfile.stages[stage.from_stage] if stage.from_stage is not None else None
        )
    base = origin.resolved_image or origin.image
    ref = parse_image_ref(base) if base else None
    if ref is not None and ref.tag and re.search(r"(^|[-_.])(nonroot|rootless)($|[-_.])", ref.tag):
        return  # e.g. distroless :nonroot images set a non-root user themselves
    from_line = next(
        (i for i in dockerfile.instructions if i.keyword == "FROM" and i.start_line == final.line),
        None,
    )
    if from_line is not None:
        yield _hit(
            ROOT_USER, from_line,
            "The final stage has no USER instruction: the container runs as root "
            "unless the base image sets another user",
        )


def _stage_chain(dockerfile: Dockerfile) -> list[Stage]:
    """The final stage, then the stage it is built FROM, and so on (loops cut)."""
    chain: list[Stage] = []
    seen: set[int] = set()
    stage = dockerfile.final_stage
    while stage is not None and stage.index not in seen:
        seen.add(stage.index)
        chain.append(stage)
        stage = dockerfile.stages[stage.from_stage] if stage.from_stage is not None else None
    return chain


def _healthcheck(dockerfile: Dockerfile) -> Iterator[Hit]:
    final = dockerfile.final_stage
    if final is None:
        return
    for stage in _stage_chain(dockerfile):
        # a HEALTHCHECK here or in a stage the final one is built FROM is inherited;
        # `HEALTHCHECK NONE` is an explicit choice: neither is reported
        if any(i.keyword == "HEALTHCHECK" for i in dockerfile.stage_instructions(stage.index)):
            return
    from_line = next(
        (i for i in dockerfile.stage_instructions(final.index) if i.keyword == "FROM"), None
    )
    if from_line is not None:
        yield _hit(
            NO_HEALTHCHECK, from_line,
            "The final stage has no HEALTHCHECK: a hung container looks healthy to Docker "
            "and Compose unless the base image defines one",
        )


# --- images ---------------------------------------------------------------------------------


def _images(dockerfile: Dockerfile, context: RuleContext) -> Iterator[Hit]:
    stage_names = {s.name for s in dockerfile.stages if s.name}
    by_line = {i.start_line: i for i in dockerfile.instructions}
    for stage in dockerfile.stages:
        ins = by_line.get(stage.line)
        if ins is None or stage.from_stage is not None or stage.resolved_image is None:
            continue
        yield from _image_hits(stage.resolved_image, ins, context, "Base image")
    for ins in dockerfile.instructions:
        sources: list[str] = []
        if ins.keyword in ("COPY", "ADD"):
            sources.append(ins.flag("from") or "")
        if ins.keyword == "RUN":
            for name, value in ins.flags:
                if name == "mount" and value:
                    m = re.search(r"(?:^|,)from=([^,]+)", value)
                    if m:
                        sources.append(m.group(1))
        for source in sources:
            if not source or source.lower() in stage_names or source.isdigit():
                continue
            env = _stage_env(dockerfile, dockerfile.stages[ins.stage]) if ins.stage >= 0 else {}
            value, resolved = substitute(source, env)
            if resolved:
                yield from _image_hits(value, ins, context, f"{ins.keyword} --from image")


def _image_hits(text: str, ins: Instruction, context: RuleContext, what: str) -> Iterator[Hit]:
    for issue in image_issues(text, context.trusted_registries, what):
        yield _hit(issue.rule, ins, issue.message, f"{ins.keyword} {issue.image}")


# --- secrets --------------------------------------------------------------------------------


def _split_words(text: str) -> list[str]:
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


def _assignments(ins: Instruction) -> list[tuple[str, str | None]]:
    """NAME=value pairs of ENV/ARG/LABEL (and ENV's legacy `ENV NAME value` form)."""
    words = _split_words(ins.args)
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


def _secrets(ins: Instruction) -> Iterator[Hit]:
    reported = False
    if ins.keyword in ("ENV", "ARG", "LABEL"):
        for name, value in _assignments(ins):
            if value is None:
                continue
            kind = token_kind(value)
            if kind is None and not (is_secret_name(name) and not is_placeholder(value)):
                continue
            what = kind or "secret"
            yield _hit(
                SECRET_IN_IMAGE, ins,
                f"{ins.keyword} {name} holds a literal {what} ({mask(value)}); it stays in the "
                "image's layers and history",
                f"{ins.keyword} {name}",
            )
            reported = True
    if reported:
        return
    head_end = ins.heredocs[0].start_line - 1 if ins.heredocs else ins.end_line
    # (text, first line, last line, shell: see _text_secret)
    segments: list[tuple[str, int, int, bool | None]] = [
        (ins.args, ins.start_line, max(ins.start_line, head_end), ins.keyword == "RUN")
    ]
    for heredoc in ins.heredocs:
        # every heredoc body is in the image: a script's text in its history, a file's in a
        # layer; each line is reported on its own line
        script = True if heredoc is _shell_heredoc(ins) else None
        for offset, body_line in enumerate(heredoc.content.split("\n")):
            number = heredoc.start_line + offset
            segments.append((body_line, number, number, script))
    for text, first, last, shell in segments:
        found = _text_secret(ins, text, shell)
        if found is not None:
            message, basis = found
            yield Hit(SECRET_IN_IMAGE, first, last, message, basis)


# `NAME=value` as a shell assignment or argument (`export API_TOKEN=...`, `"password=..."`):
# the name starts a word, so `--password-store=basic` is an option, not an assignment.
_SHELL_ASSIGNMENT = re.compile(
    r"(?<![\w.$/-])(?P<name>[A-Za-z_][A-Za-z0-9_]*)="
    r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s\"';&|)]+))"
)
# a configuration line of a file written by a heredoc: `password = x`, `token: x`, `KEY=x`
_CONFIG_ASSIGNMENT = re.compile(
    r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)\s*[:=]\s*"
    r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s\"']+))"
)
_NOT_LITERAL = re.compile(
    r"[$`({\[<%]"  # a variable, command substitution, template or expression
    r"|^[A-Z][A-Z0-9_]*$"  # the name of another variable
    r"|^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$"  # a dotted expression (os.environ, settings.KEY)
)


def _literal_secret(text: str, shell: bool) -> tuple[str, str] | None:
    """(name, value) of the first secret-named assignment of a literal value in `text`: shell
    assignments always, configuration lines (`password: x`) when `text` is not shell."""
    patterns = (_SHELL_ASSIGNMENT,) if shell else (_SHELL_ASSIGNMENT, _CONFIG_ASSIGNMENT)
    for pattern in patterns:
        for m in pattern.finditer(text):
            value = m.group("dq") if m.group("dq") is not None else (
                m.group("sq") if m.group("sq") is not None else m.group("bare") or "")
            name = m.group("name")
            if (is_secret_name(name) and len(value) >= 4 and not is_placeholder(value)
                    and not _NOT_LITERAL.search(value)):
                return name, value
    return None


def _text_secret(ins: Instruction, text: str, shell: bool | None) -> tuple[str, str] | None:
    """(message, fingerprint basis) for a secret in one piece of an instruction's text: a
    token recognised by its shape anywhere; for RUN commands and heredoc bodies (`shell`: True
    for a command, None for a body that is a file or a program's input) also a literal value
    assigned to a secret-named variable or key."""
    kind = token_kind(text)
    if kind is not None:
        return (
            f"{ins.keyword} contains a literal {kind}; instruction text stays in the image's "
            "history",
            f"{ins.keyword} {kind}",
        )
    if shell is False:
        return None
    found = _literal_secret(text, shell is True)
    if found is None:
        return None
    name, value = found
    return (
        f"{ins.keyword} sets {name} to a literal secret ({mask(value)}); instruction text and "
        "the files it writes stay in the image's layers and history",
        f"{ins.keyword} {name}",
    )


# Names of files that usually hold credentials. Not `.env.example`/`.sample`/`.template`/
# `.dist`/`.defaults` (or `example.env`): those are documentation, not secrets.
_NOT_SECRET_ENV = r"(example|sample|template|dist|defaults|tpl)"
_SECRET_FILE_NAMES = re.compile(
    r"^(id_(rsa|dsa|ecdsa|ed25519)(?![^/]*\.pub$)[^/.]*"
    rf"|\.env|\.env\.(?![^/]*\b{_NOT_SECRET_ENV}\b)[^/]+"
    rf"|(?!{_NOT_SECRET_ENV}\.)[^/]+\.env"
    r"|\.npmrc|\.pypirc|\.netrc|_netrc|\.git-credentials|\.dockercfg|\.htpasswd|\.pgpass"
    r"|\.my\.cnf|\.vault-token|\.s3cfg|\.boto|credentials\.tfrc\.json|kubeconfig|[^/]+\.kubeconfig"
    r"|credentials(\.json)?|[^/]*service[-_]?account[^/]*\.json|client_secrets?[^/]*\.json"
    r"|[^/]*firebase-adminsdk[^/]*\.json|([^/]*[-_])?key\.json|[^/]*[-_]credentials\.json"
    r"|.*\.(pem|key|p12|pfx|jks|keystore|ppk|kdbx|asc|gpg))$",
    re.IGNORECASE,
)
_SECRET_FILE_PATHS = re.compile(
    r"(^|/)(\.aws/credentials|\.aws/config|\.ssh(/|$)|\.docker/config\.json|\.kube/config"
    r"|\.gnupg(/|$)|\.config/gcloud(/|$)|\.azure(/|$)|\.config/gh/hosts\.ya?ml)",
    re.IGNORECASE,
)
# key-named files that may well be public (certificates, public keys, apt keyrings): a file of
# the build context named so is reported only when its content does not show it is public
_MAYBE_PUBLIC = re.compile(r"\.(pem|key|asc|gpg)$", re.IGNORECASE)
# configuration files that hold credentials only sometimes: reported when their content has one
# (an .npmrc of `package-lock=false` is settings; one with `_authToken=` is a credential)
_CREDENTIAL_CONTENT: dict[str, re.Pattern[bytes]] = {
    ".npmrc": re.compile(rb"_auth|_password", re.IGNORECASE),
    ".pypirc": re.compile(rb"(?im)^\s*password\s*[=:]"),
    ".yarnrc.yml": re.compile(rb"npmAuthToken|npmAuthIdent", re.IGNORECASE),
}


def _credential_name(path: str) -> bool:
    """Whether a path (a COPY source, a file of the build context) is named like a credential
    file; a wildcard source counts when what it names does (`.env*`, `*.pem`)."""
    clean = path.rstrip("/")
    base = clean.rsplit("/", 1)[-1]
    bases = {base, base.replace("*", "")} if "*" in base else {base}
    return any(_SECRET_FILE_NAMES.match(b) for b in bases if b) or bool(
        _SECRET_FILE_PATHS.search(clean))


def _sources(ins: Instruction) -> list[str]:
    if ins.heredocs:
        return []
    words = ins.exec_form()
    if words is None:
        words = _split_words(ins.args)
    return words[:-1] if len(words) > 1 else []


def _context_path(source: str) -> str | None:
    """A COPY/ADD source as a path in the build context (`./a/` is `a`, `/a` is `a`), or None
    for a URL, a variable or a path leaving the context."""
    if "$" in source or re.match(r"^[a-z][a-z0-9+.-]*://|^git@", source, re.IGNORECASE):
        return None
    clean = posixpath.normpath(source).lstrip("/") or "."
    if clean == ".." or clean.startswith("../"):
        return None
    return clean


class _LazyContext:
    """The Dockerfile's build context: its folder (a Compose service's `build.context` when one
    builds this Dockerfile from elsewhere, else the Dockerfile's folder), listed the first time
    a COPY needs it."""

    def __init__(self, context: RuleContext) -> None:
        self._context = context
        self._loaded = False
        self._value: BuildContext | None = None
        self._folder: Path | None = None
        self.compose: Path | None = None  # the Compose file that named the context
        self.noted = False
        self._shipping: tuple[set[int], dict[int, list[str]]] | None = None
        self._credentials: list[str] | None = None
        self._covered: dict[str, list[str]] = {}

    def shipping(self, dockerfile: Dockerfile) -> tuple[set[int], dict[int, list[str]]]:
        """The stages the final image is built FROM (the final one included), and for every
        other stage the COPY --from sources the final image takes from it (computed once per
        Dockerfile)."""
        if self._shipping is None:
            chain = _stage_chain(dockerfile)
            by_name = {s.name: s.index for s in dockerfile.stages if s.name}
            taken: dict[int, list[str]] = {}
            for link in chain:
                for other in dockerfile.stage_instructions(link.index):
                    source = (other.flag("from") or "").lower() if other.keyword in (
                        "COPY", "ADD") else ""
                    index = int(source) if source.isdigit() else by_name.get(source)
                    if index is not None:
                        taken.setdefault(index, []).extend(_sources(other))
            self._shipping = ({s.index for s in chain}, taken)
        return self._shipping

    def folder(self) -> Path:
        if self._folder is None:
            root = self._context.root
            found = compose_context(self._context.path, root) if root is not None else None
            self._folder, self.compose = found if found else (self._context.path.parent, None)
        return self._folder

    def get(self) -> BuildContext | None:
        if not self._loaded:
            self._loaded = True
            if self._context.root is not None:
                self._value = load_context(self._context.path, self._context.root,
                                           folder=self.folder())
        return self._value

    def credentials(self) -> list[str] | None:
        """The credential files of the listed context (once per Dockerfile), None unlisted."""
        listing = self.get()
        if listing is None:
            return None
        if self._credentials is None:
            self._credentials = [f for f in listing.files if _credential_file(f, self)]
        return self._credentials

    def covered(self, listing: BuildContext, source: str, credentials: list[str]) -> list[str]:
        """The credential files a source copies (once per source and Dockerfile)."""
        if source not in self._covered:
            self._covered[source] = listing.covered_by(source, credentials)
        return self._covered[source]

    def where(self) -> str:
        """How a message names the place of the ignore file."""
        name = self._context.path.name
        root = self._context.root
        if self.compose is None or root is None:
            return f"beside {name}"
        top = os.path.realpath(root)
        folder = os.path.relpath(self.folder(), top).replace(os.sep, "/")
        compose = os.path.relpath(os.path.realpath(self.compose), top).replace(os.sep, "/")
        return f"in its build context {folder}/ ({compose}'s build.context)"

    def regular_file(self, rel: str) -> Path | None:
        """The context's file `rel` when it is a regular file inside the repository."""
        root = self._context.root
        if root is None:
            return None
        path = self.folder() / rel
        try:
            if path.is_symlink() or not path.is_file():
                return None
        except OSError:
            return None
        real, top = os.path.realpath(path), os.path.realpath(root)
        return path if real.startswith(top.rstrip(os.sep) + os.sep) else None

    def is_folder(self, rel: str) -> bool:
        if rel == ".":
            return True
        path = self.folder() / rel
        try:
            return path.is_dir() and not path.is_symlink()
        except OSError:
            return False


def _credential_file(rel: str, build: _LazyContext) -> bool:
    """Whether the context's `rel` is a credential file: by its name, and for names that are
    often public or plain settings by its content when it is there to read."""
    if not _credential_name(rel):
        return False
    local = build.regular_file(rel)
    if local is None:
        return True
    base = rel.rsplit("/", 1)[-1].lower()
    if _MAYBE_PUBLIC.search(base):
        return looks_private(local)
    needed = _CREDENTIAL_CONTENT.get(base)
    return needed is None or contains(local, needed)


def _destination(ins: Instruction) -> str:
    words = ins.exec_form()
    if words is None:
        words = _split_words(ins.args)
    return words[-1] if len(words) > 1 else "."


def _workdir(dockerfile: Dockerfile, ins: Instruction) -> str | None:
    """The absolute WORKDIR in effect at `ins` (None when a variable makes it unknown)."""
    folder = "/"
    for other in dockerfile.stage_instructions(ins.stage):
        if other.start_line >= ins.start_line:
            break
        if other.keyword == "WORKDIR":
            folder = posixpath.join(folder, other.args.strip())
    return None if "$" in folder else posixpath.normpath(folder)


def _shipped(
    dockerfile: Dockerfile, ins: Instruction, build: _LazyContext
) -> Callable[[str, str], bool] | None:
    """For a COPY of the build context: whether a context file (given the source that copies
    it) reaches the final image (None: every one does). Always in the final stage and the
    stages it is built FROM; in another stage only when the final image copies it from there
    (`COPY --from=build /app .`): a builder stage's `COPY . .` whose final stage takes only a
    binary ships no `.env`."""
    chain, taken_from = build.shipping(dockerfile)
    if ins.stage < 0 or ins.stage in chain:
        return None
    taken = taken_from.get(ins.stage, [])
    workdir = _workdir(dockerfile, ins)
    destination = _destination(ins)
    if workdir is None or "$" in destination:
        return lambda rel, source: bool(taken)
    target = posixpath.normpath(posixpath.join(workdir, destination))

    def ships(rel: str, source: str) -> bool:
        inner = rel if source == "." else rel.removeprefix(source.rstrip("/") + "/")
        path = posixpath.join(target, inner)
        for taken_source in taken:
            if "$" in taken_source or is_glob(taken_source):
                return True
            start = posixpath.normpath(posixpath.join("/", taken_source))
            if start == "/" or path == start or path.startswith(start + "/"):
                return True
        return False

    return ships


def _copies(
    ins: Instruction, context: RuleContext, build: _LazyContext, dockerfile: Dockerfile
) -> Iterator[Hit]:
    sources = _sources(ins)
    from_context = ins.flag("from") is None
    listed: list[str] = []  # sources that copy a folder or a wildcard of the build context
    for source in sources:
        rel = _context_path(source) if from_context else None
        glob = rel is not None and is_glob(rel)
        # a wildcard (`certs/*.pem`) is judged by what it matches when the context is listed
        if _credential_name(source) and (
            rel is None or (build.get() is None if glob else _credential_file(rel, build))
        ):
            yield _hit(
                SECRET_FILE_COPIED, ins,
                f"{ins.keyword} copies {source!r}, a file that usually holds credentials, into "
                "the image",
            )
        elif rel is not None and (glob or build.is_folder(rel)):
            listed.append(rel)
        remote = ins.keyword == "ADD" and re.match(r"^(https?|ftp)://|^git@", source)
        if remote and ins.flag("checksum") is None:
            yield _hit(
                REMOTE_ADD, ins,
                f"ADD downloads {_url_host(source)} without --checksum; the content is "
                "not verified",
            )
    whole = from_context and "." in listed
    reported = False
    listing = build.get() if listed else None
    credentials = build.credentials() if listed else None
    if listing is not None and credentials is not None:
        ships = _shipped(dockerfile, ins, build)
        if ships is None and len(listed) == 1:
            found = build.covered(listing, listed[0], credentials)  # the usual `COPY . .`
        else:
            found, seen = [], set()
            for rel in listed:
                for name in build.covered(listing, rel, credentials):
                    if name not in seen and (ships is None or ships(name, rel)):
                        seen.add(name)
                        found.append(name)
        if listing.truncated and not build.noted:
            build.noted = True
            context.notes.append((
                ins.start_line,
                f"the build context of {context.path.name} has more than {listing.limit} files "
                f"and folders: only the first {listing.limit} were checked for credential "
                f"files that {ins.keyword} copies",
            ))
        excludes = [value for name, value in ins.flags if name == "exclude" and value]
        if excludes:
            # BuildKit's `COPY --exclude=PATTERN`: Docker's pattern rules, like .dockerignore
            skip = read_dockerignore("\n".join(excludes))
            found = [name for name in found if not skip.excluded(name)]
        if found:
            reported = True
            # quoted, as the named-file message quotes its source: the image checker's
            # finding on the same file yields to this one (policy's one problem, one finding)
            shown = ", ".join(f"'{_printable(name)}'" for name in found[:5]) + (
                f" and {len(found) - 5} more" if len(found) > 5 else "")
            reason = (
                f"{listing.ignore_file.name} does not exclude them" if listing.ignore_file
                else f"there is no .dockerignore {build.where()}"
            )
            yield _hit(
                SECRET_FILE_COPIED, ins,
                f"{ins.keyword} {' '.join(listed)} copies {shown} from the build context into "
                f"the image; {reason}",
            )
    if whole and not reported and not any(
        f.is_file() for f in ignore_files(context.path, build.folder())
    ):
        yield _hit(
            CONTEXT_WITHOUT_DOCKERIGNORE, ins,
            f"{ins.keyword} . copies the whole build context and there is no .dockerignore "
            f"{build.where()}",
        )


def _printable(name: str) -> str:
    """A file name for a message: control characters and quotes replaced, at most 120
    characters."""
    clean = "".join(ch if ch.isprintable() and ch != "'" else "?" for ch in name)
    return clean if len(clean) <= 120 else clean[:117] + "..."


def _url_host(url: str) -> str:
    m = re.match(r"^[a-z]+://(?:[^@/]*@)?([^/]+)", url)
    return f"from {m.group(1)}" if m else "a remote source"


# --- commands -------------------------------------------------------------------------------

# Command text is checked one pipeline / one simple command at a time, with patterns that never
# scan an unbounded span per match attempt: a hostile 1 MB RUN line stays linear.
_PIPELINE_SPLIT = re.compile(r"&&|\|\||[;\n&]")
_DOWNLOAD = re.compile(r"\b(curl|wget|fetch)\b")
_INTERPRETER_HEAD = re.compile(
    r"\s*(sudo\s+(-\S+\s+)*)?(env\s+([A-Za-z_]\w*=\S*\s+)*)?(/usr)?(/bin/)?"
    r"((ba|z|k|da|a)?sh|python[0-9.]*|perl|ruby|node)\b"
)
_SHELL_OF_DOWNLOAD = re.compile(
    r"\b(ba|z|da)?sh\s+(-c\s+)?[\"']?\$\(\s*(curl|wget)\b|\b(ba|z)?sh\s+<\(\s*(curl|wget)\b"
)
_TLS_ENV = re.compile(
    r"\b(NODE_TLS_REJECT_UNAUTHORIZED=[\"']?0|PYTHONHTTPSVERIFY=[\"']?0"
    r"|GIT_SSL_NO_VERIFY=[\"']?(1|true)|NPM_CONFIG_STRICT_SSL=[\"']?false)\b",
    re.IGNORECASE,
)
_TLS_SETTING = re.compile(r"strict-ssl[\s=]+false\b|http\.sslverify[\s=]+false\b", re.IGNORECASE)
_TLS_FLAGS = frozenset(
    {"--no-check-certificate", "--allow-untrusted", "--allow-unauthenticated", "--nogpgcheck",
     "--no-gpg-checks", "--trusted-host", "--insecure"}
)
# curl short options that take an argument: letters after one of them belong to the argument.
_CURL_ARG_OPTIONS = frozenset("oHdDuXeAbcTwxKEFmrYyzCPQtU")
_CHMOD_WORLD = re.compile(
    r"\bchmod\s+(-[a-zA-Z]+\s+|--[a-z-]+\s+)*([0246]?[0-7][0-7][2367]"
    r"|([^\s,]*,)*[ugoa]*[ao][ugoa]*[+=][rwxXst]*w[rwxXst]*)\b"
)
# sudo in command position: at the start, or after ; && || | ( $( ` then do xargs env.
_SUDO = re.compile(r"(^|[;&|(`\n]|\$\(|\bthen\s|\bdo\s|\bxargs\s|\benv\s)\s*sudo\s")
_PACKAGE_MANAGERS = frozenset({"apt-get", "apt", "apk", "yum", "dnf", "microdnf", "zypper", "tdnf"})
_SSH_PACKAGES = frozenset({"openssh-server", "openssh", "dropbear", "ssh-server"})
_PRIVILEGED = re.compile(r"(^|\s)--privileged(\s|=|$)")


def _pipelines(text: str) -> Iterator[list[str]]:
    for pipeline in _PIPELINE_SPLIT.split(text):
        if pipeline.strip():
            yield pipeline.split("|")


def _pipes_download_to_interpreter(text: str) -> bool:
    if _SHELL_OF_DOWNLOAD.search(text):
        return True
    for stages in _pipelines(text):
        downloaded = False
        for stage in stages:
            if downloaded and _INTERPRETER_HEAD.match(stage):
                return True
            downloaded = downloaded or bool(_DOWNLOAD.search(stage))
    return False


def _curl_insecure(words: Sequence[str]) -> bool:
    for word in words:
        if word.startswith("-") and not word.startswith("--"):
            for letter in word[1:]:
                if letter == "k":
                    return True
                if letter in _CURL_ARG_OPTIONS:
                    break
    return False


def _disables_tls(text: str) -> bool:
    if _TLS_ENV.search(text) or _TLS_SETTING.search(text):
        return True
    for stages in _pipelines(text):
        for command in stages:
            words = command.split()
            flags = {w.split("=", 1)[0].lower() for w in words if w.startswith("--")}
            if flags & _TLS_FLAGS and ("--insecure" not in flags or _has_command(words, "curl")):
                return True
            if _has_command(words, "curl") and _curl_insecure(words):
                return True
    return False


def _has_command(words: Sequence[str], name: str) -> bool:
    return any(w == name or w.endswith(f"/{name}") for w in words)


def _installed_packages(text: str) -> set[str]:
    packages: set[str] = set()
    for stages in _pipelines(text):
        for command in stages:
            words = command.split()
            manager = next(
                (i for i, w in enumerate(words) if w.rsplit("/", 1)[-1] in _PACKAGE_MANAGERS),
                None,
            )
            if manager is None:
                continue
            verb = next(
                (i for i in range(manager + 1, len(words)) if words[i] in ("install", "add")),
                None,
            )
            if verb is None:
                continue
            for word in words[verb + 1 :]:
                if not word.startswith("-"):
                    packages.add(re.split(r"[=<>~]", word, maxsplit=1)[0].lower())
    return packages


_SCRIPT_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})


def _shell_heredoc(ins: Instruction) -> Heredoc | None:
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


def _segments(ins: Instruction) -> list[tuple[str, int, int]]:
    """(text, first line, last line) of the instruction's command and, for a shell heredoc,
    of each logical line of its body (backslash continuations joined), so a finding in a
    heredoc script is reported on the script's own line."""
    exec_form = ins.exec_form()
    body = " ".join(exec_form) if exec_form is not None else ins.args
    head_end = ins.heredocs[0].start_line - 1 if ins.heredocs else ins.end_line
    segments = [(body, ins.start_line, max(ins.start_line, head_end))]
    script = _shell_heredoc(ins)
    if script is None:
        return segments
    lines = script.content.split("\n")
    index = 0
    while index < len(lines):
        first = index
        parts = [lines[index]]
        while parts[-1].rstrip().endswith("\\") and index + 1 < len(lines):
            parts[-1] = parts[-1].rstrip()[:-1]
            index += 1
            parts.append(lines[index])
        text = " ".join(parts)
        if text.strip() and not text.lstrip().startswith("#"):
            segments.append((text, script.start_line + first, script.start_line + index))
        index += 1
    return segments


def _first(
    segments: Sequence[tuple[str, int, int]], test: Callable[[str], bool]
) -> tuple[int, int] | None:
    for text, line, end in segments:
        if test(text):
            return line, end
    return None


def _commands(ins: Instruction) -> Iterator[Hit]:
    segments = _segments(ins)

    def hit(rule: Rule, where: tuple[int, int], message: str) -> Hit:
        return Hit(rule, where[0], where[1], message)

    if ins.keyword == "RUN":
        where = _first(segments, _pipes_download_to_interpreter)
        if where:
            yield hit(CURL_PIPE_SHELL, where,
                      "RUN downloads a script and pipes it straight into an interpreter")
        where = _first(segments, _disables_tls)
        if where:
            yield hit(TLS_DISABLED, where, "RUN disables TLS certificate or signature checks")
        where = _first(segments, lambda t: bool(_CHMOD_WORLD.search(t)))
        if where:
            yield hit(WORLD_WRITABLE, where, "RUN makes files or folders world-writable")
        where = _first(segments, lambda t: bool(_SUDO.search(t)))
        if where:
            yield hit(SUDO, where, "RUN uses sudo")
        else:
            where = _first(segments, lambda t: "sudo" in _installed_packages(t))
            if where:
                yield hit(SUDO, where,
                          "RUN installs sudo, which lets the runtime user become root")
        where = _first(segments, lambda t: bool(_installed_packages(t) & _SSH_PACKAGES))
        if where:
            yield hit(SSH_SERVER, where, "RUN installs an SSH server")
        if (ins.flag("security") or "").lower() == "insecure":
            yield _hit(
                PRIVILEGED, ins, "RUN --security=insecure runs the step without the sandbox"
            )
    where = _first(segments, lambda t: bool(_PRIVILEGED.search(t)))
    if where:
        yield hit(PRIVILEGED, where, f"{ins.keyword} starts a container with --privileged")


def _expose(ins: Instruction) -> Iterator[Hit]:
    for word in _split_words(ins.args):
        port = word.split("/", 1)[0]
        if port == "22" or (("-" in port) and _in_range(port, 22)):
            yield _hit(SSH_SERVER, ins, "EXPOSE publishes port 22 (SSH)")
            return


def _in_range(text: str, port: int) -> bool:
    low, _, high = text.partition("-")
    return low.isdigit() and high.isdigit() and int(low) <= port <= int(high)


def _env_tls(ins: Instruction) -> Iterator[Hit]:
    for name, value in _assignments(ins):
        if value is not None and _disables_tls(f"{name}={value}"):
            yield _hit(TLS_DISABLED, ins, f"ENV {name} disables TLS certificate verification")
            return
