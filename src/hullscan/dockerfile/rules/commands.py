"""HS121, HS122, HS130-HS133: what RUN, CMD and ENTRYPOINT do (and EXPOSE 22, TLS off in ENV)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from hullscan.core.model import Rule
from hullscan.dockerfile.parser import Dockerfile, Instruction
from hullscan.dockerfile.rules.base import (
    CURL_PIPE_SHELL,
    PRIVILEGED,
    SSH_SERVER,
    SUDO,
    TLS_DISABLED,
    WORLD_WRITABLE,
    Hit,
    RuleContext,
    assignments,
    hit,
    shell_heredoc,
    split_words,
)

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


def _segments(ins: Instruction) -> list[tuple[str, int, int]]:
    """(text, first line, last line) of the instruction's command and, for a shell heredoc,
    of each logical line of its body (backslash continuations joined), so a finding in a
    heredoc script is reported on the script's own line."""
    exec_form = ins.exec_form()
    body = " ".join(exec_form) if exec_form is not None else ins.args
    head_end = ins.heredocs[0].start_line - 1 if ins.heredocs else ins.end_line
    segments = [(body, ins.start_line, max(ins.start_line, head_end))]
    script = shell_heredoc(ins)
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

    def at(rule: Rule, where: tuple[int, int], message: str) -> Hit:
        return Hit(rule, where[0], where[1], message)

    if ins.keyword == "RUN":
        where = _first(segments, _pipes_download_to_interpreter)
        if where:
            yield at(CURL_PIPE_SHELL, where,
                      "RUN downloads a script and pipes it straight into an interpreter")
        where = _first(segments, _disables_tls)
        if where:
            yield at(TLS_DISABLED, where, "RUN disables TLS certificate or signature checks")
        where = _first(segments, lambda t: bool(_CHMOD_WORLD.search(t)))
        if where:
            yield at(WORLD_WRITABLE, where, "RUN makes files or folders world-writable")
        where = _first(segments, lambda t: bool(_SUDO.search(t)))
        if where:
            yield at(SUDO, where, "RUN uses sudo")
        else:
            where = _first(segments, lambda t: "sudo" in _installed_packages(t))
            if where:
                yield at(SUDO, where,
                          "RUN installs sudo, which lets the runtime user become root")
        where = _first(segments, lambda t: bool(_installed_packages(t) & _SSH_PACKAGES))
        if where:
            yield at(SSH_SERVER, where, "RUN installs an SSH server")
        if (ins.flag("security") or "").lower() == "insecure":
            yield hit(
                PRIVILEGED, ins, "RUN --security=insecure runs the step without the sandbox"
            )
    where = _first(segments, lambda t: bool(_PRIVILEGED.search(t)))
    if where:
        yield at(PRIVILEGED, where, f"{ins.keyword} starts a container with --privileged")


def _expose(ins: Instruction) -> Iterator[Hit]:
    for word in split_words(ins.args):
        port = word.split("/", 1)[0]
        if port == "22" or (("-" in port) and _in_range(port, 22)):
            yield hit(SSH_SERVER, ins, "EXPOSE publishes port 22 (SSH)")
            return


def _in_range(text: str, port: int) -> bool:
    low, _, high = text.partition("-")
    return low.isdigit() and high.isdigit() and int(low) <= port <= int(high)


def _env_tls(ins: Instruction) -> Iterator[Hit]:
    for name, value in assignments(ins):
        if value is not None and _disables_tls(f"{name}={value}"):
            yield hit(TLS_DISABLED, ins, f"ENV {name} disables TLS certificate verification")
            return


def check(dockerfile: Dockerfile, context: RuleContext) -> Iterator[Hit]:
    for ins in dockerfile.instructions:
        if ins.keyword in ("RUN", "CMD", "ENTRYPOINT"):
            yield from _commands(ins)
        if ins.keyword == "EXPOSE":
            yield from _expose(ins)
        if ins.keyword == "ENV":
            yield from _env_tls(ins)
