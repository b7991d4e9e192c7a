"""The IaC checker: checkov (in process, only the runners the files need) for Terraform,
CloudFormation, Kubernetes, GitHub workflows, serverless, ARM/Bicep and OpenAPI, plus
hullscan's own workload rules and zizmor.

- `checker.py`: the checker (which files, which framework, the result);
- `checkov.py`: the checkov adapter (runners, batches, Terraform's deferred checks);
- `results.py`: checkov's results as findings, on the offending key's line;
- `pages.py`: checkov's rule metadata (categories, so severities, and each check's page);
- `charts.py`: Helm charts and kustomizations, rendered or checked without rendering;
- `common.py`: the name, the frameworks, the files, the checks that yield to hullscan's rules.
"""

from hullscan.checkers.iac.checker import IacChecker
from hullscan.checkers.iac.checkov import (
    _Checkov,
    _defer_terraform_checks,
    _load_terraform_checks,
)
from hullscan.checkers.iac.common import (
    CHECKOV_URI,
    NAME,
    RENDERERS,
    RUNNERS,
    SUPERSEDES,
    YAML_FRAMEWORKS,
    drop_superseded,
    helm_available,
)
from hullscan.checkers.iac.pages import _categories, _rule, runner_checks

__all__ = [
    "CHECKOV_URI", "NAME", "RENDERERS", "RUNNERS", "SUPERSEDES", "YAML_FRAMEWORKS", "IacChecker",
    "_Checkov",
    "_categories", "_defer_terraform_checks", "_load_terraform_checks", "_rule",
    "drop_superseded", "helm_available", "runner_checks",
]
