"""The line of the offending key, not the resource's first line.

checkov reports a whole resource's line range and, per check, the keys it evaluated
(`spec/template/spec/containers/[0]/securityContext/privileged`). These functions walk such a key
path through the file's own structure: ruamel.yaml positions for YAML and JSON, the resource's
block text for HCL. When no key of the path exists (a missing setting), they return the deepest
element that does exist below the resource (a container's `- name:` line), else None so the
caller falls back to the resource's first line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from hullscan.core.yamlsafe import line_of, start_line

# Keys whose line tells the reviewer most, when a check evaluated several.
_PREFERRED = (
    "cidr_blocks", "ipv6_cidr_blocks", "CidrIp", "CidrIpv6", "source_ranges",
    "source_address_prefix", "privileged", "hostPath", "hostNetwork", "hostPID", "hostIPC",
    "image", "runAsUser", "runAsNonRoot", "actions", "Action", "principals", "Principal", "acl",
)


def _pod_paths(*keys: str) -> list[str]:
    """A pod-spec key under every workload shape (Pod, template, CronJob)."""
    prefixes = ("spec", "spec/template/spec", "spec/jobTemplate/spec/template/spec")
    return [f"{prefix}/{key}" for prefix in prefixes for key in keys]


def _container_paths(*keys: str) -> list[str]:
    return _pod_paths(*(f"containers/[0]/{key}" for key in keys))


# Keys to look for when checkov evaluated none (its host-namespace and root checks).
FALLBACK_KEYS: dict[str, list[str]] = {
    "CKV_K8S_17": _pod_paths("hostPID"),
    "CKV_K8S_18": _pod_paths("hostIPC"),
    "CKV_K8S_19": _pod_paths("hostNetwork"),
    "CKV_K8S_23": _pod_paths("securityContext/runAsNonRoot", "securityContext/runAsUser")
    + _container_paths("securityContext/runAsNonRoot", "securityContext/runAsUser"),
    "CKV_K8S_40": _container_paths("securityContext/runAsUser")
    + _pod_paths("securityContext/runAsUser"),
    "CKV_K8S_29": _pod_paths("securityContext"),
    "CKV_K8S_31": _pod_paths("securityContext/seccompProfile")
    + _container_paths("securityContext/seccompProfile"),
    "CKV_K8S_38": _pod_paths("automountServiceAccountToken"),
    "CKV_K8S_27": _pod_paths("volumes"),
    # RBAC: the role's `rules:` (checkov evaluates the whole list)
    **{check: ["rules"] for check in ("CKV_K8S_49", "CKV_K8S_155", "CKV_K8S_156",
                                      "CKV_K8S_157", "CKV_K8S_158")},
}


def split_path(key: str) -> list[str | int]:
    parts: list[str | int] = []
    for part in key.split("/"):
        if not part:
            continue
        m = re.fullmatch(r"\[(\d+)\]", part)
        parts.append(int(m.group(1)) if m else part)
    return parts


def _rank(key: str) -> int:
    last = next((p for p in reversed(split_path(key)) if isinstance(p, str)), "")
    return 0 if last in _PREFERRED else 1


def yaml_line(root: Any, keys: Sequence[str]) -> int | None:
    """Best line for a YAML/JSON resource `root` given checkov's evaluated keys."""
    best: tuple[int, int, int] | None = None  # (complete?, preferred, -depth) -> smaller is better
    best_line: int | None = None
    for key in keys:
        path = split_path(key)
        line, depth = _walk_yaml(root, path)
        if line is None or depth == 0:
            continue
        complete = 0 if depth == len(path) else 1
        score = (complete, _rank(key), -depth)
        if best is None or score < best:
            best, best_line = score, line
    return best_line


_OPEN_VALUES = frozenset({"0.0.0.0/0", "::/0", "*", "0.0.0.0"})


def _open_value_line(node: Any, depth: int = 0) -> int | None:
    """Inside an evaluated container (a list of ingress rules, a policy statement), the line of
    the value that makes it dangerous: an open CIDR or a `*`."""
    if depth > 4:
        return None
    if isinstance(node, dict):
        for key, value in node.items():
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, str) and v in _OPEN_VALUES for v in values):
                return line_of(node, key)
        children = list(node.values())
    elif isinstance(node, list):
        children = list(node)
    else:
        return None
    for child in children:
        found = _open_value_line(child, depth + 1)
        if found is not None:
            return found
    return None


def _walk_yaml(node: Any, path: Sequence[str | int]) -> tuple[int | None, int]:
    line, depth, end = _walk_yaml_node(node, path)
    if depth == len(path) and isinstance(end, (dict, list)):
        line = _open_value_line(end) or line
    return line, depth


def _walk_yaml_node(node: Any, path: Sequence[str | int]) -> tuple[int | None, int, Any]:
    line: int | None = None
    depth = 0
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                break
            line = line_of(node, part) or line
            node = node[part]
        else:
            if not isinstance(node, dict) or part not in node:
                break
            line = line_of(node, part) or line
            node = node[part]
        depth += 1
    return line, depth, node


def find_yaml_resource(documents: Sequence[Any], first_line: int) -> Any | None:
    """The document (or the mapping inside one) that starts at or encloses `first_line`."""
    best: Any | None = None
    for doc in documents:
        start = start_line(doc)
        if start is not None and start <= first_line:
            best = doc
    return best


def mapping_at(document: Any, line: int, limit: int = 100_000) -> Any | None:
    """The mapping that starts on `line` (checkov's first line of a resource inside a JSON or
    YAML document, such as a Terraform plan's `values`). checkov counts the line of the
    opening brace (`"values": {`), ruamel the line of the first key: either matches."""
    stack = [document]
    seen = 0
    while stack and seen < limit:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            if start_line(node) in (line, line + 1):
                return node
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return None


def cloudformation_resource(document: Any, resource: str) -> Any | None:
    """`Resources.<LogicalId>` of a CloudFormation/serverless document for checkov's
    `AWS::Type.LogicalId` resource name."""
    logical = resource.rsplit(".", 1)[-1]
    resources = document.get("Resources") if isinstance(document, dict) else None
    if isinstance(resources, dict) and isinstance(resources.get(logical), dict):
        return resources[logical]
    return None


# --- HCL --------------------------------------------------------------------------------------

_ATTRIBUTE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=")
_BLOCK = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)(\s+\"[^\"]*\")*\s*\{")


def hcl_line(lines: Sequence[str], first: int, last: int, keys: Sequence[str]) -> int | None:
    """Best line inside the HCL block on lines first..last (1-based) for the evaluated keys."""
    best: tuple[int, int, int] | None = None
    best_line: int | None = None
    for key in keys:
        path = split_path(key)
        line, depth = _walk_hcl(lines, first, last, path)
        if line is None or depth == 0:
            continue
        complete = 0 if depth == len(path) else 1
        score = (complete, _rank(key), -depth)
        if best is None or score < best:
            best, best_line = score, line
    return best_line


def _children_hcl(lines: Sequence[str], first: int, last: int) -> list[tuple[str, int, int]]:
    """Direct children of the block whose header is on line `first` and whose closing brace is
    on line `last`: (name, start line, end line) of each attribute and nested block."""
    out: list[tuple[str, int, int]] = []
    depth = 0
    open_block: tuple[str, int] | None = None
    for number in range(first + 1, min(last, len(lines) + 1)):
        text = _strip_comment(lines[number - 1])
        if depth == 0:
            attribute = _ATTRIBUTE.match(text)
            block = _BLOCK.match(text)
            if attribute:
                out.append((attribute.group(1), number, number))
            elif block:
                open_block = (block.group(1), number)
        depth += text.count("{") + text.count("[") - text.count("}") - text.count("]")
        if depth <= 0:
            depth = 0
            if open_block is not None:
                out.append((open_block[0], open_block[1], number))
                open_block = None
    return out


def _walk_hcl(
    lines: Sequence[str], first: int, last: int, path: Sequence[str | int]
) -> tuple[int | None, int]:
    line: int | None = None
    depth = 0
    block = (first, last)
    i = 0
    while i < len(path):
        part = path[i]
        if not isinstance(part, str):
            break
        wanted_index = path[i + 1] if i + 1 < len(path) and isinstance(path[i + 1], int) else 0
        matches = [c for c in _children_hcl(lines, *block) if c[0] == part]
        if not isinstance(wanted_index, int) or wanted_index >= len(matches):
            break
        name, start, end = matches[wanted_index]
        line = start
        depth += 2 if i + 1 < len(path) and isinstance(path[i + 1], int) else 1
        i += 2 if i + 1 < len(path) and isinstance(path[i + 1], int) else 1
        block = (start, end)
        del name
    return line, depth


def _strip_comment(text: str) -> str:
    # Good enough for locating keys: drop # and // comments outside of simple strings.
    out: list[str] = []
    in_string = False
    previous = ""
    for ch in text:
        if ch == '"' and previous != "\\":
            in_string = not in_string
        if not in_string and (ch == "#" or (ch == "/" and previous == "/")):
            if ch == "/":
                out.pop()
            break
        out.append(ch)
        previous = ch
    return "".join(out)
