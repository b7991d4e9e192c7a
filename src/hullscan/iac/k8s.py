"""hullscan's own rules on Kubernetes manifests, where checkov has no check or a coarser one:
every image reference (containers, initContainers, ephemeralContainers of every workload kind)
against the shared image-trust rules, every hostPath volume, and every binding to the
ClusterRole cluster-admin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hullscan.containers.images import image_issues
from hullscan.containers.workloads import CLUSTER_ADMIN_BOUND, HOST_PATH, RUNTIME_SOCKETS
from hullscan.core.config import Config
from hullscan.core.model import Finding, Location, Severity
from hullscan.core.yamlsafe import line_of, start_line
from hullscan.discover import Target

CHECKER = "iac"
_TEMPLATE_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}
)
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def pod_specs(document: Any) -> Iterator[tuple[str, Any]]:
    """(workload name, pod spec mapping) for every pod template in a manifest document."""
    if not isinstance(document, dict):
        return
    kind = document.get("kind")
    if kind == "List":
        for item in document.get("items") or []:
            yield from pod_specs(item)
        return
    metadata = document.get("metadata")
    name = f"{kind}/{metadata.get('name', '?') if isinstance(metadata, dict) else '?'}"
    spec = document.get("spec")
    if not isinstance(spec, dict):
        return
    if kind == "Pod":
        yield name, spec
    elif kind in _TEMPLATE_KINDS:
        template = _get(_get(spec, "template"), "spec")
        if isinstance(template, dict):
            yield name, template
    elif kind == "CronJob":
        template = _get(_get(_get(_get(spec, "jobTemplate"), "spec"), "template"), "spec")
        if isinstance(template, dict):
            yield name, template


def _get(node: Any, key: str) -> Any:
    return node.get(key) if isinstance(node, dict) else None


def own_findings(target: Target, documents: list[Any], config: Config) -> Iterator[Finding]:
    for document in documents:
        for workload, spec in pod_specs(document):
            yield from _images(target, workload, spec, config)
            yield from _host_paths(target, workload, spec)
        yield from _cluster_admin_bindings(target, document)


_BINDING_KINDS = frozenset({"ClusterRoleBinding", "RoleBinding"})


def _documents(document: Any) -> Iterator[Any]:
    """A document, or the items of a `kind: List`."""
    if isinstance(document, dict) and document.get("kind") == "List":
        for item in document.get("items") or []:
            yield from _documents(item)
    else:
        yield document


def _subject(subject: Any) -> str:
    if not isinstance(subject, dict):
        return "?"
    kind, name = str(subject.get("kind") or "?"), str(subject.get("name") or "?")
    namespace = subject.get("namespace")
    return f"{kind} {namespace}/{name}" if kind == "ServiceAccount" and namespace else \
        f"{kind} {name}"


def _cluster_admin_bindings(target: Target, document: Any) -> Iterator[Finding]:
    """HS147: a (Cluster)RoleBinding whose roleRef is the ClusterRole cluster-admin, on the
    roleRef's `name:` line, naming the subjects."""
    for item in _documents(document):
        if not isinstance(item, dict) or item.get("kind") not in _BINDING_KINDS:
            continue
        ref = item.get("roleRef")
        if not isinstance(ref, dict) or ref.get("name") != "cluster-admin" \
                or ref.get("kind", "ClusterRole") != "ClusterRole":
            continue
        metadata = item.get("metadata")
        name = metadata.get("name", "?") if isinstance(metadata, dict) else "?"
        binding = f"{item['kind']}/{name}"
        subjects = item.get("subjects")
        names = [_subject(s) for s in subjects] if isinstance(subjects, list) else []
        who = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        scope = "the whole cluster" if item["kind"] == "ClusterRoleBinding" else (
            f"namespace {metadata.get('namespace')}"
            if isinstance(metadata, dict) and metadata.get("namespace") else "its namespace")
        message = (f"{binding} grants cluster-admin (every permission on {scope}) to "
                   f"{who or 'no subjects listed'}")
        line = line_of(ref, "name") or line_of(item, "roleRef") or start_line(item) or 1
        yield Finding(
            rule=CLUSTER_ADMIN_BOUND, checker=CHECKER,
            severity=CLUSTER_ADMIN_BOUND.default_severity, message=message,
            location=Location(target.rel, line),
            fingerprint_basis=f"{binding} cluster-admin",
            properties={"cwe": list(CLUSTER_ADMIN_BOUND.cwe), "subjects": names},
        )


def _images(target: Target, workload: str, spec: Any, config: Config) -> Iterator[Finding]:
    for list_name in _CONTAINER_LISTS:
        containers = spec.get(list_name)
        if not isinstance(containers, list):
            continue
        for index, container in enumerate(containers):
            if not isinstance(container, dict) or not isinstance(container.get("image"), str):
                continue
            line = line_of(container, "image") or line_of(containers, index) or 1
            what = f"Image of {workload} container {container.get('name', index)!s}"
            for issue in image_issues(container["image"], config.trusted_registries, what):
                yield Finding(
                    rule=issue.rule, checker=CHECKER, severity=issue.rule.default_severity,
                    message=issue.message, location=Location(target.rel, line),
                    fingerprint_basis=f"{workload} image {issue.image}",
                    properties={"cwe": list(issue.rule.cwe)} if issue.rule.cwe else {},
                )


def _host_paths(target: Target, workload: str, spec: Any) -> Iterator[Finding]:
    volumes = spec.get("volumes")
    if not isinstance(volumes, list):
        return
    for volume in volumes:
        if not isinstance(volume, dict) or not isinstance(volume.get("hostPath"), dict):
            continue
        host = volume["hostPath"]
        path = str(host.get("path", ""))
        normalised = path.rstrip("/") or "/"
        line = line_of(host, "path") or line_of(volume, "hostPath") or start_line(volume) or 1
        if normalised == "/" or normalised in RUNTIME_SOCKETS:
            severity = Severity.CRITICAL
            why = (
                "the host's root filesystem" if normalised == "/"
                else "the container runtime socket"
            )
            message = f"{workload} mounts {why} ({path}) from the host: full control of the node"
        else:
            severity = HOST_PATH.default_severity
            message = f"{workload} mounts the host path {path} into its pods"
        yield Finding(
            rule=HOST_PATH, checker=CHECKER, severity=severity, message=message,
            location=Location(target.rel, line),
            fingerprint_basis=f"{workload} hostPath {path}",
            properties={"cwe": list(HOST_PATH.cwe)},
        )
