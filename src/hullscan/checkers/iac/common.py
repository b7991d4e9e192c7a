"""What the IaC checker's parts share: its name, the frameworks and their checkov runners, the
files it checks, and which checkov checks yield to hullscan's rules."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hullscan.core.model import (
    Finding,
)
from hullscan.discover import Target

log = logging.getLogger("hullscan.iac")


NAME = "iac"
CHECKOV_URI = "https://www.checkov.io/"
POLICY_INDEX = "https://www.checkov.io/5.Policy%20Index/{}.html"

# framework -> checkov runner module (imported only when files of that framework exist)
# frameworks that render a folder with an external binary first (checked only when it exists)
RENDERERS: dict[str, tuple[str, ...]] = {"helm": ("helm",), "kustomize": ("kustomize", "kubectl")}
RUNNERS: dict[str, str] = {
    "helm": "checkov.helm.runner",
    "kustomize": "checkov.kustomize.runner",
    "terraform": "checkov.terraform.runner",
    "terraform_plan": "checkov.terraform.plan_runner",
    "cloudformation": "checkov.cloudformation.runner",
    "kubernetes": "checkov.kubernetes.runner",
    "github_actions": "checkov.github_actions.runner",
    "serverless": "checkov.serverless.runner",
    "arm": "checkov.arm.runner",
    "bicep": "checkov.bicep.runner",
    "openapi": "checkov.openapi.runner",
}
YAML_FRAMEWORKS = frozenset(
    {"cloudformation", "kubernetes", "github_actions", "serverless", "arm", "openapi",
     "terraform_plan"}
)
# checkov checks that one of hullscan's shared rules covers: dropped when that rule reported
# on the same line (image checks, on the `image:` line) or in the same file (the socket check,
# which checkov reports on the resource's first line and hullscan on the hostPath).
SUPERSEDES: dict[str, tuple[frozenset[str], str]] = {
    "CKV_K8S_14": (frozenset({"HS102"}), "line"),
    "CKV_K8S_43": (frozenset({"HS101", "HS102"}), "line"),
    "CKV_K8S_27": (frozenset({"HS140"}), "file"),
    # zizmor's workflow audits are finer than checkov's: one finding per problem.
    "CKV_GHA_2": (frozenset({"zizmor/template-injection"}), "line"),
    "CKV2_GHA_1": (frozenset({"zizmor/excessive-permissions"}), "file"),
    "CKV_GHA_1": (frozenset({"zizmor/insecure-commands"}), "file"),
    "zizmor/unpinned-images": (frozenset({"HS101", "HS102"}), "line"),
}


@dataclass
class _File:
    target: Target
    framework: str
    text: str
    documents: list[Any] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


def drop_superseded(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per problem: drop a tool's finding when the rule that covers the same
    concept reported on the same line (or in the same file, for file-scoped entries)."""
    lines = {(f.location.path, f.location.start_line, f.rule.id) for f in findings}
    files = {(f.location.path, f.rule.id) for f in findings}
    kept = []
    for finding in findings:
        covered, scope = SUPERSEDES.get(finding.rule.id, (frozenset(), ""))
        loc = finding.location
        if scope == "line" and any((loc.path, loc.start_line, r) in lines for r in covered):
            continue
        if scope == "file" and any((loc.path, r) in files for r in covered):
            continue
        kept.append(finding)
    return kept


def _drop_rendered_duplicates(findings: Sequence[Finding]) -> list[Finding]:
    """A kustomization's rendered resources repeat its plain manifests: keep a rendered finding
    only when the plain manifest did not already report that check on that resource (what a
    patch or an overlay changed)."""
    plain = {
        (f.rule.id, f.properties.get("resource"))
        for f in findings if f.properties.get("framework") == "kubernetes"
    }
    kept = []
    for finding in findings:
        if finding.properties.get("framework") in RENDERERS:
            resource = str(finding.properties.get("resource", "")).rsplit(":", 1)[-1]
            if (finding.rule.id, resource) in plain:
                continue
        kept.append(finding)
    return kept




def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__


def helm_available() -> bool:
    return shutil.which("helm") is not None
