"""Every checkov framework hullscan enables, each on one small real file with a known finding
(issue 12): in the normal suite against the installed checkov, and from `.ci/checkov_matrix.py`
against the oldest and the newest checkov that pyproject.toml allows. Also CloudFormation in a
tree without Terraform, and the same runs in any order within one process (checkov's Terraform
checks are loaded only when Terraform is checked: `iac._defer_terraform_checks`)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import DATA, Repo, run_subprocess

from hullscan.checkers import iac

pytest.importorskip("checkov")

IAC = DATA / "iac"
TF_CHECKS = "checkov.terraform.checks.resource.aws"  # loaded with the Terraform checks

WORKFLOW = """name: release
on:
  workflow_dispatch:
    inputs:
      tag:
        description: tag to release
permissions:
  contents: read
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - run: echo release
"""
ARM = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.Storage/storageAccounts",
      "apiVersion": "2021-02-01",
      "name": "demo",
      "location": "westeurope",
      "kind": "StorageV2",
      "sku": {"name": "Standard_LRS"},
      "properties": {"supportsHttpsTrafficOnly": false}
    }
  ]
}
"""
CLOUDFORMATION = """AWSTemplateFormatVersion: "2010-09-09"
Description: a CloudFormation stack with known problems
Resources:
  SshFromAnywhere:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: 0.0.0.0/0
          Description: ssh
  Database:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.t3.micro
      AllocatedStorage: "20"
      MasterUsername: admin
      MasterUserPassword: "{{resolve:secretsmanager:db}}"
      PubliclyAccessible: true
      StorageEncrypted: false
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: jobs
"""
CHART = "apiVersion: v2\nname: demo\nversion: 0.1.0\n"
CHART_POD = """apiVersion: v1
kind: Pod
metadata:
  name: demo
spec:
  containers:
    - name: app
      image: registry.example.com/app:1.0
      securityContext:
        privileged: true
"""
# helm is not packaged for this machine: without a real one, a stand-in renders the chart the
# way `helm template` prints a chart without template expressions (a `# Source:` comment with
# the chart's name before each document), so checkov's helm runner and hullscan's mapping back
# to the template still run for real.
HELM = """#!{python}
import pathlib, sys
args = sys.argv[1:]
if args[:1] == ["version"]:
    print('version.BuildInfo{{Version:"v3.17.0", GitCommit:"stand-in", GoVersion:"go1.23"}}')
elif args[:2] == ["dependency", "list"]:
    print("WARNING: no dependencies at " + args[2] + "/charts")
elif args[:1] == ["template"]:
    chart = pathlib.Path(args[-1])
    name = [line.split(":", 1)[1].strip() for line in (chart / "Chart.yaml").read_text()
            .splitlines() if line.startswith("name:")][0]
    for path in sorted((chart / "templates").glob("*.yaml")):
        print("---\\n# Source: " + name + "/templates/" + path.name + "\\n" + path.read_text())
else:
    sys.exit("stand-in helm: unsupported: " + " ".join(args))
"""


@dataclass(frozen=True)
class Case:
    files: dict[str, str | Path]  # path in the tree -> text, or a file under tests/data/iac
    expected: tuple[str, str, int, str]  # path, rule, line, severity


# One case per framework of iac.RUNNERS; the frameworks that need no Terraform checks first.
CASES: dict[str, Case] = {
    "kubernetes": Case({"deploy.yaml": IAC / "kubernetes/insecure.yaml"},
                       ("deploy.yaml", "CKV_K8S_16", 28, "critical")),  # privileged: true
    "github_actions": Case({".github/workflows/release.yml": WORKFLOW},
                           (".github/workflows/release.yml", "CKV_GHA_7", 5, "medium")),
    "cloudformation": Case({"template.yaml": CLOUDFORMATION},
                           ("template.yaml", "CKV_AWS_24", 12, "critical")),  # 22 from anywhere
    "serverless": Case({"serverless.yml": IAC / "other/serverless.yml"},
                       ("serverless.yml", "CKV_AWS_1", 10, "critical")),  # Action: "*"
    "arm": Case({"azuredeploy.json": ARM}, ("azuredeploy.json", "CKV_AZURE_3", 5, "medium")),
    "bicep": Case({"main.bicep": IAC / "other/main.bicep"},
                  ("main.bicep", "CKV_AZURE_3", 1, "medium")),
    "openapi": Case({"openapi.yaml": IAC / "other/openapi.yaml"},
                    ("openapi.yaml", "CKV_OPENAPI_3", 13, "medium")),  # scheme: basic
    "helm": Case({"chart/Chart.yaml": CHART, "chart/templates/pod.yaml": CHART_POD},
                 ("chart/templates/pod.yaml", "CKV_K8S_16", 10, "critical")),
    "kustomize": Case({"k/base/kustomization.yaml": IAC / "kustomize/base/kustomization.yaml",
                       "k/base/deploy.yaml": IAC / "kustomize/base/deploy.yaml",
                       "k/overlay/kustomization.yaml":
                           IAC / "kustomize/overlay/kustomization.yaml"},
                      ("k/overlay/kustomization.yaml", "CKV_K8S_18", 2, "high")),  # hostIPC
    "terraform": Case({"main.tf": IAC / "terraform/main.tf"},
                      ("main.tf", "CKV_AWS_24", 11, "critical")),  # port 22 from 0.0.0.0/0
    "terraform_plan": Case({"tfplan.json": IAC / "plan/tfplan.json"},
                           ("tfplan.json", "CKV_AWS_24", 19, "critical")),
}


def build(root: Path, framework: str) -> Path:
    for rel, content in CASES[framework].files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy(content, path)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def found(data: dict) -> set[tuple[str, str, int, str]]:
    return {(f["location"]["path"], f["rule"]["id"], f["location"]["start_line"], f["severity"])
            for f in data["findings"] if f["checker"] == "iac" and not f["suppression"]}


def exit_code(framework: str) -> int:
    """1 when the case's finding blocks at the default threshold (high), else 0."""
    return 1 if CASES[framework].expected[3] in ("critical", "high") else 0


def errors(data: dict) -> list[str]:
    return [f"{n['path']}: {n['message']}" for n in data["notifications"]
            if n["level"] == "error"]


@pytest.fixture
def renderers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real helm when there is one, else the stand-in first on PATH."""
    if shutil.which("helm"):
        return
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "helm"
    script.write_text(HELM.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")


def test_one_case_for_every_framework_hullscan_enables() -> None:
    assert set(CASES) == set(iac.RUNNERS)


@pytest.mark.parametrize("framework", list(CASES))
def test_each_framework_reports_its_finding(
    hullscan, repo: Repo, renderers: None, framework: str
) -> None:
    if framework == "kustomize" and not (shutil.which("kustomize") or shutil.which("kubectl")):
        pytest.skip("needs kustomize or kubectl to render kustomizations")
    build(repo.root, framework)
    run = hullscan("iac", ".", "--format", "json", cwd=repo.root)
    data = run.json()
    assert errors(data) == []
    assert CASES[framework].expected in found(data), sorted(found(data))
    assert run.code == exit_code(framework)


def test_cloudformation_alone_in_a_tree(repo: Repo) -> None:
    """A fresh `hullscan iac .` on a tree with one CloudFormation template and no Terraform
    (checkov 3.3's CloudFormation runner imports `TFModule` from `checkov.terraform`)."""
    build(repo.root, "cloudformation")
    run = run_subprocess([sys.executable, "-m", "hullscan", "iac", ".", "--format", "json"],
                         repo.root)
    data = run.json()
    assert "Traceback" not in run.err
    assert data["notifications"] == []
    got = found(data)
    assert {("template.yaml", "CKV_AWS_24", 12, "critical"),  # CidrIp: 0.0.0.0/0 on port 22
            ("template.yaml", "CKV_AWS_17", 22, "medium"),  # PubliclyAccessible: true
            ("template.yaml", "CKV_AWS_16", 23, "medium"),  # StorageEncrypted: false
            ("template.yaml", "CKV_AWS_27", 26, "medium"),  # an SQS queue without encryption
            } <= got, sorted(got)
    assert run.code == 1


# Runs hullscan's `main` on each folder in turn, in this one process, and prints for each run
# its exit code, its JSON output and whether checkov's Terraform checks are loaded after it.
SEQUENCE = """
import contextlib, io, json, os, sys
from hullscan.cli import main
for folder in sys.argv[1:]:
    os.chdir(folder)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["iac", ".", "--format", "json"])
    print(json.dumps({"code": code, "data": json.loads(out.getvalue()),
                      "terraform_checks": TF_CHECKS in sys.modules}))
""".replace("TF_CHECKS", repr(TF_CHECKS))


def test_the_same_results_in_any_order_in_one_process(repo: Repo, tmp_path: Path) -> None:
    order = ["kubernetes", "github_actions", "cloudformation", "terraform", "cloudformation",
             "serverless", "terraform_plan", "kubernetes"]
    folders = []
    for number, framework in enumerate(order):
        folder = Repo(tmp_path / f"{number}-{framework}").root
        folders.append(str(build(folder, framework)))
    run = run_subprocess([sys.executable, "-c", SEQUENCE, *folders], repo.root)
    assert "Traceback" not in run.err, run.err
    runs = [json.loads(line) for line in run.out.splitlines()]
    assert len(runs) == len(order)
    for framework, result in zip(order, runs, strict=True):
        assert errors(result["data"]) == [], framework
        assert CASES[framework].expected in found(result["data"]), framework
        assert result["code"] == exit_code(framework), framework
    # no Terraform checks loaded until Terraform is checked (the point of deferring them) ...
    assert [r["terraform_checks"] for r in runs[:3]] == [False, False, False]
    # ... and, once loaded, the other frameworks' results do not change
    assert runs[3]["terraform_checks"] is True
    assert found(runs[2]["data"]) == found(runs[4]["data"])
    assert found(runs[0]["data"]) == found(runs[7]["data"])


def test_cloudformation_after_kubernetes_and_workflow_runs_in_process(
    hullscan, tmp_path: Path
) -> None:
    """The same within the test process itself, whatever ran in it before."""
    for framework in ("kubernetes", "github_actions", "cloudformation"):
        root = build(Repo(tmp_path / framework).root, framework)
        run = hullscan("iac", ".", "--format", "json", cwd=root)
        assert errors(run.json()) == [], framework
        assert CASES[framework].expected in found(run.json()), framework
        assert run.code == exit_code(framework), framework


# What checkov's own modules import from the `checkov.terraform` package, against the package as
# hullscan defers it: every such name must be there without the Terraform checks being loaded.
NAMES = """
import ast, json, pathlib, sys
import checkov
from hullscan.checkers import iac
iac._defer_terraform_checks()
package = sys.modules["checkov.terraform"]
needed = set()
top = pathlib.Path(checkov.__file__).parent
for path in top.rglob("*.py"):
    text = path.read_text("utf-8", "replace")
    if " import " not in text or ("checkov.terraform import" not in text and "from ." not in text):
        continue
    here = ["checkov", *path.relative_to(top).with_suffix("").parts]  # ends in __init__ too
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.ImportFrom):
            continue
        base = here[:-node.level] if node.level else []  # relative: from the module's package
        module = ".".join([*base, *([node.module] if node.module else [])])
        if module == "checkov.terraform":
            needed.update(alias.name for alias in node.names)
print(json.dumps({"needed": sorted(needed),
                  "missing": sorted(n for n in needed if n not in vars(package)),
                  "terraform_checks": TF_CHECKS in sys.modules}))
""".replace("TF_CHECKS", repr(TF_CHECKS))


def test_deferred_terraform_package_has_what_checkov_imports_from_it(tmp_path: Path) -> None:
    run = run_subprocess([sys.executable, "-c", NAMES], tmp_path)
    assert run.code == 0, run.err
    result = json.loads(run.out)
    assert "TFModule" in result["needed"]  # CloudFormation's path (module_handler.py)
    assert result["missing"] == []
    assert result["terraform_checks"] is False
