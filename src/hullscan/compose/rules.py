"""hullscan's own rules for Docker Compose services, with the shared workload rule ids.

Every hit points at the line of the offending key or list item. `also_lines` lists other lines
compose-lint uses for the same problem (a long-syntax mount's list item, while the hit is on its
`source:`), so compose-lint's duplicate can be dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hullscan.compose.positions import item_line, key_line, node_line
from hullscan.containers.images import (
    MUTABLE_IMAGE,
    UNPINNED_IMAGE,
    UNTRUSTED_REGISTRY,
    image_issues,
)
from hullscan.containers.rules import PRIVILEGED, ROOT_USER, SECRET_IN_IMAGE
from hullscan.containers.workloads import (
    CONFINEMENT_DISABLED,
    DANGEROUS_CAPABILITIES,
    DANGEROUS_CAPABILITY,
    EXPOSED_ADMIN_PORT,
    HOST_NAMESPACE,
    HOST_PATH,
    NO_MEMORY_LIMIT,
    RUNTIME_SOCKETS,
    SENSITIVE_PORTS,
    WRITABLE_ROOT_FS,
)
from hullscan.core.model import Rule
from hullscan.core.redact import is_placeholder, is_secret_name, mask, token_kind

ALL_RULES: tuple[Rule, ...] = (
    ROOT_USER, UNPINNED_IMAGE, MUTABLE_IMAGE, UNTRUSTED_REGISTRY, SECRET_IN_IMAGE, PRIVILEGED,
    HOST_PATH, HOST_NAMESPACE, DANGEROUS_CAPABILITY, CONFINEMENT_DISABLED, WRITABLE_ROOT_FS,
    NO_MEMORY_LIMIT, EXPOSED_ADMIN_PORT,
)

# compose-lint rules that one of ours reports on the same line: compose-lint's finding is
# dropped, so a reviewer sees one annotation per problem and one rule id per concept across
# file kinds. A compose-lint finding with no hullscan finding on its line is kept.
SUPERSEDES: dict[str, tuple[str, ...]] = {
    "CL-0001": (HOST_PATH.id,),  # runtime socket (or a folder holding it) mounted
    "CL-0002": (PRIVILEGED.id,),  # privileged: true
    "CL-0004": (MUTABLE_IMAGE.id, UNPINNED_IMAGE.id),  # latest / no tag
    "CL-0005": (EXPOSED_ADMIN_PORT.id,),  # port on all interfaces (kept for other ports)
    "CL-0007": (WRITABLE_ROOT_FS.id,),  # no read_only
    "CL-0008": (HOST_NAMESPACE.id,),  # network_mode: host
    "CL-0009": (CONFINEMENT_DISABLED.id,),  # seccomp/apparmor unconfined
    "CL-0010": (HOST_NAMESPACE.id,),  # pid/ipc: host
    "CL-0011": (DANGEROUS_CAPABILITY.id,),  # dangerous cap_add
    "CL-0018": (ROOT_USER.id,),  # user: root / 0
    "CL-0019": (UNPINNED_IMAGE.id, MUTABLE_IMAGE.id),  # tag without digest
    "CL-0020": (SECRET_IN_IMAGE.id,),  # credential-named env key with a literal value
    "CL-0021": (SECRET_IN_IMAGE.id,),  # credential inside a connection string
    "CL-0024": (DANGEROUS_CAPABILITY.id,),  # SYS_ADMIN & co.: host code execution
    "CL-0025": (HOST_PATH.id,),  # writable host root mounted
    "CL-0026": (NO_MEMORY_LIMIT.id,),  # no memory (and CPU) limit
    "CL-0027": (DANGEROUS_CAPABILITY.id,),  # lesser capability (SYS_PTRACE is one of ours)
    "CL-0028": (DANGEROUS_CAPABILITY.id,),  # capability reaching the host
    "CL-0029": (DANGEROUS_CAPABILITY.id,),  # capability affecting host availability
    "CL-0030": (DANGEROUS_CAPABILITY.id,),  # capability disclosing host data
}


@dataclass(frozen=True)
class Hit:
    """One own-rule finding before it becomes a model Finding."""

    rule: Rule
    line: int
    message: str
    fingerprint_basis: str | None = None
    also_lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class RuleContext:
    trusted_registries: tuple[str, ...] | None


def check(document: Mapping[Any, Any], context: RuleContext) -> Iterator[Hit]:
    """Every hit in a Compose document whose `services` is a mapping."""
    services = document.get("services")
    if not isinstance(services, Mapping):
        return
    for name, service in services.items():
        line = key_line(services, name, node_line(services))
        if not isinstance(service, Mapping):
            continue
        yield from _service(str(name), service, line, context)


def _service(name: str, svc: Mapping[Any, Any], line: int, ctx: RuleContext) -> Iterator[Hit]:
    where = f"Service '{name}'"

    def at(key: str) -> int:
        return key_line(svc, key, line)

    image = svc.get("image")
    if isinstance(image, str) and image.strip() and "$" not in image:
        for issue in image_issues(image.strip(), ctx.trusted_registries, f"{where}: image"):
            yield Hit(issue.rule, at("image"), issue.message)

    if _truthy(svc.get("privileged")):
        yield Hit(PRIVILEGED, at("privileged"),
                  f"{where} runs privileged (`privileged: true`): every capability and the "
                  "host's devices, trivially escapable to host root")

    for key, what in (("network_mode", "network"), ("pid", "PID"), ("ipc", "IPC")):
        value = svc.get(key)
        if isinstance(value, str) and value.strip().lower() == "host":
            yield Hit(HOST_NAMESPACE, at(key),
                      f"{where} shares the host's {what} namespace (`{key}: host`)")

    user = svc.get("user")
    if isinstance(user, (str, int)) and not isinstance(user, bool):
        uid = str(user).strip().split(":", 1)[0]
        if uid in ("root", "0"):
            yield Hit(ROOT_USER, at("user"),
                      f"{where} runs as root (`user: {str(user).strip()}`), overriding any "
                      "non-root USER of the image")

    yield from _capabilities(where, svc.get("cap_add"), at("cap_add"))
    yield from _security_opts(where, svc.get("security_opt"), at("security_opt"))
    yield from _volumes(where, svc.get("volumes"), at("volumes"))
    yield from _ports(where, svc.get("ports"), at("ports"))
    yield from _environment(name, where, svc.get("environment"), at("environment"))

    if not _truthy(svc.get("read_only")):
        yield Hit(WRITABLE_ROOT_FS, line,
                  f"{where} has a writable root filesystem (no `read_only: true`)")
    if not _has_memory_limit(svc):
        cpu = "" if _has_cpu_limit(svc) else " (and no CPU limit)"
        yield Hit(NO_MEMORY_LIMIT, line,
                  f"{where} has no memory limit{cpu}: set `mem_limit` or "
                  "`deploy.resources.limits.memory`")


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in ("true", "yes", "on")


def _items(value: Any) -> Iterator[tuple[int, Any]]:
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        yield from enumerate(value)


def _capabilities(where: str, caps: Any, default: int) -> Iterator[Hit]:
    for i, cap in _items(caps):
        if not isinstance(cap, str):
            continue
        name = cap.strip().upper().removeprefix("CAP_")
        if name in DANGEROUS_CAPABILITIES:
            yield Hit(DANGEROUS_CAPABILITY, item_line(caps, i, default),
                      f"{where} adds the {name} capability (`cap_add`)")


_UNCONFINED = re.compile(r"^(seccomp|apparmor)\s*[:=]\s*unconfined$", re.IGNORECASE)


def _security_opts(where: str, opts: Any, default: int) -> Iterator[Hit]:
    for i, opt in _items(opts):
        if not isinstance(opt, str):
            continue
        m = _UNCONFINED.match(opt.strip())
        if m:
            kind = "seccomp" if m.group(1).lower() == "seccomp" else "AppArmor"
            yield Hit(CONFINEMENT_DISABLED, item_line(opts, i, default),
                      f"{where} disables {kind} confinement (`{opt.strip()}`)")


def _host_path_problem(source: str) -> str | None:
    path = re.sub(r"/+", "/", source.strip())
    if path == "/":
        return "the host's root filesystem `/`"
    path = path.rstrip("/")
    if path in RUNTIME_SOCKETS:
        return f"the container runtime's socket `{path}` (full control of the host)"
    return None


def _volumes(where: str, volumes: Any, default: int) -> Iterator[Hit]:
    for i, volume in _items(volumes):
        line = item_line(volumes, i, default)
        if isinstance(volume, str):
            source = volume.split(":", 1)[0] if ":" in volume else ""
            problem = _host_path_problem(source) if source.startswith("/") else None
            if problem:
                yield Hit(HOST_PATH, line, f"{where} bind-mounts {problem}")
        elif isinstance(volume, Mapping):
            kind = str(volume.get("type") or "").strip().lower()
            long_source = volume.get("source")
            if kind != "bind" or not isinstance(long_source, str):
                continue
            problem = _host_path_problem(long_source)
            if problem:
                yield Hit(HOST_PATH, key_line(volume, "source", line),
                          f"{where} bind-mounts {problem}", also_lines=(line,))


_WILDCARD_HOSTS = ("", "0.0.0.0", "::", "[::]", "*")


def _port_numbers(text: str) -> list[int]:
    """The ports of `5432`, `5430-5440` (a range is capped to its first 1000 ports)."""
    text = text.strip().split("/", 1)[0]
    m = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", text)
    if not m:
        return []
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else first
    return list(range(first, min(last, first + 1000) + 1))


def _short_port(spec: str) -> tuple[str, str] | None:
    """(host_ip, container ports) of `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]`."""
    spec = spec.strip()
    host_ip = ""
    if spec.startswith("["):  # [::1]:5432:5432
        end = spec.find("]")
        if end < 0:
            return None
        host_ip, spec = spec[1:end], spec[end + 1 :].lstrip(":")
    parts = spec.split(":")
    if len(parts) == 3 and not host_ip:
        host_ip = parts[0]
    elif len(parts) > 3:  # an unbracketed IPv6 address
        host_ip = ":".join(parts[:-2])
    return host_ip, parts[-1]


def _ports(where: str, ports: Any, default: int) -> Iterator[Hit]:
    for i, port in _items(ports):
        line = item_line(ports, i, default)
        if isinstance(port, bool):
            continue
        if isinstance(port, (int, str)):
            parsed = _short_port(str(port))
            if parsed is None:
                continue
            host_ip, container = parsed
        elif isinstance(port, Mapping):
            host_ip = str(port.get("host_ip") or "")
            container = str(port.get("target") or "")
        else:
            continue
        if host_ip.strip() not in _WILDCARD_HOSTS:
            continue
        for number in _port_numbers(container):
            service = SENSITIVE_PORTS.get(number)
            if service:
                yield Hit(EXPOSED_ADMIN_PORT, line,
                          f"{where} publishes {service} port {number} on all interfaces; bind "
                          f"it to 127.0.0.1 or do not publish it")
                break


def _environment(service: str, where: str, env: Any, default: int) -> Iterator[Hit]:
    pairs: list[tuple[str, str, int]] = []
    if isinstance(env, Mapping):
        for key, value in env.items():
            if value is None or isinstance(value, (Mapping, list)):
                continue
            pairs.append((str(key), str(value), key_line(env, key, default)))
    else:
        for i, entry in _items(env):
            if isinstance(entry, str) and "=" in entry:
                key, value = entry.split("=", 1)
                pairs.append((key.strip(), value, item_line(env, i, default)))
    for name, value, line in pairs:
        value = value.strip()
        kind = token_kind(value)
        if kind is None and not (is_secret_name(name) and not is_placeholder(value)):
            continue
        yield Hit(SECRET_IN_IMAGE, line,
                  f"{where}: environment {name} holds a literal {kind or 'secret'} "
                  f"({mask(value)}); it is readable with `docker inspect` and in the "
                  "repository's history",
                  f"services.{service}.environment {name}")


def _has_memory_limit(svc: Mapping[Any, Any]) -> bool:
    if _set(svc.get("mem_limit")):
        return True
    return _set(_limits(svc).get("memory"))


def _has_cpu_limit(svc: Mapping[Any, Any]) -> bool:
    return _set(svc.get("cpus")) or _set(svc.get("cpu_quota")) or _set(_limits(svc).get("cpus"))


def _limits(svc: Mapping[Any, Any]) -> Mapping[Any, Any]:
    deploy = svc.get("deploy")
    resources = deploy.get("resources") if isinstance(deploy, Mapping) else None
    limits = resources.get("limits") if isinstance(resources, Mapping) else None
    return limits if isinstance(limits, Mapping) else {}


def _set(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return False
    return str(value).strip() not in ("", "0")
