"""The static registry of rules: checker name -> the providers that list its rules.

hullscan's own rules (HS...) come from the modules that define them (OWN: light, nothing
wrapped is imported); the wrapped tools' rules come from the tools themselves where they
expose them without a scan (checkov's registries, compose-lint's rule classes, bandit's
plugins), else one family row with the tool's docs link (TOOLS: imported only when asked for).
No entry points: a new checker adds one line to each table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from hullscan.core.errors import UsageError
from hullscan.core.model import Rule
from hullscan.rules.interface import HULLSCAN, Provider, RuleInfo


def _own(checker: str, rules: Iterable[Rule]) -> list[RuleInfo]:
    return [RuleInfo.of(rule, checker) for rule in rules]


def _dockerfile() -> list[RuleInfo]:
    from hullscan.dockerfile.rules import ALL_RULES

    return _own("dockerfile", ALL_RULES)


def _compose() -> list[RuleInfo]:
    from hullscan.compose.rules import ALL_RULES

    return _own("compose", ALL_RULES)


def _iac() -> list[RuleInfo]:
    from hullscan.containers.images import MUTABLE_IMAGE, UNPINNED_IMAGE, UNTRUSTED_REGISTRY
    from hullscan.containers.workloads import CLUSTER_ADMIN_BOUND, HOST_PATH

    # the image-trust rules (Kubernetes containers, workflow jobs and services), hostPath
    # volumes and cluster-admin bindings: hullscan/iac/k8s.py and iac/workflows.py
    return _own("iac", (UNPINNED_IMAGE, MUTABLE_IMAGE, UNTRUSTED_REGISTRY, HOST_PATH,
                        CLUSTER_ADMIN_BOUND))


def _secrets() -> list[RuleInfo]:
    from hullscan.checkers.secrets import ALL_RULES

    return _own("secrets", ALL_RULES)


def _image() -> list[RuleInfo]:
    from hullscan.image.rules import ALL_RULES

    return _own("image", ALL_RULES)


def _policy() -> list[RuleInfo]:
    from hullscan.policy.apply import EXPIRED_IGNORE, POLICY_CHECKER
    from hullscan.policy.trusted import WEAKENED_CHECK

    return _own(POLICY_CHECKER, (EXPIRED_IGNORE, WEAKENED_CHECK))


def _none() -> list[RuleInfo]:
    return []


def _hadolint() -> list[RuleInfo]:
    from hullscan.rules import tools

    return tools.hadolint_rules("dockerfile")


def _compose_lint() -> list[RuleInfo]:
    from hullscan.rules import tools

    return tools.compose_lint_rules("compose")


def _checkov_zizmor() -> list[RuleInfo]:
    from hullscan.rules import checkov, tools

    return [*checkov.checkov_rules("iac"), tools.zizmor_family("iac")]


def _osv_deps() -> list[RuleInfo]:
    from hullscan.rules import tools

    return [tools.osv_family("deps", "vulnerable-dependency-<id>")]


def _bandit_semgrep() -> list[RuleInfo]:
    from hullscan.rules import tools

    return [*tools.bandit_rules("code"), tools.semgrep_family("code")]


def _osv_image() -> list[RuleInfo]:
    from hullscan.rules import tools

    return [tools.osv_family("image", "vulnerable-image-package-<id>")]


# checker name -> its own rules, in the order of hullscan.checkers.CHECKERS; "policy": the
# rules the policy itself reports (an expired ignore, a change that weakens the check).
OWN: dict[str, Provider] = {
    "dockerfile": _dockerfile,
    "compose": _compose,
    "iac": _iac,
    "deps": _none,
    "secrets": _secrets,
    "code": _none,
    "image": _image,
    "policy": _policy,
}
# checker name -> the rules of the tools it wraps (checkov only for `iac` or every checker)
TOOLS: dict[str, Provider] = {
    "dockerfile": _hadolint,
    "compose": _compose_lint,
    "iac": _checkov_zizmor,
    "deps": _osv_deps,
    "secrets": _none,  # detect-secrets' plugins report as hullscan's HS2xx rules
    "code": _bandit_semgrep,
    "image": _osv_image,
    "policy": _none,
}
CHECKER_NAMES = tuple(OWN)


class UnknownCheckerError(UsageError):
    """`hullscan rules --checker NAME` with a NAME no checker has (exit 2)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown checker {name!r} (known: {', '.join(CHECKER_NAMES)})")


def all_rules(checker: str | None = None, *, tools: bool = True) -> list[RuleInfo]:
    """Every rule of one checker, or of all of them: hullscan's own first, then each tool's,
    a family row before its tool's single rules, in natural id order (CKV_K8S_2 before
    CKV_K8S_10). `tools=False`: hullscan's own only."""
    if checker is not None and checker not in OWN:
        raise UnknownCheckerError(checker)
    out: list[RuleInfo] = []
    for name in [checker] if checker is not None else CHECKER_NAMES:
        rules = OWN[name]() + (TOOLS[name]() if tools else [])
        out.extend(sorted(rules, key=lambda r: (r.source != HULLSCAN, r.source, not r.family,
                                                _natural(r.id))))
    return out


def _natural(text: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(part), "") if part.isdigit() else (0, part)
                 for part in re.split(r"(\d+)", text) if part)
