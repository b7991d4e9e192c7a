"""Tests for hullscan's own Dockerfile rules (HS100-HS134) and how the checker merges them
with hadolint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hullscan.core.model import Severity
from hullscan.core.redact import mask
from hullscan.dockerfile import rules
from hullscan.dockerfile.parser import parse
from hullscan.dockerfile.rules import Hit, RuleContext

DIGEST = "sha256:" + "a" * 64
FROM_OK = f"FROM alpine:3.19@{DIGEST}"  # pinned: no image rule fires on it
NOWHERE = Path("/nonexistent-hullscan-test/Dockerfile")  # no .dockerignore beside it


# ---------------------------------------------------------------------------- helpers


def dockerfile(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def wrap(*lines: str) -> str:
    """A Dockerfile in which only `lines` (from line 2 on) can fire: a pinned FROM first and a
    non-root USER last."""
    return dockerfile(FROM_OK, *lines, "USER app")


# HS134 (no HEALTHCHECK, low) fires on almost every fixture's final FROM line: the helpers leave
# it out so each case shows only the rule under test; its own tests use `run_all`.
QUIET = frozenset({"HS134"})


def run_all(text: str, path: Path = NOWHERE, trusted: tuple[str, ...] | None = None) -> list[Hit]:
    return rules.check(parse(text), RuleContext(path=path, trusted_registries=trusted))


def run(text: str, path: Path = NOWHERE, trusted: tuple[str, ...] | None = None) -> list[Hit]:
    return [h for h in run_all(text, path, trusted) if h.rule.id not in QUIET]


def hits(
    text: str, path: Path = NOWHERE, trusted: tuple[str, ...] | None = None
) -> list[tuple[str, int]]:
    """(rule id, 1-based line) of every hit, in report order."""
    return [(h.rule.id, h.line) for h in run(text, path, trusted)]


def one(
    text: str, rule_id: str, path: Path = NOWHERE, trusted: tuple[str, ...] | None = None
) -> Hit:
    found = [h for h in run(text, path, trusted) if h.rule.id == rule_id]
    assert len(found) == 1, found
    return found[0]


def messages(text: str, rule_id: str, **kwargs: Any) -> str:
    return "\n".join(h.message for h in run(text, **kwargs) if h.rule.id == rule_id)


def test_rule_catalogue() -> None:
    ids = [r.id for r in rules.ALL_RULES]
    assert ids == [
        "HS100",
        "HS101",
        "HS102",
        "HS103",
        "HS110",
        "HS111",
        "HS112",
        "HS120",
        "HS121",
        "HS122",
        "HS130",
        "HS131",
        "HS132",
        "HS133",
        "HS134",
    ]
    assert set(rules.SUPERSEDES.values()) <= set(ids)
    assert rules.SUPERSEDES["DL3007"] == "HS102"
    assert rules.SUPERSEDES["DL3002"] == "HS100"


# ---------------------------------------------------------------------------- positives
# (test id, Dockerfile, exact (rule, line) hits, fragment of the rule's message)

POSITIVE: list[tuple[str, str, list[tuple[str, int]], str]] = [
    # HS100: root in the final stage
    (
        "no-user",
        dockerfile(f"FROM python:3.12@{DIGEST}", "RUN pip install x"),
        [("HS100", 1)],
        "final stage has no USER instruction",
    ),
    (
        "no-user-final-stage-line",
        dockerfile(
            f"FROM golang:1.22@{DIGEST} AS build",
            "USER builder",
            "RUN go build",
            "",
            FROM_OK,
            "COPY --from=build /app /app",
        ),
        [("HS100", 5)],
        "final stage has no USER instruction",
    ),
    (
        "user-root",
        dockerfile(FROM_OK, "USER app", "RUN id", "USER root"),
        [("HS100", 4)],
        "last USER of the final stage is 'root'",
    ),
    ("user-0", dockerfile(FROM_OK, "USER 0"), [("HS100", 2)], "is '0'"),
    ("user-0-0", dockerfile(FROM_OK, "USER 0:0"), [("HS100", 2)], "is '0'"),
    ("user-root-root", dockerfile(FROM_OK, "USER root:root"), [("HS100", 2)], "is 'root'"),
    (
        "user-root-continued",
        dockerfile(FROM_OK, "RUN id", "USER \\", "    root"),
        [("HS100", 3)],
        "is 'root'",
    ),
    (
        "user-arg-root",
        dockerfile(FROM_OK, "ARG APP_USER=root", "USER ${APP_USER}"),
        [("HS100", 3)],
        "is 'root'",
    ),
    (
        "user-global-arg-redeclared",
        dockerfile("ARG APP_USER=root", FROM_OK, "ARG APP_USER", "USER $APP_USER"),
        [("HS100", 4)],
        "is 'root'",
    ),
    (
        "user-root-inherited-from-stage",
        dockerfile(f"{FROM_OK} AS builder", "USER root", "FROM builder", "RUN id"),
        [("HS100", 2)],
        "is 'root'",
    ),
    # HS101 / HS102: image pinning
    (
        "tag-only",
        dockerfile("FROM python:3.12", "USER app"),
        [("HS101", 1)],
        "python:3.12 is not pinned by digest; use python:3.12@sha256:<digest>",
    ),
    (
        "no-tag",
        dockerfile("FROM python", "USER app"),
        [("HS102", 1)],
        "python uses no tag (implicitly `latest`)",
    ),
    (
        "latest",
        dockerfile("FROM python:latest", "USER app"),
        [("HS102", 1)],
        "uses the `latest` tag and no digest",
    ),
    (
        "from-arg",
        dockerfile("ARG BASE=alpine:3.19", "FROM ${BASE}", "USER app"),
        [("HS101", 2)],
        "Base image alpine:3.19 is not pinned",
    ),
    (
        "from-platform-flag",
        dockerfile("FROM --platform=$BUILDPLATFORM golang:1.22 AS build", FROM_OK, "USER app"),
        [("HS101", 1)],
        "golang:1.22 is not pinned",
    ),
    (
        "copy-from-image",
        wrap("COPY --from=nginx:latest /x /y"),
        [("HS102", 2)],
        "COPY --from image nginx:latest uses the `latest` tag",
    ),
    (
        "run-mount-from-image",
        wrap("RUN --mount=type=bind,from=node:20,target=/n ls /n"),
        [("HS101", 2)],
        "RUN --from image node:20 is not pinned",
    ),
    # HS110: secrets in instructions
    (
        "env-password",
        wrap("ENV DB_PASSWORD=s3cr3tvalue"),
        [("HS110", 2)],
        "ENV DB_PASSWORD holds a literal secret",
    ),
    (
        "env-legacy-token",
        wrap("ENV API_TOKEN abcdef123456"),
        [("HS110", 2)],
        "ENV API_TOKEN holds a literal secret",
    ),
    (
        "arg-npm-token",
        wrap("ARG NPM_TOKEN=npmtok3nvalue123"),
        [("HS110", 2)],
        "ARG NPM_TOKEN holds a literal secret",
    ),
    (
        "env-aws-key-any-name",
        wrap("ENV X=AKIAIOSFODNN7EXAMPLE"),
        [("HS110", 2)],
        "ENV X holds a literal AWS access key id",
    ),
    (
        "env-continued",
        wrap("ENV A=1 \\", "    DB_PASSWORD=s3cr3tvalue"),
        [("HS110", 2)],
        "ENV DB_PASSWORD",
    ),
    ("label-token", wrap("LABEL token=abcdef123456"), [("HS110", 2)], "LABEL token"),
    (
        "run-github-token",
        wrap(
            "RUN curl -H 'Authorization: token ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8' "
            "https://api.github.com/user"
        ),
        [("HS110", 2)],
        "RUN contains a literal GitHub token",
    ),
    # HS111: credential files copied
    (
        "copy-id-rsa",
        wrap("COPY id_rsa /root/.ssh/"),
        [("HS111", 2)],
        "COPY copies 'id_rsa', a file that usually holds credentials",
    ),
    ("add-env", wrap("ADD .env /app/"), [("HS111", 2)], "ADD copies '.env'"),
    (
        "copy-npmrc-pypirc",
        wrap("COPY .npmrc .pypirc ./"),
        [("HS111", 2), ("HS111", 2)],
        "'.pypirc'",
    ),
    (
        "copy-aws-credentials",
        wrap("COPY config/.aws/credentials /root/.aws/"),
        [("HS111", 2)],
        "'config/.aws/credentials'",
    ),
    ("copy-pem", wrap("COPY certs/server.pem /etc/ssl/"), [("HS111", 2)], "'certs/server.pem'"),
    (
        "copy-exec-form-ssh-dir",
        wrap('COPY ["home/.ssh/", "/root/.ssh/"]'),
        [("HS111", 2)],
        "'home/.ssh/'",
    ),
    # HS112: whole context without .dockerignore (NOWHERE has none beside it)
    (
        "copy-dot",
        wrap("COPY . /app"),
        [("HS112", 2)],
        "COPY . copies the whole build context and there is no .dockerignore beside Dockerfile",
    ),
    ("copy-dot-slash-chown", wrap("COPY --chown=app ./ /app/"), [("HS112", 2)], "COPY ."),
    # HS120: ADD from a URL
    (
        "add-url",
        wrap("ADD https://example.com/y.tgz /tmp/"),
        [("HS120", 2)],
        "ADD downloads from example.com without --checksum",
    ),
    # HS121: remote script into a shell
    (
        "curl-sh",
        wrap("RUN curl -fsSL https://example.com/install.sh | sh"),
        [("HS121", 2)],
        "pipes it straight into an interpreter",
    ),
    ("wget-bash", wrap("RUN wget -qO- https://example.com | bash"), [("HS121", 2)], "pipes it"),
    (
        "curl-sudo-bash",
        wrap("RUN curl -fsSL https://example.com | sudo bash"),
        [("HS121", 2), ("HS131", 2)],
        "pipes it",
    ),
    (
        "sh-c-subst",
        wrap('RUN sh -c "$(curl -fsSL https://example.com)"'),
        [("HS121", 2)],
        "pipes it",
    ),
    (
        "bash-process-subst",
        wrap("RUN bash <(curl -s https://example.com)"),
        [("HS121", 2)],
        "pipes it",
    ),
    ("curl-python", wrap("RUN curl https://example.com | python3"), [("HS121", 2)], "pipes it"),
    (
        "curl-sh-continued",
        wrap("RUN apt-get update \\", "    && curl -fsSL https://x.io \\", "       | sh"),
        [("HS121", 2)],
        "pipes it",
    ),
    (
        "curl-sh-heredoc",
        wrap("RUN id", "RUN <<EOF", "set -e", "curl -fsSL https://x.io | sh", "EOF"),
        [("HS121", 5)],
        "pipes it",
    ),
    # HS122: TLS verification off
    (
        "curl-k",
        wrap("RUN curl -k https://example.com -o f"),
        [("HS122", 2)],
        "RUN disables TLS certificate or signature checks",
    ),
    (
        "curl-bundled-k",
        wrap("RUN curl -fsSLk https://example.com -o f"),
        [("HS122", 2)],
        "disables TLS",
    ),
    (
        "curl-insecure",
        wrap("RUN curl --insecure https://example.com -o f"),
        [("HS122", 2)],
        "disables TLS",
    ),
    (
        "wget-no-check",
        wrap("RUN wget --no-check-certificate https://example.com"),
        [("HS122", 2)],
        "disables TLS",
    ),
    (
        "pip-trusted-host",
        wrap("RUN pip install --trusted-host pypi.org flask"),
        [("HS122", 2)],
        "disables TLS",
    ),
    (
        "env-node-tls",
        wrap("ENV NODE_TLS_REJECT_UNAUTHORIZED=0"),
        [("HS122", 2)],
        "ENV NODE_TLS_REJECT_UNAUTHORIZED disables TLS certificate verification",
    ),
    (
        "git-sslverify",
        wrap("RUN git config --global http.sslVerify false"),
        [("HS122", 2)],
        "disables TLS",
    ),
    # HS130: world-writable
    (
        "chmod-777",
        wrap("RUN chmod 777 /app"),
        [("HS130", 2)],
        "RUN makes files or folders world-writable",
    ),
    ("chmod-R-0777", wrap("RUN chmod -R 0777 /data"), [("HS130", 2)], "world-writable"),
    ("chmod-666", wrap("RUN chmod 666 /data/f"), [("HS130", 2)], "world-writable"),
    ("chmod-a+w", wrap("RUN chmod a+w /x"), [("HS130", 2)], "world-writable"),
    ("chmod-o+w", wrap("RUN chmod o+w /x"), [("HS130", 2)], "world-writable"),
    ("chmod-a+rwx", wrap("RUN chmod a+rwx /x"), [("HS130", 2)], "world-writable"),
    ("chmod-go+rwX", wrap("RUN chmod -R go+rwX /x"), [("HS130", 2)], "world-writable"),
    ("chmod-comma-list", wrap("RUN chmod u+x,o+w /x"), [("HS130", 2)], "world-writable"),
    # HS131: sudo
    ("sudo-command", wrap("RUN sudo apt-get update"), [("HS131", 2)], "RUN uses sudo"),
    ("sudo-after-semicolon", wrap("RUN set -e; sudo ls"), [("HS131", 2)], "RUN uses sudo"),
    (
        "sudo-installed",
        wrap("RUN apt-get install -y sudo"),
        [("HS131", 2)],
        "RUN installs sudo, which lets the runtime user become root",
    ),
    # HS132: privileged
    (
        "security-insecure",
        wrap("RUN --security=insecure make"),
        [("HS132", 2)],
        "RUN --security=insecure runs the step without the sandbox",
    ),
    (
        "cmd-privileged",
        wrap('CMD ["docker", "run", "--privileged", "x"]'),
        [("HS132", 2)],
        "CMD starts a container with --privileged",
    ),
    # HS133: SSH server
    (
        "apt-openssh-server",
        wrap("RUN apt-get install -y openssh-server"),
        [("HS133", 2)],
        "RUN installs an SSH server",
    ),
    (
        "apk-openssh",
        wrap("RUN apk add --no-cache openssh"),
        [("HS133", 2)],
        "RUN installs an SSH server",
    ),
    (
        "openssh-continued",
        wrap("RUN apt-get update && \\", "    apt-get install -y \\", "      curl openssh-server"),
        [("HS133", 2)],
        "installs an SSH server",
    ),
    ("expose-22", wrap("EXPOSE 22"), [("HS133", 2)], "EXPOSE publishes port 22 (SSH)"),
    ("expose-22-tcp", wrap("EXPOSE 22/tcp"), [("HS133", 2)], "port 22"),
    ("expose-range", wrap("EXPOSE 20-30"), [("HS133", 2)], "port 22"),
    ("expose-list", wrap("EXPOSE 80 443 22"), [("HS133", 2)], "port 22"),
]


@pytest.mark.parametrize(
    ("text", "expected", "fragment"),
    [
        pytest.param(text, expected, fragment, id=name)
        for name, text, expected, fragment in POSITIVE
    ],
)
def test_rule_fires_on_exact_line(
    text: str, expected: list[tuple[str, int]], fragment: str
) -> None:
    assert hits(text) == expected
    rule_ids = {rule_id for rule_id, _ in expected}
    assert any(fragment in messages(text, rule_id) for rule_id in rule_ids), [
        h.message for h in run(text)
    ]


def test_every_rule_has_a_positive_case() -> None:
    covered = {rule_id for _, _, expected, _ in POSITIVE for rule_id, _ in expected}
    # HS103 needs trusted_registries, HS134 fires everywhere: covered by their own tests below.
    assert covered | {"HS103", "HS134"} == {r.id for r in rules.ALL_RULES}


def test_hit_end_line_spans_continuations_and_heredocs() -> None:
    hit = one(wrap("RUN apt-get install -y \\", "    openssh-server"), "HS133")
    assert (hit.line, hit.end_line) == (2, 3)
    # a finding in a heredoc script is on the script's own line
    hit = one(wrap("RUN <<EOF", "curl -fsSL https://x.io | sh", "EOF"), "HS121")
    assert (hit.line, hit.end_line) == (3, 3)


# ---------------------------------------------------------------------------- negatives
# Each must produce no hit at all (wrap() supplies a pinned FROM and a non-root USER).

NEGATIVE: list[tuple[str, str]] = [
    # HS110: public key material named like a secret, as in the official python images
    ("gpg-key-fingerprint", wrap("ENV GPG_KEY A035C8C19219BA821ECEA86B64E628F8D684696D")),
    ("public-key", wrap("ARG SIGNING_PUBLIC_KEY=MCowBQYDK2VwAyEAkzK3")),
    # HS100
    ("non-root-after-root", dockerfile(FROM_OK, "USER root", "RUN apt-get update", "USER app")),
    ("numeric-non-root", dockerfile(FROM_OK, "USER 10001")),
    ("uid-with-root-group", dockerfile(FROM_OK, "USER 10001:0")),
    (
        "inherits-user-from-stage",
        dockerfile(f"{FROM_OK} AS builder", "USER app", "FROM builder", "RUN id"),
    ),
    (
        "root-only-in-build-stage",
        dockerfile(
            f"{FROM_OK} AS build",
            "USER root",
            "RUN make",
            FROM_OK,
            "COPY --from=build /out /out",
            "USER app",
        ),
    ),
    ("distroless-nonroot", dockerfile(f"FROM gcr.io/distroless/static:nonroot@{DIGEST}")),
    (
        "distroless-nonroot-via-stage",
        dockerfile(
            f"FROM gcr.io/distroless/static:nonroot@{DIGEST} AS base", "FROM base", "COPY app /app"
        ),
    ),
    ("unresolvable-user", dockerfile(FROM_OK, "USER ${APP_USER}")),
    ("arg-without-default-user", dockerfile(FROM_OK, "ARG APP_USER", "USER ${APP_USER}")),
    # HS101 / HS102
    ("digest-pinned", dockerfile(f"FROM python:3.12@{DIGEST}", "USER app")),
    ("digest-pinned-no-tag", dockerfile(f"FROM python@{DIGEST}", "USER app")),
    ("scratch", dockerfile("FROM scratch", "COPY app /app", "USER app")),
    (
        "from-earlier-stage",
        dockerfile(f"{FROM_OK} AS builder", "RUN make", "FROM builder", "USER app"),
    ),
    (
        "from-stage-case-insensitive",
        dockerfile(f"{FROM_OK} AS Builder", "FROM builder", "USER app"),
    ),
    ("from-unresolvable-arg", dockerfile("ARG BASE", "FROM ${BASE}", "USER app")),
    (
        "copy-from-stage-name",
        dockerfile(
            f"{FROM_OK} AS build", "RUN make", FROM_OK, "COPY --from=build /a /b", "USER app"
        ),
    ),
    (
        "copy-from-stage-index",
        dockerfile(f"{FROM_OK} AS build", FROM_OK, "COPY --from=0 /a /b", "USER app"),
    ),
    # HS110
    ("env-password-reference", wrap("ENV DB_PASSWORD=${DB_PASSWORD}")),
    ("arg-token-no-value", wrap("ARG TOKEN")),
    ("env-password-file", wrap("ENV PASSWORD_FILE=/run/secrets/db")),
    ("env-secret-empty", wrap('ENV SECRET_KEY=""')),
    ("env-harmless", wrap("ENV PATH=/usr/local/bin:$PATH LANG=C.UTF-8")),
    ("run-secret-mount", wrap("RUN --mount=type=secret,id=npm_token npm ci")),
    # HS111
    ("copy-env-example", wrap("COPY .env.example /app/")),
    ("copy-requirements", wrap("COPY requirements.txt /app/")),
    ("copy-ssh-client-config-tool", wrap("COPY scripts/ssh_setup.sh /usr/local/bin/")),
    ("copy-public-key-name", wrap("COPY keys.txt /app/")),
    # HS112 (other cases in test_hs112_*)
    (
        "copy-dot-from-stage",
        dockerfile(f"{FROM_OK} AS build", FROM_OK, "COPY --from=build . /app", "USER app"),
    ),
    ("copy-subfolder", wrap("COPY ./src /app/src")),
    # HS120
    ("add-url-with-checksum", wrap(f"ADD --checksum={DIGEST} https://example.com/y.tgz /tmp/")),
    ("add-local", wrap("ADD local.tgz /tmp/")),
    # HS121
    (
        "download-verify-run",
        wrap("RUN curl -o /tmp/x.sh https://example.com/x.sh && sha256sum -c sums && sh /tmp/x.sh"),
    ),
    ("curl-to-tar", wrap("RUN curl -fsSL https://example.com/x.tgz | tar -xz -C /opt")),
    ("shell-script-mentions-curl", wrap("RUN sh ./install-curl.sh")),
    # HS122
    ("curl-verified", wrap("RUN curl -fsSL https://example.com -o f")),
    ("curl-config-file", wrap("RUN curl -K /etc/curlrc https://example.com -o f")),
    ("curl-output-k-file", wrap("RUN curl -o /tmp/kube.tgz https://example.com")),
    ("pip-plain", wrap("RUN pip install --no-cache-dir flask")),
    ("env-node-tls-on", wrap("ENV NODE_TLS_REJECT_UNAUTHORIZED=1")),
    # HS130
    ("chmod-755", wrap("RUN chmod 755 /app")),
    ("chmod-plus-x", wrap("RUN chmod +x /entrypoint.sh")),
    ("chmod-sticky-1777", wrap("RUN mkdir -p /scratch && chmod 1777 /scratch")),
    ("chmod-g+w", wrap("RUN chmod -R g+w /app")),
    ("chmod-o-w", wrap("RUN chmod o-w /app")),
    ("chmod-setuid-4755", wrap("RUN chmod 4755 /usr/bin/tool")),
    ("chmod-644", wrap("RUN chmod 0644 /etc/app.conf")),
    # HS131
    ("pseudo-package", wrap("RUN apt-get install -y pseudo")),
    ("echo-sudoers", wrap("RUN echo sudoers")),
    ("sudo-in-string", wrap("RUN echo 'no sudo here' > /etc/motd")),
    ("gosu", wrap("RUN apt-get install -y gosu")),
    # HS132
    ("privileged-word", wrap("RUN echo privileged-mode-off")),
    # HS133
    ("expose-2222", wrap("EXPOSE 2222")),
    ("expose-8022", wrap("EXPOSE 8022")),
    ("expose-range-without-22", wrap("EXPOSE 8000-8100")),
    ("openssh-client", wrap("RUN apt-get install -y openssh-client")),
]


@pytest.mark.parametrize("text", [pytest.param(text, id=name) for name, text in NEGATIVE])
def test_rule_does_not_fire(text: str) -> None:
    assert hits(text) == []


# ---------------------------------------------------------------------------- HS100 details


def test_hs100_no_user_reported_on_final_from_not_first() -> None:
    text = dockerfile(
        "ARG V=1",
        f"FROM golang:1.22@{DIGEST} AS build",
        "RUN go build",
        "",
        "# runtime",
        f"FROM alpine:3.19@{DIGEST}",
        "COPY --from=build /app /app",
    )
    hit = one(text, "HS100")
    assert hit.line == 6
    assert hit.rule.default_severity == Severity.HIGH


def test_hs100_nonroot_tag_only_exempts_nonroot_images() -> None:
    assert hits(dockerfile(f"FROM example.com/app:rootless-1.2@{DIGEST}")) == []
    assert hits(dockerfile(f"FROM example.com/nonroot-tools:1.2@{DIGEST}")) == [("HS100", 1)]


# ---------------------------------------------------------------------------- HS134


def _healthcheck_hits(text: str) -> list[tuple[str, int]]:
    return [(h.rule.id, h.line) for h in run_all(text) if h.rule.id == "HS134"]


def test_hs134_no_healthcheck_once_on_the_final_from_line() -> None:
    text = dockerfile(
        f"FROM golang:1.22@{DIGEST} AS build",
        "RUN go build -o /app",
        "",
        FROM_OK,
        "COPY --from=build /app /app",
        "USER app",
    )
    assert [(h.rule.id, h.line) for h in run_all(text)] == [("HS134", 4)]  # nothing else
    [hit] = run_all(text)
    assert hit.rule.default_severity is Severity.LOW
    assert hit.rule.name == "healthcheck-missing"
    assert "final stage has no HEALTHCHECK" in hit.message


@pytest.mark.parametrize(
    "text",
    [
        wrap("HEALTHCHECK --interval=30s CMD wget -qO- http://localhost:8080/health || exit 1"),
        wrap("HEALTHCHECK NONE"),  # an explicit opt-out
        # inherited from the stage the final one is built FROM, also as NONE
        dockerfile(f"{FROM_OK} AS base", "HEALTHCHECK CMD true", "FROM base", "USER app"),
        dockerfile(f"{FROM_OK} AS base", "HEALTHCHECK NONE", "FROM base AS mid", "FROM mid"),
        # continued over two lines
        wrap("HEALTHCHECK --interval=5s \\", "  CMD curl -f http://localhost/ || exit 1"),
    ],
    ids=["cmd", "none", "inherited", "inherited-none-two-levels", "continued"],
)
def test_hs134_satisfied(text: str) -> None:
    assert _healthcheck_hits(text) == []


def test_hs134_healthcheck_in_another_stage_does_not_count() -> None:
    text = dockerfile(
        f"{FROM_OK} AS build",
        "HEALTHCHECK CMD true",
        FROM_OK,
        "COPY --from=build /app /app",
    )
    assert _healthcheck_hits(text) == [("HS134", 3)]


def test_hs134_scratch_build_output_still_reported() -> None:
    # like trivy's DS026: a FROM scratch image that only carries a binary gets it too (low)
    text = dockerfile(f"{FROM_OK} AS build", "RUN make", "FROM scratch", "COPY --from=build /b /b")
    assert _healthcheck_hits(text) == [("HS134", 3)]


def test_hs134_nothing_without_from() -> None:
    assert _healthcheck_hits("RUN true\n") == []


# ---------------------------------------------------------------------------- HS101-HS103


def test_hs101_and_hs102_severities() -> None:
    assert one(dockerfile("FROM python:3.12", "USER app"), "HS101").rule.default_severity == (
        Severity.MEDIUM
    )
    for image in ("python", "python:latest"):
        hit = one(dockerfile(f"FROM {image}", "USER app"), "HS102")
        assert hit.rule.default_severity == Severity.HIGH
        assert "python:<version>@sha256:<digest>" in hit.message


def test_hs101_each_unpinned_stage_reported_on_its_own_from_line() -> None:
    text = dockerfile(
        "FROM node:20 AS web",
        "RUN npm ci",
        "FROM python:3.12-slim",
        "COPY --from=web /d /d",
        "USER app",
    )
    assert hits(text) == [("HS101", 1), ("HS101", 3)]


def test_hs103_only_with_trusted_registries() -> None:
    ghcr = dockerfile(f"FROM ghcr.io/acme/app@{DIGEST}", "USER app")
    quay = dockerfile(f"FROM quay.io/x/y@{DIGEST}", "USER app")
    trusted = ("ghcr.io/acme",)
    assert hits(ghcr, trusted=trusted) == []
    assert hits(quay) == []  # trusted_registries unset: no HS103 at all
    assert hits(quay, trusted=trusted) == [("HS103", 1)]
    msg = one(quay, "HS103", trusted=trusted).message
    assert "comes from quay.io" in msg
    assert "not in trusted_registries (ghcr.io/acme)" in msg


def test_hs103_docker_hub_is_the_default_registry() -> None:
    text = dockerfile("FROM python:3.12", "USER app")
    assert hits(text, trusted=("ghcr.io/acme",)) == [("HS101", 1), ("HS103", 1)]
    assert "comes from docker.io" in one(text, "HS103", trusted=("ghcr.io/acme",)).message
    assert hits(text, trusted=("docker.io",)) == [("HS101", 1)]
    assert hits(text, trusted=("docker.io/library",)) == [("HS101", 1)]


def test_hs103_other_org_on_trusted_host_is_untrusted() -> None:
    text = dockerfile(f"FROM ghcr.io/evil/app@{DIGEST}", "USER app")
    assert hits(text, trusted=("ghcr.io/acme",)) == [("HS103", 1)]


def test_hs103_copy_from_image() -> None:
    text = wrap(f"COPY --from=quay.io/x/y@{DIGEST} /a /b")
    assert hits(text, trusted=("ghcr.io/acme", "docker.io")) == [("HS103", 2)]
    assert "COPY --from image" in one(text, "HS103", trusted=("docker.io",)).message


# ---------------------------------------------------------------------------- HS110 redaction


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("ENV DB_PASSWORD=s3cr3tvalue", "s3cr3tvalue"),
        ("ENV API_TOKEN abcdef123456", "abcdef123456"),
        ("ARG NPM_TOKEN=npmtok3nvalue123", "npmtok3nvalue123"),
        ("ENV X=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ],
)
def test_hs110_message_masks_the_value(line: str, value: str) -> None:
    hit = one(wrap(line), "HS110")
    assert value not in hit.message
    assert mask(value) in hit.message
    assert hit.fingerprint_basis is not None and value not in hit.fingerprint_basis


def test_hs110_token_in_run_not_in_message() -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    hit = one(wrap(f"RUN git clone https://x:{token}@github.com/acme/app.git"), "HS110")
    assert hit.line == 2
    assert token not in hit.message
    assert hit.fingerprint_basis is not None and token not in hit.fingerprint_basis


def test_hs110_secret_in_run_heredoc_reported_on_the_body_line() -> None:
    text = wrap("RUN id", "RUN <<EOF", "set -e", "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
                "EOF")
    assert hits(text) == [("HS110", 5)]
    hit = one(text, "HS110")
    assert (hit.line, hit.end_line) == (5, 5)
    assert "AWS access key id" in hit.message


PASSWORD = "hunter2-but-longer"  # a literal password value
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"

# (id, Dockerfile, exact HS110 lines)
HS110_TEXT_CASES: list[tuple[str, str, list[tuple[str, int]]]] = [
    ("heredoc-export", wrap("RUN <<EOF", "set -e", f"export API_TOKEN={PASSWORD}", "EOF"),
     [("HS110", 4)]),
    ("heredoc-echo-config",
     wrap("RUN <<EOF", "mkdir -p /etc/app", f'echo "password={PASSWORD}" > /etc/app.conf',
          "EOF"), [("HS110", 4)]),
    ("heredoc-bash-two-secrets",
     wrap("RUN bash <<EOF", f"export DB_PASSWORD='{PASSWORD}'", "make", f"TOKEN={TOKEN} ./x",
          "EOF"), [("HS110", 3), ("HS110", 5)]),
    ("copy-heredoc-config-file",
     wrap("COPY <<EOF /etc/app.ini", "[db]", "user = app", f"password = {PASSWORD}", "EOF"),
     [("HS110", 5)]),
    ("cat-heredoc-yaml", wrap("RUN cat <<EOF > /etc/app.yaml", "db:", f"  password: {PASSWORD}",
                              "EOF"), [("HS110", 4)]),
    ("python-stdin-token", wrap("RUN python3 <<EOF", "import os", f"t = '{TOKEN}'", "EOF"),
     [("HS110", 4)]),
    # several heredocs on one instruction: each body's lines are its own
    ("run-two-heredocs",
     wrap("RUN <<A cat > /a && <<B cat > /b", "first = 1", "A", f"api_key = {PASSWORD}", "B"),
     [("HS110", 5)]),
    ("copy-two-heredocs",
     wrap("COPY <<A /a <<B /b", f"secret: {PASSWORD}", "A", "plain: text", "B"),
     [("HS110", 3)]),
    ("run-line-export", wrap(f"RUN export API_TOKEN={PASSWORD} && ./deploy.sh"), [("HS110", 2)]),
    ("run-line-echo",
     wrap(f"RUN echo \"password={PASSWORD}\" > /etc/app.conf && chmod 600 /etc/app.conf"),
     [("HS110", 2)]),
    ("run-continued", wrap("RUN set -e && \\", f"    export SECRET_KEY={PASSWORD}"),
     [("HS110", 2)]),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in HS110_TEXT_CASES],
    ids=[c[0] for c in HS110_TEXT_CASES],
)
def test_hs110_literal_secret_in_command_or_heredoc_on_its_line(
    text: str, expected: list[tuple[str, int]]
) -> None:
    assert hits(text) == expected  # and nothing else fires
    for hit in run(text):
        assert hit.rule.default_severity is Severity.HIGH
        assert PASSWORD not in hit.message and TOKEN not in hit.message
        assert hit.fingerprint_basis is not None and PASSWORD not in hit.fingerprint_basis


@pytest.mark.parametrize(
    "text",
    [
        wrap("RUN chromium --password-store=basic --headless about:blank"),
        wrap("RUN export API_TOKEN=$(cat /run/secrets/token) && ./deploy.sh"),
        wrap("RUN --mount=type=secret,id=tok,env=API_TOKEN ./deploy.sh"),
        wrap("RUN <<EOF", 'export API_TOKEN="${API_TOKEN}"', "echo TOKEN=GITHUB_TOKEN", "EOF"),
        wrap("RUN python3 <<EOF", 'password = os.environ["PASSWORD"]',
             "token = settings.API_TOKEN", "EOF"),
        wrap("COPY <<EOF /etc/app.conf", "password_file = /run/secrets/db", "token: <changeme>",
             "EOF"),
        wrap("RUN SECRET_KEY=dummy python manage.py collectstatic --noinput"),
        wrap('RUN pip install --no-cache-dir "keyring==24.3.0"'),
    ],
    ids=["option", "command-substitution", "secret-mount", "references", "python-expressions",
         "file-paths-and-templates", "placeholder", "keyring-package"],
)
def test_hs110_not_a_literal_secret(text: str) -> None:
    assert hits(text) == []


def test_hs110_one_hit_per_instruction_for_env_and_text() -> None:
    # The ENV assignment is reported; the same value is not reported again as instruction text.
    assert hits(wrap("ENV AWS_KEY=AKIAIOSFODNN7EXAMPLE")) == [("HS110", 2)]
    assert hits(wrap("ENV DB_PASSWORD=s3cr3tvalue API_TOKEN=abcdef123456")) == [
        ("HS110", 2),
        ("HS110", 2),
    ]


# ---------------------------------------------------------------------------- HS112 file system


def test_hs112_fires_without_dockerignore(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    text = wrap("COPY requirements.txt /app/", "COPY . /app")
    path.write_text(text)
    assert hits(text, path=path) == [("HS112", 3)]
    assert "beside Dockerfile" in one(text, "HS112", path=path).message


def test_hs112_quiet_with_dockerignore(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    text = wrap("COPY . /app", "ADD . /src")
    path.write_text(text)
    (tmp_path / ".dockerignore").write_text(".git\n.env*\n")
    assert hits(text, path=path) == []


def test_hs112_quiet_with_per_dockerfile_ignore_file(tmp_path: Path) -> None:
    path = tmp_path / "api.Dockerfile"
    text = wrap("COPY . /app")
    path.write_text(text)
    assert hits(text, path=path) == [("HS112", 2)]
    (tmp_path / "api.Dockerfile.dockerignore").write_text(".git\n")
    assert hits(text, path=path) == []


def test_hs112_dockerignore_must_be_beside_the_dockerfile(tmp_path: Path) -> None:
    sub = tmp_path / "docker"
    sub.mkdir()
    path = sub / "Dockerfile"
    text = wrap("COPY . /app")
    path.write_text(text)
    (tmp_path / ".dockerignore").write_text(".git\n")
    assert hits(text, path=path) == [("HS112", 2)]


# ---------------------------------------------------------------------------- HS111 by name


@pytest.mark.parametrize(
    "source",
    [
        ".env", "config/.env.production", ".env.local", ".env*", "prod.env", "id_rsa",
        "keys/id_ed25519_deploy", "certs/*.pem", "server.key", "client.p12", "cert.pfx",
        ".aws/credentials", ".docker/config.json", ".git-credentials", ".npmrc", ".pypirc",
        ".netrc", "credentials.json", "gcp-service-account.json", "sa/key.json",
        "my-app-firebase-adminsdk-x1y2.json", "client_secret_123.apps.json", ".my.cnf",
        "kubeconfig", ".ssh/", ".kube/config",
    ],
)
def test_hs111_credential_file_named_in_copy(source: str) -> None:
    for keyword in ("COPY", "ADD"):
        text = wrap(f"{keyword} {source} /app/")
        assert hits(text) == [("HS111", 2)]
        assert f"copies {source!r}" in one(text, "HS111").message
        assert one(text, "HS111").rule.default_severity is Severity.HIGH
    assert hits(wrap(f'COPY --chown=app ["{source}", "/app/"]')) == [("HS111", 2)]


@pytest.mark.parametrize(
    "source",
    [
        ".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults",
        ".env.local.example", "example.env", "config/.env.sample", "id_rsa.pub",
        "package.json", "tsconfig.json", "keys.txt", "environment.py", "monkey.json",
        "src/", ".",
    ],
)
def test_hs111_not_a_credential_file(source: str) -> None:
    assert hits(wrap(f"COPY {source} /app/"), path=NOWHERE) in ([], [("HS112", 2)])
    assert "HS111" not in {h.rule.id for h in run(wrap(f"COPY {source} /app/"))}


# ---------------------------------------------------------------------------- HS111 in the context

PRIVATE_PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"
CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----\n"


def _context(root: Path, files: dict[str, str], dockerignore: str | None = None,
             folder: str = "app") -> Path:
    base = root / folder
    for rel, content in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    if dockerignore is not None:
        (base / ".dockerignore").write_text(dockerignore)
    return base / "Dockerfile"


def context_hits(text: str, path: Path, root: Path) -> list[Hit]:
    path.write_text(text)
    context = RuleContext(path=path, trusted_registries=None, root=root)
    return [h for h in rules.check(parse(text), context) if h.rule.id not in QUIET]


CONTEXT_FILES = {
    ".env": "DB_PASSWORD=s3cr3t\n",
    ".env.example": "DB_PASSWORD=\n",
    "config/.env.production": "API_TOKEN=abc\n",
    "src/app.py": "print('hi')\n",
    "keys/id_rsa.pub": "ssh-rsa AAAA\n",
    "certs/ca.pem": CERT_PEM,
    "certs/server.key": PRIVATE_PEM,
    ".npmrc": "package-lock=false\n",
    ".aws/credentials": "[default]\n",
    "node_modules/pkg/test/key.pem": PRIVATE_PEM,  # dependency folders are not listed
}


def test_hs111_copy_context_names_the_credential_files_the_dockerignore_lets_in(
    tmp_path: Path,
) -> None:
    path = _context(tmp_path, CONTEXT_FILES, ".git\n# the build output\ndist/\n")
    found = context_hits(wrap("COPY requirements.txt /app/", "COPY . /app"), path, tmp_path)
    assert [(h.rule.id, h.line) for h in found] == [("HS111", 3)]  # no HS112: there is one
    message = found[0].message
    assert message.startswith("COPY . copies ")
    assert message.endswith("from the build context into the image; .dockerignore does not "
                            "exclude them")
    for name in (".env", "config/.env.production", "certs/server.key", ".aws/credentials"):
        assert name in message
    for name in (".env.example", "app.py", "id_rsa.pub", "ca.pem", ".npmrc", "node_modules"):
        assert name not in message


@pytest.mark.parametrize(
    ("dockerignore", "reported"),
    [
        (".env\n", ["config/.env.production", "certs/server.key", ".aws/credentials"]),
        ("**/.env*\n**/*.key\n.aws\n", []),
        ("**/.env*\n!config/.env.production\n/certs/\n./.aws/\n", ["config/.env.production"]),
        ("*\n!src\n", []),  # only src/ is sent
        ("  # not a comment: space first\n**\n!**/.env\n", [".env"]),
        ("**/.env?*\ncerts/*.key\n.aws/credentials\n", [".env"]),
    ],
    ids=["root-only", "globstar", "exception", "allow-list", "all-but-env", "question-mark"],
)
def test_hs111_dockerignore_semantics(tmp_path: Path, dockerignore: str,
                                      reported: list[str]) -> None:
    path = _context(tmp_path, CONTEXT_FILES, dockerignore)
    found = context_hits(wrap("COPY ./ /app"), path, tmp_path)
    if not reported:
        assert found == []
        return
    assert [(h.rule.id, h.line) for h in found] == [("HS111", 2)]
    named = found[0].message.split(" copies ", 1)[1].split(" from the build context")[0]
    assert sorted(named.split(", ")) == sorted(f"'{name}'" for name in reported)


def test_hs111_copy_context_without_dockerignore_is_hs111_not_hs112(tmp_path: Path) -> None:
    path = _context(tmp_path, {".env": "A=1\n", "main.go": "package main\n"})
    found = context_hits(wrap("COPY . ."), path, tmp_path)
    assert [(h.rule.id, h.line) for h in found] == [("HS111", 2)]
    assert found[0].message == ("COPY . copies '.env' from the build context into the image; "
                                "there is no .dockerignore beside Dockerfile")
    (path.parent / ".env").unlink()
    assert [(h.rule.id, h.line) for h in context_hits(wrap("COPY . ."), path, tmp_path)] == [
        ("HS112", 2)]


def test_hs111_folder_and_wildcard_sources(tmp_path: Path) -> None:
    path = _context(tmp_path, CONTEXT_FILES, ".git\n")
    found = context_hits(wrap("COPY src /app/src", "COPY config/ /app/config/",
                              "COPY cert? /app/"), path, tmp_path)
    assert [(h.rule.id, h.line) for h in found] == [("HS111", 3), ("HS111", 4)]
    assert "config/.env.production" in found[0].message
    assert "certs/server.key" in found[1].message and "ca.pem" not in found[1].message


def test_hs111_named_file_content_decides_for_certificates_and_settings(tmp_path: Path) -> None:
    path = _context(tmp_path, {"ca.pem": CERT_PEM, "tls.key": PRIVATE_PEM,
                               ".npmrc": "package-lock=false\n",
                               "priv/.npmrc": "//registry.npmjs.org/:_authToken=abc\n"},
                    ".git\n")
    (path.parent / "repo.gpg").write_bytes(b"\x99\x01\x0d\x04")  # an OpenPGP public key packet
    text = wrap("COPY ca.pem /usr/local/share/ca-certificates/", "COPY tls.key /etc/tls/",
                "COPY .npmrc ./", "COPY repo.gpg /etc/apt/keyrings/", "COPY priv/.npmrc ./")
    assert [(h.rule.id, h.line) for h in context_hits(text, path, tmp_path)] == [
        ("HS111", 3), ("HS111", 6)]
    # without the files to read, the names decide
    assert hits(text) == [("HS111", 2), ("HS111", 3), ("HS111", 4), ("HS111", 5), ("HS111", 6)]


def test_hs111_builder_stage_context_only_counts_when_the_final_image_takes_it(
    tmp_path: Path,
) -> None:
    path = _context(tmp_path, {".env": "A=1\n", "main.go": "package main\n"}, ".git\n")
    builder = [f"FROM golang:1.22@{DIGEST} AS build", "WORKDIR /src", "COPY . .",
               "RUN go build -o /out/app ."]
    binary_only = dockerfile(*builder, FROM_OK, "COPY --from=build /out/app /app", "USER app")
    assert context_hits(binary_only, path, tmp_path) == []
    whole = dockerfile(*builder, FROM_OK, "COPY --from=build /src /app", "USER app")
    assert [(h.rule.id, h.line) for h in context_hits(whole, path, tmp_path)] == [("HS111", 3)]
    # a stage the final one is built FROM ships everything
    based = dockerfile(*builder, "FROM build", "USER app")
    assert [(h.rule.id, h.line) for h in context_hits(based, path, tmp_path)] == [("HS111", 3)]


def test_hs111_context_listing_never_leaves_the_repository(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".env").write_text("A=1\n")
    (outside / "server.key").write_text(PRIVATE_PEM)
    root = tmp_path / "repo"
    path = _context(root, {"main.go": "package main\n"}, ".git\n")
    (path.parent / ".env").symlink_to(outside / ".env")  # a link is copied as a link
    (path.parent / "linked").symlink_to(outside, target_is_directory=True)
    assert context_hits(wrap("COPY . ."), path, root) == []
    # a .dockerignore that is a link out of the repository is not read
    (path.parent / ".dockerignore").unlink()
    (outside / "ignore").write_text("nothing\n")
    (path.parent / ".dockerignore").symlink_to(outside / "ignore")
    (path.parent / "real.key").write_text(PRIVATE_PEM)
    assert context_hits(wrap("COPY . ."), path, root) == []
    # a Dockerfile whose folder is outside the root is not listed
    other = _context(tmp_path, {".env": "A=1\n"}, ".git\n", folder="elsewhere")
    assert context_hits(wrap("COPY . ."), other, root) == []


def test_hs111_credential_wildcard_judged_by_what_it_matches(tmp_path: Path) -> None:
    path = _context(tmp_path, {"certs/ca.pem": CERT_PEM, "certs/other.pem": CERT_PEM,
                               "keys/tls.key": PRIVATE_PEM}, ".git\n")
    assert context_hits(wrap("COPY certs/*.pem /usr/local/share/ca-certificates/"), path,
                        tmp_path) == []
    found = context_hits(wrap("COPY keys/*.key /etc/tls/"), path, tmp_path)
    assert [(h.rule.id, h.line) for h in found] == [("HS111", 2)]
    assert found[0].message.startswith("COPY keys/*.key copies 'keys/tls.key' from the build")
    assert hits(wrap("COPY certs/*.pem /certs/")) == [("HS111", 2)]  # nothing to list: the name


def test_hs111_copy_exclude_flags_and_odd_file_names(tmp_path: Path) -> None:
    path = _context(tmp_path, CONTEXT_FILES, ".git\n")
    text = wrap("COPY --exclude=.env --exclude=**/*.key --exclude=.aws . /app")
    found = context_hits(text, path, tmp_path)
    assert [(h.rule.id, h.line) for h in found] == [("HS111", 2)]
    assert "copies 'config/.env.production' from" in found[0].message
    everything = wrap("COPY --exclude=**/.env* --exclude=**/*.key --exclude=.aws . /app")
    assert context_hits(everything, path, tmp_path) == []
    (path.parent / "odd\nname.env").write_text("A=1\n")
    found = context_hits(wrap("COPY --exclude=**/.env* --exclude=**/*.key --exclude=.aws . /a"),
                         path, tmp_path)
    assert [h.message for h in found] == [
        "COPY . copies 'odd?name.env' from the build context into the image; .dockerignore "
        "does not exclude them"]


def test_hs111_build_context_from_a_compose_service(tmp_path: Path) -> None:
    # compose.yaml at the top builds docker/Dockerfile with the top folder as its context
    (tmp_path / "docker").mkdir()
    path = tmp_path / "docker" / "Dockerfile"
    (tmp_path / ".env").write_text("DB_PASSWORD=s3cr3t\n")
    (tmp_path / "docker" / ".dockerignore").write_text(".env\n")  # not the context's: unused
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    build:\n      context: .\n      dockerfile: docker/Dockerfile\n"
        "  other:\n    build: ./other\n  remote:\n    build: https://github.com/x/y.git\n")
    found = context_hits(wrap("COPY . /app"), path, tmp_path)
    assert [(h.rule.id, h.line) for h in found] == [("HS111", 2)]
    assert found[0].message == (
        "COPY . copies '.env' from the build context into the image; there is no .dockerignore "
        "in its build context ./ (compose.yaml's build.context)")
    (tmp_path / ".env").unlink()
    found = context_hits(wrap("COPY . /app"), path, tmp_path)
    assert [(h.rule.id, h.line) for h in found] == [("HS112", 2)]
    assert "no .dockerignore in its build context ./ (compose.yaml's" in found[0].message
    (tmp_path / ".dockerignore").write_text(".git\n")
    assert context_hits(wrap("COPY . /app"), path, tmp_path) == []
    # a broken Compose file, or one that builds another Dockerfile, leaves the default
    (tmp_path / "compose.yaml").write_text("services: [\n")
    (tmp_path / "docker" / "app.key").write_text(PRIVATE_PEM)
    (tmp_path / "docker" / ".dockerignore").write_text(".git\n")
    found = context_hits(wrap("COPY . /app"), path, tmp_path)
    assert [(h.rule.id, h.line) for h in found] == [("HS111", 2)]
    assert "copies 'app.key'" in found[0].message


def test_hs111_context_listing_stops_at_its_bound_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hullscan.dockerfile import context as build_context

    monkeypatch.setattr(build_context, "MAX_ENTRIES", 5)
    files = {f"data/{i:02}.txt": "x\n" for i in range(20)}
    path = _context(tmp_path, {**files, "zz/.env": "A=1\n"}, ".git\n")
    text = wrap("COPY . /app", "COPY . /again")
    path.write_text(text)
    context = RuleContext(path=path, trusted_registries=None, root=tmp_path)
    assert [h for h in rules.check(parse(text), context) if h.rule.id == "HS111"] == []
    assert context.notes == [(2, "the build context of Dockerfile has more than 5 files and "
                                 "folders: only the first 5 were checked for credential files "
                                 "that COPY copies")]  # once per Dockerfile


def test_read_dockerignore_follows_docker() -> None:
    from hullscan.dockerfile.context import read_dockerignore

    rules_ = read_dockerignore(
        "\ufeff# comment\n\n .env \n/abs/\n./dot\n**/*.log\n!keep.log\na/**/b\n"
        "*.md\n!README*.md\ndocs/[a-c].txt\nesc\\*aped\n")
    for rel, excluded in [
        (".env", True), ("x/.env", False), ("abs/f", True), ("dot/x/y", True),
        ("l.log", True), ("x/y/l.log", True), ("keep.log", False), ("a/b", True),
        ("a/x/y/b/c", True), ("a/bb", False), ("x.md", True), ("README.md", False),
        ("README-dev.md", False), ("sub/x.md", False), ("docs/b.txt", True),
        ("docs/d.txt", False), ("esc*aped", True), ("escXaped", False),
    ]:
        assert rules_.excluded(rel) is excluded, rel


# ---------------------------------------------------------------------------- checker + CLI


def _hullscan() -> str:
    local = Path(sys.executable).with_name("hullscan")
    found = str(local) if local.is_file() else shutil.which("hullscan")
    if found is None:
        pytest.skip("hullscan console script not installed")
    return found


def _hadolint() -> str:
    local = Path(sys.executable).with_name("hadolint")
    found = str(local) if local.is_file() else shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint not installed")
    return found


CHECKER_DOCKERFILE = dockerfile(
    "FROM python:latest",
    "RUN apt-get update && apt-get install -y curl",
    "USER root",
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / "Dockerfile").write_text(CHECKER_DOCKERFILE)
    return root


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HULLSCAN_")}
    return subprocess.run(
        [_hullscan(), "dockerfile", "Dockerfile", "--format", "json", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def cli_report(repo: Path) -> tuple[int, dict[str, Any]]:
    proc = _cli(repo)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _by_rule(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["rule"]["id"], []).append(finding)
    return found


def test_hadolint_itself_reports_the_superseded_rules(repo: Path) -> None:
    # Guard for the tests below: they would pass vacuously if hadolint stopped reporting these.
    proc = subprocess.run(
        [_hadolint(), "--no-fail", "-f", "json", "Dockerfile"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    raw = {(item["code"], item["line"]) for item in json.loads(proc.stdout)}
    assert {("DL3007", 1), ("DL3002", 3), ("DL3008", 2)} <= raw


def test_checker_supersedes_hadolint_with_own_rules(
    cli_report: tuple[int, dict[str, Any]],
) -> None:
    _, report = cli_report
    assert report["checkers"][0]["successful"] is True
    found = _by_rule(report)
    assert "DL3007" not in found  # superseded by HS102 on line 1
    assert "DL3002" not in found  # superseded by HS100 on line 3
    assert [f["location"]["start_line"] for f in found["HS102"]] == [1]
    assert found["HS102"][0]["severity"] == "high"
    assert [f["location"]["start_line"] for f in found["HS100"]] == [3]


def test_checker_keeps_other_hadolint_findings(cli_report: tuple[int, dict[str, Any]]) -> None:
    _, report = cli_report
    dl3008 = _by_rule(report)["DL3008"]
    assert [f["location"]["start_line"] for f in dl3008] == [2]
    assert dl3008[0]["severity"] == "medium"
    assert dl3008[0]["checker"] == "dockerfile"


def test_cli_exit_codes(repo: Path, cli_report: tuple[int, dict[str, Any]]) -> None:
    code, report = cli_report
    assert code == 1
    assert report["summary"]["by_severity"]["high"] >= 2
    relaxed = _cli(repo, "--fail-on", "never")
    assert relaxed.returncode == 0, relaxed.stderr
    assert json.loads(relaxed.stdout)["summary"]["findings"] == report["summary"]["findings"]


def test_cli_missing_healthcheck_is_low_and_does_not_block(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "Dockerfile").write_text(dockerfile(
        "# a clean file but for the health check", FROM_OK, "COPY app.py /app/", "USER 10001"))
    proc = _cli(tmp_path)
    report = json.loads(proc.stdout)
    assert [(f["rule"]["id"], f["location"]["start_line"], f["severity"])
            for f in report["findings"] if f["suppression"] is None] == [("HS134", 2, "low")]
    assert proc.returncode == 0, proc.stderr  # the default fail_on is high
    assert _cli(tmp_path, "--fail-on", "low").returncode == 1


APT_DOCKERFILE = dockerfile(
    FROM_OK,
    "RUN apt-get update && apt-get install -y curl=8.5.0-2 && rm -rf /var/lib/apt/lists/*",
    "USER 10001",
    "HEALTHCHECK NONE",
)


def _rule_lines(report: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(f["rule"]["id"], f["location"]["start_line"], f["severity"])
            for f in report["findings"]]


def test_dl3015_no_install_recommends_is_low_lint(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "Dockerfile").write_text(APT_DOCKERFILE)
    raw = subprocess.run([_hadolint(), "--no-fail", "-f", "json", "Dockerfile"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, check=False)
    assert [i["code"] for i in json.loads(raw.stdout)] == ["DL3015"]  # guard: real hadolint
    proc = _cli(tmp_path)
    assert _rule_lines(json.loads(proc.stdout)) == [("DL3015", 2, "low")]
    assert proc.returncode == 0, proc.stderr
    # a .hadolint.yaml that raises it does not make it block: it is lint, not security
    (tmp_path / ".hadolint.yaml").write_text("override:\n  error:\n    - DL3015\n")
    raised = subprocess.run([_hadolint(), "--no-fail", "-f", "json", "Dockerfile"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            check=False)
    assert [i["level"] for i in json.loads(raised.stdout)] == ["error"]  # guard
    proc = _cli(tmp_path)
    assert _rule_lines(json.loads(proc.stdout)) == [("DL3015", 2, "low")]
    assert proc.returncode == 0, proc.stderr
    # hullscan's own severity setting is the way to make it block
    (tmp_path / ".hullscan.yaml").write_text("severity:\n  DL3015: high\n")
    proc = _cli(tmp_path)
    assert _rule_lines(json.loads(proc.stdout)) == [("DL3015", 2, "high")]
    assert proc.returncode == 1


def test_dl3015_override_is_documented() -> None:
    from hullscan.checkers.dockerfile import SEVERITY_OVERRIDES

    doc = (Path(__file__).parents[1] / "docs" / "rules.md").read_text()
    assert SEVERITY_OVERRIDES["DL3015"][0] is Severity.LOW
    for code, (severity, why) in SEVERITY_OVERRIDES.items():
        assert f"| {code} | {severity.value} | {why} |" in doc


def test_cli_copy_context_with_a_dockerignore_that_lets_env_in(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "Dockerfile").write_text(dockerfile(
        FROM_OK, "WORKDIR /app", "COPY . .", "USER 10001", "HEALTHCHECK NONE"))
    (tmp_path / ".dockerignore").write_text(".git\n*.md\n")
    (tmp_path / ".env").write_text("DB_PASSWORD=not-committed\n")  # untracked, still sent
    (tmp_path / ".env.example").write_text("DB_PASSWORD=\n")
    (tmp_path / "README.md").write_text("# app\n")
    proc = _cli(tmp_path)
    report = json.loads(proc.stdout)
    assert _rule_lines(report) == [("HS111", 3, "high")]
    assert "copies '.env' from the build context" in report["findings"][0]["message"]
    assert proc.returncode == 1
    (tmp_path / ".dockerignore").write_text(".git\n*.md\n.env\n")
    proc = _cli(tmp_path)
    assert _rule_lines(json.loads(proc.stdout)) == []
    assert proc.returncode == 0, proc.stderr


def test_cli_secret_in_a_heredoc_is_one_finding_on_its_body_line(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "Dockerfile").write_text(dockerfile(
        FROM_OK, "RUN <<EOF", "set -e", "export API_TOKEN=Zx81kLq02mVbT7rN",
        'echo "password=Hq7vX2pLm9sK" > /etc/app.conf', "EOF", "USER 10001",
        "HEALTHCHECK NONE"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HULLSCAN_")}
    proc = subprocess.run([_hullscan(), "scan", "--format", "json"], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    report = json.loads(proc.stdout)
    # every checker ran (the secrets checker too): one finding per secret, on its own line
    assert _rule_lines(report) == [("HS110", 4, "high"), ("HS110", 5, "high")]
    # the secrets checker's HS210 on the same body lines is part of them, not a second finding
    for finding in report["findings"]:
        assert [(a["ruleId"], a["checker"]) for a in finding["properties"]["alsoReportedAs"]] == [
            ("HS210", "secrets")]
    assert "Zx81kLq02mVbT7rN" not in proc.stdout and "Hq7vX2pLm9sK" not in proc.stdout
    assert proc.returncode == 1


# ---------------------------------------------------------------------------- BuildKit heredocs
# Rules that read RUN commands see the body of a heredoc that is a shell script, on the body's
# own line; a heredoc that is a program's stdin or a file's content is not shell.

HEREDOC_CASES: list[tuple[str, str, list[tuple[str, int]]]] = [
    (
        "plain-curl-sh",
        wrap("RUN <<EOF", "set -e", "curl -fsSL https://x.io/i.sh | sh", "echo done", "EOF"),
        [("HS121", 4)],
    ),
    (
        "dash-tabs-stripped-tls",
        wrap("RUN <<-EOF", "\tapt-get update", "\tcurl -k https://x.io/f -o /f", "\tEOF"),
        [("HS122", 4)],
    ),
    (
        "quoted-chmod",
        wrap("RUN <<'EOF'", "mkdir /data", "chmod 777 /data", "EOF"),
        [("HS130", 4)],
    ),
    (
        "bash-sudo",
        wrap("RUN bash -e <<EOF", "id", "sudo make install", "EOF"),
        [("HS131", 4)],
    ),
    (
        "sh-continuation-ssh",
        wrap("RUN sh <<\"EOF\"", "apt-get install -y \\", "    openssh-server", "EOF"),
        [("HS133", 3)],
    ),
    (
        "marker-then-shell",
        wrap("RUN <<EOF bash -e", "id", "curl -fsSL https://x.io/i.sh | bash", "EOF"),
        [("HS121", 4)],
    ),
    (
        "comment-after-heredoc",
        wrap("RUN <<EOF", "# curl | sh in a comment is not a command", "EOF",
             "# a comment after the heredoc", "RUN wget -qO- https://x.io/i.sh | bash"),
        [("HS121", 6)],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in HEREDOC_CASES], ids=[c[0] for c in HEREDOC_CASES]
)
def test_rules_inside_shell_heredocs(text: str, expected: list[tuple[str, int]]) -> None:
    assert hits(text) == expected  # and no other line fires
    for found in run(text):
        assert found.rule.default_severity in (Severity.HIGH, Severity.MEDIUM)


def test_heredoc_rule_severities() -> None:
    assert one(HEREDOC_CASES[0][1], "HS121").rule.default_severity is Severity.HIGH
    tls = one(HEREDOC_CASES[1][1], "HS122")
    assert tls.rule.default_severity is rules.TLS_DISABLED.default_severity
    assert tls.rule.default_severity in (Severity.HIGH, Severity.MEDIUM)


@pytest.mark.parametrize(
    "text",
    [
        # the body is python's stdin, not shell
        wrap("RUN python3 <<EOF", "print('curl -fsSL https://x.io | sh')", "EOF"),
        # the body is a file's content
        wrap("COPY <<EOF /usr/local/bin/setup.sh", "curl -k https://x.io | sh", "EOF"),
        wrap("RUN cat <<EOF > /etc/motd", "sudo chmod 777 / is not run", "EOF"),
        # several heredocs on one line are files
        wrap("COPY <<a.txt <<b.txt /dest/", "curl x | sh", "a.txt", "sudo ls", "b.txt"),
        # several heredocs on a RUN are its commands' stdin, not scripts
        wrap("RUN <<A cat > /a && <<B cat > /b", "curl x | sh", "A", "sudo ls", "B"),
        wrap("RUN <<A <<B", "chmod 777 /", "A", "curl -k https://x.io | sh", "B"),
        wrap("RUN <<EOF cat > /usr/local/bin/x", "curl x | sh", "EOF"),
    ],
    ids=["python-stdin", "copy-file", "cat-to-file", "copy-two-files", "run-two-to-files",
         "run-two-bare", "marker-then-cat"],
)
def test_non_shell_heredoc_bodies_are_not_commands(text: str) -> None:
    assert hits(text) == []


def test_buildkit_flags_and_directive_stay_clean() -> None:
    text = dockerfile(
        "# syntax=docker/dockerfile:1.7",
        FROM_OK,
        "RUN --mount=type=cache,target=/root/.cache --network=none <<EOF",
        "pip install --no-cache-dir .",
        "EOF",
        "COPY --link --chown=app app.py /app/",
        f"ADD --checksum=sha256:{'a' * 64} https://x.io/f.tgz /tmp/",
        "USER app",
    )
    assert hits(text) == []


HEREDOC_DOCKERFILE = dockerfile(
    "# syntax=docker/dockerfile:1.4",
    "FROM python:latest",
    "RUN <<EOF",
    "curl -fsSL https://x.io/i.sh | sh",
    "EOF",
    "# a comment after the heredoc: hadolint cannot parse this",
    "USER app",
)


def test_hadolint_dl1000_on_buildkit_heredoc_becomes_a_notification(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "Dockerfile").write_text(HEREDOC_DOCKERFILE)
    raw = subprocess.run([_hadolint(), "--no-fail", "-f", "json", "Dockerfile"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, check=False)
    assert "DL1000" in {item["code"] for item in json.loads(raw.stdout)}  # guard
    proc = _cli(tmp_path, "--fail-on", "critical")
    report = json.loads(proc.stdout)
    found = _by_rule(report)
    assert "DL1000" not in found
    assert [f["location"]["start_line"] for f in found["HS121"]] == [4]  # own rules ran
    assert found["HS121"][0]["severity"] == "high"
    notes = [n for n in report["notifications"] if "hadolint cannot parse" in n["message"]]
    assert len(notes) == 1
    assert notes[0]["level"] == "warning"
    assert notes[0]["path"] == "Dockerfile"
    assert "its rules did not run on this file" in notes[0]["message"]
    assert proc.returncode == 0, proc.stderr  # the notification does not change the exit code


def test_dl1000_stays_a_finding_when_hullscan_also_rejects_the_file(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "Dockerfile").write_text(dockerfile(
        FROM_OK, "RUN <<EOF", "echo hi", "EOF", "# comment", "RUN <<EOF", "echo never closed",
    ))
    proc = _cli(tmp_path)
    found = _by_rule(json.loads(proc.stdout))
    assert [f["severity"] for f in found["DL1000"]] == ["high"]
    assert proc.returncode == 1


def test_dl1000_stays_a_finding_on_a_file_without_buildkit_syntax(tmp_path: Path) -> None:
    # hullscan's tolerant parser keeps `EXPOSE 80:abc`, but nothing BuildKit-specific explains
    # hadolint's failure: it stays a finding.
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "Dockerfile").write_text(wrap("EXPOSE 80:abc"))
    proc = _cli(tmp_path)
    report = json.loads(proc.stdout)
    assert [(f["location"]["start_line"], f["severity"]) for f in _by_rule(report)["DL1000"]] == [
        (2, "high")
    ]
    assert not [n for n in report["notifications"] if "hadolint cannot parse" in n["message"]]
    assert proc.returncode == 1
