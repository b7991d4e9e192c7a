"""Which checkov framework a file belongs to, from its name and (for YAML/JSON) its first bytes.

Compose files belong to the Compose checker and Dockerfiles to the Dockerfile checker; neither
is handed to checkov.
"""

from __future__ import annotations

import re

from hullscan.discover import COMPOSE_NAME, Target
from hullscan.iac.helm import chart_folder

SNIFF = 64 * 1024

_WORKFLOW_DIR = ".github/workflows/"


def _head(target: Target) -> str | None:
    """The first bytes as text ("" when unreadable); None for binary content. Read through the
    target's content, so the checker's full read of a small file reuses it."""
    try:
        data = target.content.head(target.path, SNIFF)
    except OSError:
        return ""
    if b"\0" in data:
        return None
    return data.decode("utf-8", "replace")


def framework_of(target: Target) -> str | None:
    """The checkov framework for a file, or None when checkov has nothing for it."""
    path, rel = target.path, target.rel
    name = path.name
    lower = name.lower()
    if lower.endswith(".tf") or lower.endswith(".tf.json"):
        return "terraform"
    if lower.endswith(".bicep"):
        return "bicep"
    if COMPOSE_NAME.match(lower):
        return None
    if (name == "values.yaml" or "/templates/" in f"/{rel}") and chart_folder(path) is not None:
        return "helm"  # part of a chart (helpers and NOTES too): a change to it checks the chart
    is_yaml = lower.endswith((".yaml", ".yml"))
    is_json = lower.endswith(".json")
    if not (is_yaml or is_json or lower.endswith(".template")):
        return None
    if is_yaml and f"/{_WORKFLOW_DIR}" in f"/{rel}":
        return "github_actions"
    if lower in ("action.yml", "action.yaml"):
        return "github_actions"
    if lower in ("serverless.yml", "serverless.yaml"):
        return "serverless"
    if name == "Chart.yaml":
        return "helm"  # the chart folder is rendered by helm, then checked
    if lower in ("kustomization.yaml", "kustomization.yml"):
        return "kustomize"
    head = _head(target)
    if head is None:
        return "binary"  # an IaC name with binary content: the checker says it skipped it
    if not head:
        return None
    if is_json and (lower.endswith(".tfplan.json") or lower == "tfplan.json"
                    or '"planned_values"' in head):
        return "terraform_plan"
    if "AWSTemplateFormatVersion" in head or re.search(r"Type[\"']?\s*:\s*[\"']?AWS::", head):
        return "cloudformation"
    if is_json and "deploymentTemplate.json" in head:
        return "arm"
    if re.search(r"^[\"']?(openapi|swagger)[\"']?\s*:", head, re.MULTILINE):
        return "openapi"
    if is_yaml and re.search(r"^apiVersion\s*:", head, re.MULTILINE) and re.search(
        r"^kind\s*:", head, re.MULTILINE
    ):
        return "kubernetes"
    if is_json and '"apiVersion"' in head and '"kind"' in head:
        return "kubernetes"
    return None

