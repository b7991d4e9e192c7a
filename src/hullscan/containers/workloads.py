"""Runtime restrictions a container workload should have, whatever file describes it (Compose,
Kubernetes, ...): one rule id per concept, shared by every checker that finds the problem.

The Dockerfile's own concepts (HS100 root user, HS101-HS103 image trust, HS110 secrets,
HS132 privileged) are reused from where they are defined.
"""

from __future__ import annotations

from hullscan.containers.images import MUTABLE_IMAGE, UNPINNED_IMAGE, UNTRUSTED_REGISTRY
from hullscan.containers.rules import PRIVILEGED, ROOT_USER, SECRET_IN_IMAGE
from hullscan.core.catalog import make_rule
from hullscan.core.model import Rule, Severity

HOST_PATH = make_rule(
    "HS140", "host-path-mounted", "Host filesystem mounted into a container",
    "A folder or file of the host is mounted into the container (a Kubernetes `hostPath` "
    "volume, a Compose bind mount of a system path). A compromised container can read or "
    "change the host through it; the Docker or containerd socket, or the host's `/`, gives "
    "full control of the host.",
    "Use a named volume, an emptyDir, a ConfigMap/Secret or a persistent volume claim instead. "
    "Never mount the container runtime's socket or the host's root.",
    Severity.HIGH, ("CWE-668",),
)
HOST_NAMESPACE = make_rule(
    "HS141", "host-namespace-shared", "Host namespace shared with a container",
    "The container shares the host's network, PID or IPC namespace (`hostNetwork`, `hostPID`, "
    "`hostIPC`, Compose `network_mode: host`, `pid: host`, `ipc: host`). It can then see and "
    "reach the host's processes, sockets or shared memory, bypassing network policy.",
    "Remove the setting; publish only the ports the service needs.",
    Severity.HIGH, ("CWE-668",),
)
DANGEROUS_CAPABILITY = make_rule(
    "HS142", "dangerous-capability-added", "Dangerous Linux capability added",
    "The container is given `ALL`, `SYS_ADMIN`, `NET_ADMIN`, `SYS_PTRACE`, `SYS_MODULE` or a "
    "similar capability. These are close to root on the host: mounting filesystems, changing "
    "the network, loading kernel modules or tracing other processes.",
    "Drop all capabilities (`cap_drop: [ALL]` / `capabilities.drop: [ALL]`) and add back only "
    "narrow ones such as NET_BIND_SERVICE.",
    Severity.HIGH, ("CWE-250",),
)
CONFINEMENT_DISABLED = make_rule(
    "HS143", "seccomp-or-apparmor-disabled", "seccomp or AppArmor confinement disabled",
    "`seccomp:unconfined` or `apparmor:unconfined` (or a Kubernetes `Unconfined` profile) "
    "removes the kernel-level sandbox that blocks dangerous system calls from the container.",
    "Use the runtime's default profile (`RuntimeDefault`) or a custom restrictive one.",
    Severity.HIGH, ("CWE-693",),
)
WRITABLE_ROOT_FS = make_rule(
    "HS144", "root-filesystem-writable", "Container root filesystem is writable",
    "The container's root filesystem is writable (no `read_only: true` / "
    "`readOnlyRootFilesystem: true`), so an attacker can drop tools or change binaries inside "
    "it.",
    "Set the root filesystem read-only and mount a tmpfs or volume only where the application "
    "writes.",
    Severity.LOW, ("CWE-732",),
)
NO_MEMORY_LIMIT = make_rule(
    "HS145", "no-memory-limit", "No memory limit",
    "The container has no memory limit, so one runaway or attacked service can exhaust the "
    "host's memory and take its neighbours down.",
    "Set a memory limit (`mem_limit` / `deploy.resources.limits.memory` / "
    "`resources.limits.memory`).",
    Severity.LOW, ("CWE-400",),
)
EXPOSED_ADMIN_PORT = make_rule(
    "HS146", "admin-port-exposed", "Sensitive port published on all interfaces",
    "A Docker daemon (2375/2376), SSH (22) or database port is published on every interface of "
    "the host, reachable from the network rather than only from the host or the service's own "
    "network.",
    "Bind it to 127.0.0.1 (`127.0.0.1:5432:5432`), or do not publish it and let services talk "
    "over an internal network.",
    Severity.HIGH, ("CWE-668",),
)
CLUSTER_ADMIN_BOUND = make_rule(
    "HS147", "cluster-admin-bound", "Role binding grants cluster-admin",
    "A Kubernetes ClusterRoleBinding or RoleBinding refers to the ClusterRole `cluster-admin`: "
    "its subjects (users, groups, service accounts) may do anything to every resource of the "
    "cluster (of the namespace, for a RoleBinding), including reading every Secret and "
    "starting privileged pods. A pod running as such a service account is one compromise away "
    "from the whole cluster. (trivy's KSV-0111; checkov has no check for it.)",
    "Bind a Role or ClusterRole that lists only the verbs and resources the subjects need; "
    "keep cluster-admin for break-glass human access, not workloads.",
    Severity.HIGH, ("CWE-269",),
)

ALL_RULES: tuple[Rule, ...] = (
    ROOT_USER, UNPINNED_IMAGE, MUTABLE_IMAGE, UNTRUSTED_REGISTRY, SECRET_IN_IMAGE, PRIVILEGED,
    HOST_PATH, HOST_NAMESPACE, DANGEROUS_CAPABILITY, CONFINEMENT_DISABLED, WRITABLE_ROOT_FS,
    NO_MEMORY_LIMIT, EXPOSED_ADMIN_PORT, CLUSTER_ADMIN_BOUND,
)

DANGEROUS_CAPABILITIES = frozenset(
    {"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "DAC_READ_SEARCH",
     "SYS_BOOT", "BPF", "PERFMON", "SYS_TIME"}
)
# Ports that should never be published on all interfaces.
SENSITIVE_PORTS = {
    2375: "Docker daemon (plain)", 2376: "Docker daemon (TLS)", 22: "SSH",
    3306: "MySQL", 5432: "PostgreSQL", 6379: "Redis", 27017: "MongoDB", 9200: "Elasticsearch",
    11211: "memcached", 5984: "CouchDB", 1433: "SQL Server", 1521: "Oracle", 2379: "etcd",
    10250: "kubelet",
}
RUNTIME_SOCKETS = (
    "/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "/run/podman/podman.sock",
)
