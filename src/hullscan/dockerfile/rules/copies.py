"""HS111, HS112, HS120: credential files copied in, the context copied without a
.dockerignore, and ADD from a remote URL."""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterator
from pathlib import Path

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
from hullscan.dockerfile.parser import Dockerfile, Instruction
from hullscan.dockerfile.rules.base import (
    CONTEXT_WITHOUT_DOCKERIGNORE,
    REMOTE_ADD,
    SECRET_FILE_COPIED,
    Hit,
    RuleContext,
    hit,
    split_words,
    stage_chain,
)

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
        words = split_words(ins.args)
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
            chain = stage_chain(dockerfile)
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
        words = split_words(ins.args)
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
            yield hit(
                SECRET_FILE_COPIED, ins,
                f"{ins.keyword} copies {source!r}, a file that usually holds credentials, into "
                "the image",
            )
        elif rel is not None and (glob or build.is_folder(rel)):
            listed.append(rel)
        remote = ins.keyword == "ADD" and re.match(r"^(https?|ftp)://|^git@", source)
        if remote and ins.flag("checksum") is None:
            yield hit(
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
            yield hit(
                SECRET_FILE_COPIED, ins,
                f"{ins.keyword} {' '.join(listed)} copies {shown} from the build context into "
                f"the image; {reason}",
            )
    if whole and not reported and not any(
        f.is_file() for f in ignore_files(context.path, build.folder())
    ):
        yield hit(
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


def check(dockerfile: Dockerfile, context: RuleContext) -> Iterator[Hit]:
    build = _LazyContext(context)
    for ins in dockerfile.instructions:
        if ins.keyword in ("COPY", "ADD"):
            yield from _copies(ins, context, build, dockerfile)
