"""The IaC checker through the real checkov and zizmor: rule, line and severity per finding."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import DATA, Repo, git, run_subprocess

IAC = DATA / "iac"


def found(run) -> set[tuple[str, int, str]]:
    return {(f["rule"]["id"], f["location"]["start_line"], f["severity"])
            for f in run.json()["findings"] if not f["suppression"]}


def by_path(run, path: str) -> set[tuple[str, int, str]]:
    return {(f["rule"]["id"], f["location"]["start_line"], f["severity"])
            for f in run.json()["findings"] if f["location"]["path"] == path}


@pytest.fixture
def iac_repo(repo: Repo) -> Repo:
    for name in ("kubernetes", "terraform", "cloudformation", "terraform-hardened"):
        shutil.copytree(IAC / name, repo.root / name)
    (repo.root / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(IAC / "workflows" / "ci.yml", repo.root / ".github" / "workflows" / "ci.yml")
    shutil.copy(IAC / "workflows-hardened" / "ci.yml",
                repo.root / ".github" / "workflows" / "hardened.yml")
    return repo


@pytest.fixture
def iac_run(hullscan, iac_repo: Repo):
    run = hullscan("iac", ".", "--format", "json", "--sarif", "iac.sarif", cwd=iac_repo.root)
    (iac_repo.root / "iac.sarif").unlink()
    return run


def test_kubernetes_findings_on_the_offending_lines(iac_run) -> None:
    got = by_path(iac_run, "kubernetes/insecure.yaml")
    expected = {
        ("CKV_K8S_19", 22, "high"),  # hostNetwork: true
        ("CKV_K8S_17", 23, "high"),  # hostPID: true
        ("HS102", 26, "high"),  # image: ...:latest
        ("CKV_K8S_16", 28, "critical"),  # privileged: true
        ("CKV_K8S_20", 29, "high"),  # allowPrivilegeEscalation: true
        ("HS101", 35, "medium"),  # initContainer busybox:1.36 without digest
        ("HS140", 40, "critical"),  # hostPath docker.sock
        ("HS140", 43, "high"),  # another hostPath
    }
    assert expected <= got, expected - got
    rules = {rule for rule, _, _ in got}
    # covered by hullscan's shared rules on the same lines: one finding per problem
    assert not rules & {"CKV_K8S_14", "CKV_K8S_43", "CKV_K8S_27"}
    assert iac_run.code == 1


def test_checkov_help_links_are_the_checks_own_pages(iac_run) -> None:
    """Each checkov rule links its own check (as `checkov --list` does: the check's file in
    checkov's repository), not the framework's policy index; the file is the installed one."""
    import checkov

    package = Path(checkov.__file__).parent
    base = "https://github.com/bridgecrewio/checkov/blob/main/checkov/"
    uris = {(f["rule"]["id"], f["location"]["path"].split("/")[0]): f["rule"]["help_uri"]
            for f in iac_run.json()["findings"]}
    assert uris["CKV_K8S_16", "kubernetes"] == (
        f"{base}kubernetes/checks/resource/k8s/PrivilegedContainers.py")
    # one id, two checks: Terraform's and CloudFormation's CKV_AWS_25 each link their own
    assert uris["CKV_AWS_24", "terraform"].startswith(f"{base}terraform/checks/resource/aws/")
    assert uris["CKV_AWS_25", "cloudformation"].startswith(
        f"{base}cloudformation/checks/resource/aws/")
    checkov_uris = {r: u for r, u in uris.items() if r[0].startswith("CKV")}
    assert checkov_uris
    for rule, uri in checkov_uris.items():
        assert uri.startswith(base), (rule, uri)
        assert (package / uri.removeprefix(base)).is_file(), (rule, uri)


def test_terraform_and_cloudformation_lines_and_severities(iac_run) -> None:
    tf = by_path(iac_run, "terraform/main.tf")
    assert {("CKV_AWS_24", 11, "critical"),  # cidr_blocks = ["0.0.0.0/0"] on port 22
            ("CKV_AWS_53", 17, "high"),  # block_public_acls = false
            ("CKV_AWS_62", 25, "critical")} <= tf  # policy with "*"
    assert by_path(iac_run, "terraform/variables.tf") == set()
    assert ("CKV_AWS_25", 12, "critical") in by_path(iac_run, "cloudformation/stack.yaml")


def test_workflow_findings_one_per_problem(iac_run) -> None:
    got = by_path(iac_run, ".github/workflows/ci.yml")
    assert ("HS102", 9, "high") in got  # container: node:latest
    assert ("HS101", 12, "medium") in got  # service image postgres:16
    assert ("HS101", 16, "medium") in got  # uses: docker://alpine:3.19
    assert ("zizmor/template-injection", 15, "high") in got
    rules = {rule for rule, _, _ in got}
    assert "CKV_GHA_2" not in rules and "zizmor/unpinned-images" not in rules


def test_hardened_twins_are_clean(iac_run) -> None:
    for path in ("kubernetes/hardened.yaml", "terraform-hardened/main.tf",
                 ".github/workflows/hardened.yml"):
        assert by_path(iac_run, path) == set(), path


def test_tools_recorded(iac_run) -> None:
    checker = next(c for c in iac_run.json()["checkers"] if c["name"] == "iac")
    assert {t["name"] for t in checker["tools"]} == {"checkov", "zizmor"}
    assert checker["successful"] is True


def test_terraform_changed_file_reports_only_that_file(hullscan, iac_repo: Repo) -> None:
    run = hullscan("iac", "terraform/variables.tf", "--format", "json", cwd=iac_repo.root)
    assert run.json()["findings"] == []
    run = hullscan("iac", "terraform/main.tf", "--format", "json", cwd=iac_repo.root)
    assert {f["location"]["path"] for f in run.json()["findings"]} == {"terraform/main.tf"}


def test_severity_override_and_checkov_skip_comment(hullscan, repo: Repo) -> None:
    text = (IAC / "terraform" / "main.tf").read_text().replace(
        '  name        = "admin"\n',
        '  name        = "admin"\n  # checkov:skip=CKV2_AWS_5: attached by another stack\n', 1)
    repo.write("main.tf", text)
    repo.write(".hullscan.yaml", "severity:\n  CKV_AWS_53: low\n")
    run = hullscan("iac", ".", "--format", "json", cwd=repo.root)
    by_rule = {f["rule"]["id"]: f for f in run.json()["findings"]}
    assert by_rule["CKV_AWS_53"]["severity"] == "low"
    assert by_rule["CKV2_AWS_5"]["suppression"]["kind"] == "inSource"
    assert "attached by another stack" in by_rule["CKV2_AWS_5"]["suppression"]["justification"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.yaml", "apiVersion: v1\nkind: Pod\nspec: [\n", "invalid YAML"),
        ("dupe.yaml", "apiVersion: v1\nkind: Pod\nkind: Service\n", 'line 3: duplicate key "kind"'),
        ("bomb.yaml",
         "apiVersion: v1\nkind: ConfigMap\n"
         "a: &a [x, x, x, x, x, x, x, x, x]\n"
         + "".join(f"{c}: &{c} [" + ", ".join([f"*{p}"] * 9) + "]\n"
                   for p, c in zip("abcdefgh", "bcdefghi", strict=True)),
         "alias bomb"),
        ("broken.tf", 'resource "aws_s3_bucket" "b" {\n  bucket = \n', "could not parse"),
        ("big.yaml", "apiVersion: v1\nkind: ConfigMap\ndata:\n" + "  k: v\n" * 4_000_000,
         "over the size limit"),
    ],
    ids=["syntax", "duplicate-key", "billion-laughs", "hcl", "20MB"],
)
def test_bad_input_is_a_one_line_notification(hullscan, repo: Repo, name, content, reason):
    shutil.copy(IAC / "kubernetes" / "insecure.yaml", repo.root / "good.yaml")
    repo.write(name, content)
    run = hullscan("iac", ".", "--format", "json", cwd=repo.root)
    assert "Traceback" not in run.err
    notes = [n for n in run.json()["notifications"] if n["path"] == name]
    assert len(notes) == 1 and reason in notes[0]["message"], run.json()["notifications"]
    assert "\n" not in notes[0]["message"]
    assert any(f["location"]["path"] == "good.yaml" for f in run.json()["findings"])
    assert run.code == 1


def test_no_network_and_no_litter(repo: Repo, iac_repo: Repo) -> None:
    """checkov must not call home (its guidelines endpoint) nor drop files in the tree."""
    iac_repo.commit("iac files")
    connections: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            connections.append(conn.recv(200))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    proxy = f"http://127.0.0.1:{server.getsockname()[1]}"
    try:
        run = run_subprocess(
            [sys.executable, "-m", "hullscan", "iac", ".", "--format", "json"], iac_repo.root,
            env={"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy,
                 "https_proxy": proxy, "NO_PROXY": "", "no_proxy": ""},
        )
    finally:
        stop.set()
        thread.join()
        server.close()
    assert run.code == 1, run.err
    assert connections == [], connections
    assert "Traceback" not in run.err
    assert git(iac_repo.root, "status", "--porcelain", "--ignored") == ""


def test_checkov_missing_gives_exit_3_and_own_rules(iac_repo: Repo) -> None:
    code = (
        "import sys\n"
        "sys.modules['checkov'] = None  # as if hullscan[iac] were not installed\n"
        "from hullscan.cli import main\n"
        "raise SystemExit(main(['iac', 'kubernetes', '--format', 'json']))\n"
    )
    run = run_subprocess([sys.executable, "-c", code], iac_repo.root)
    assert run.code == 3
    data = json.loads(run.out)
    assert "pip install 'hullscan[iac]'" in data["notifications"][0]["message"]
    assert {"HS102", "HS140"} <= {f["rule"]["id"] for f in data["findings"]}


def test_dockerfile_only_scan_imports_no_checkov(repo: Repo) -> None:
    repo.write("Dockerfile", "FROM python\n")
    code = (
        "import sys, json\nfrom hullscan.cli import main\n"
        "main(['scan', '-q'])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'checkov')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo.root, capture_output=True,
                          text=True, check=True)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_checkov_crashing_on_one_file_keeps_the_others(hullscan, repo: Repo) -> None:
    # A real checkov crash: its Kubernetes parser fails on a non-mapping `metadata`.
    repo.write("crash.yaml", "apiVersion: v1\nkind: Pod\nmetadata: 5\nspec:\n  containers: 7\n")
    shutil.copy(IAC / "kubernetes" / "insecure.yaml", repo.root / "good.yaml")
    run = hullscan("iac", ".", "--format", "json", "--sarif", "out.sarif", cwd=repo.root)
    assert run.code == 3
    data = run.json()
    (note,) = [n for n in data["notifications"] if n["level"] == "error"]
    assert note["path"] == "crash.yaml" and "checkov crashed on this file" in note["message"]
    assert ("CKV_K8S_16", 28, "critical") in by_path(run, "good.yaml")
    log = json.loads((repo.root / "out.sarif").read_text())
    iac_run = next(r for r in log["runs"] if r["automationDetails"]["id"] == "hullscan/iac/")
    assert iac_run["invocations"][0]["executionSuccessful"] is False


ODD = ".github/workflows/odd.yml"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("odd.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: [x]\n"
                     "spec: {template: [1, 2]}\n"),
        ("odd.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n"
                     "spec: {containers: {a: b}, volumes: 3}\n"),
        ("odd.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n"
                     "spec:\n  volumes: [{hostPath: 5}]\n"),
        ("odd.yaml", "apiVersion: v1\nkind: List\n"
                     "items: [1, {kind: Pod, spec: {containers: [5]}}]\n"),
        ("odd.yaml", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\n"
                     "spec: {jobTemplate: 4}\n"),
        (ODD, "on: push\njobs: [1]\n"),
        (ODD, "on: push\njobs:\n  a: {container: 5, services: [x], steps: {a: b}}\n"),
        (ODD, "on: push\njobs:\n  a: {services: {db: 5}, steps: [1, {uses: 5}]}\n"),
    ],
)
def test_own_rules_survive_odd_manifests_and_workflows(
    hullscan, repo: Repo, path: str, text: str
) -> None:
    repo.write(path, text)
    run = hullscan("iac", ".", "--format", "json", cwd=repo.root)
    assert not any("internal error" in n["message"] for n in run.json()["notifications"])
    assert "Traceback" not in run.err


def test_terraform_plan_json_on_the_offending_line(hullscan, repo: Repo) -> None:
    shutil.copy(IAC / "plan" / "tfplan.json", repo.root / "tfplan.json")
    run = hullscan("iac", ".", "--format", "json", cwd=repo.root)
    assert ("CKV_AWS_24", 19, "critical") in by_path(run, "tfplan.json")  # "cidr_blocks"


def test_serverless_openapi_and_bicep(hullscan, repo: Repo) -> None:
    for name in ("openapi.yaml", "serverless.yml", "main.bicep"):
        shutil.copy(IAC / "other" / name, repo.root / name)
    run = hullscan("scan", "--format", "json", "--sarif", "out.sarif", cwd=repo.root)
    assert ("CKV_AWS_1", 10, "critical") in by_path(run, "serverless.yml")
    assert ("CKV_OPENAPI_3", 13, "medium") in by_path(run, "openapi.yaml")
    assert ("CKV_AZURE_3", 1, "medium") in by_path(run, "main.bicep")


def test_compose_only_scan_imports_no_checkov(repo: Repo) -> None:
    repo.write("compose.yaml", "services:\n  web:\n    image: nginx\n")
    code = (
        "import sys, json\nfrom hullscan.cli import main\n"
        "main(['scan', '-q'])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'checkov')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo.root, capture_output=True,
                          text=True, check=True)
    assert "compose.yaml:3" in proc.stdout
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_iac_command_covers_compose_files_too(hullscan, repo: Repo) -> None:
    repo.write("compose.yaml", "services:\n  web:\n    image: nginx\n    privileged: true\n")
    shutil.copy(IAC / "kubernetes" / "insecure.yaml", repo.root / "deploy.yaml")
    run = hullscan("iac", "compose.yaml", "deploy.yaml", "--format", "json", cwd=repo.root)
    checkers = {f["checker"] for f in run.json()["findings"]}
    assert checkers == {"compose", "iac"}
    assert {f["location"]["path"] for f in run.json()["findings"] if f["checker"] == "iac"} == {
        "deploy.yaml"}


def test_binary_file_with_an_iac_name_is_reported(hullscan, repo: Repo) -> None:
    repo.write("deploy.yaml", b"\x00\x01binary\xff")
    shutil.copy(IAC / "kubernetes" / "insecure.yaml", repo.root / "good.yaml")
    run = hullscan("scan", "--format", "json", cwd=repo.root)
    (note,) = [n for n in run.json()["notifications"] if n["path"] == "deploy.yaml"]
    assert note["message"] == "skipped: binary file"


@pytest.mark.skipif(not (shutil.which("kubectl") or shutil.which("kustomize")),
                    reason="needs kubectl or kustomize to render kustomizations")
def test_kustomize_overlay_reports_only_what_it_changes(hullscan, repo: Repo) -> None:
    shutil.copytree(IAC / "kustomize", repo.root / "k")
    run = hullscan("iac", ".", "--format", "json", cwd=repo.root)
    assert by_path(run, "k/overlay/kustomization.yaml") == {("CKV_K8S_18", 2, "high")}
    assert by_path(run, "k/base/kustomization.yaml") == set()
    assert ("CKV_K8S_16", 28, "critical") in by_path(run, "k/base/deploy.yaml")
    assert "Template renderer" not in run.err and "ERROR:root" not in run.err


HELM_PLAIN = {
    # templates/clusterrole.yaml: `*` verbs on `*` resources: the wildcard on its first key,
    # what the wildcard grants (webhooks, CSR approval, bind, escalate) on the rule's verbs
    ("chart/templates/clusterrole.yaml", "CKV_K8S_49", 6, "high"),
    ("chart/templates/clusterrole.yaml", "CKV_K8S_155", 8, "high"),
    ("chart/templates/clusterrole.yaml", "CKV_K8S_156", 8, "high"),
    ("chart/templates/clusterrole.yaml", "CKV_K8S_157", 8, "high"),
    ("chart/templates/clusterrole.yaml", "CKV_K8S_158", 8, "high"),
    # the binding to cluster-admin, on roleRef's `name: cluster-admin`
    ("chart/templates/clusterrole.yaml", "HS147", 17, "high"),
    # default values the templates read (toYaml .Values.securityContext, .Values.hostNetwork,
    # .Values.image.*, `with .Values.sidecar`)
    ("chart/values.yaml", "HS102", 4, "high"),  # tag: latest
    ("chart/values.yaml", "CKV_K8S_19", 5, "high"),  # hostNetwork: true
    ("chart/values.yaml", "CKV_K8S_16", 7, "critical"),  # privileged: true
    ("chart/values.yaml", "CKV_K8S_20", 8, "high"),  # allowPrivilegeEscalation: true
    ("chart/values.yaml", "CKV_K8S_23", 9, "high"),  # runAsUser: 0
    ("chart/values.yaml", "HS102", 12, "high"),  # sidecar image busybox:latest
}


@pytest.fixture
def no_helm(tmp_path, monkeypatch) -> None:
    """PATH without helm, whatever the machine has (git stays: the SARIF checks use it)."""
    folder = tmp_path / "bin-without-helm"
    folder.mkdir()
    (folder / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    monkeypatch.setenv("PATH", str(folder))


def helm_findings(run) -> set[tuple[str, str, int, str]]:
    return {(f["location"]["path"], f["rule"]["id"], f["location"]["start_line"], f["severity"])
            for f in run.json()["findings"]}


@pytest.mark.parametrize("named", [".", "chart/templates/clusterrole.yaml", "chart/values.yaml",
                                   "chart/templates/_helpers.tpl"],
                         ids=["scan", "changed-template", "changed-values", "changed-helper"])
def test_helm_chart_without_helm_checks_plain_templates_and_values(
    hullscan, repo: Repo, no_helm, named: str
) -> None:
    shutil.copytree(IAC / "helm-plain", repo.root / "chart")
    run = hullscan("iac", named, "--format", "json", "--sarif", "out.sarif", cwd=repo.root)
    # exactly these: role.yaml's least-privilege Role and RoleBinding are clean, the values no
    # template reads (legacy.*) are not reported, templated files are not guessed at
    assert helm_findings(run) == HELM_PLAIN
    by_rule = {f["rule"]["id"]: f for f in run.json()["findings"]}
    assert by_rule["HS147"]["message"] == (
        "ClusterRoleBinding/operator-admin grants cluster-admin (every permission on the whole "
        "cluster) to ServiceAccount operators/operator, Group platform-team")
    assert "templates read .Values.securityContext" in by_rule["CKV_K8S_16"]["message"]
    # the values are reported with the check a rendered chart would fail, and its own page
    assert by_rule["CKV_K8S_16"]["rule"]["help_uri"].endswith(
        "/checkov/kubernetes/checks/resource/k8s/PrivilegedContainers.py")
    # what was not checked is said once, naming the chart, and the run is not clean: exit 3
    (note,) = run.json()["notifications"]
    assert note["level"] == "error" and note["path"] == "chart/Chart.yaml"
    assert note["message"] == (
        "chart operator: helm is not installed, so 3 template files with template directives "
        "were not rendered or checked (chart/templates/deployment.yaml, "
        "chart/templates/service.yaml, chart/templates/tests/test-connection.yaml); installing "
        "helm 3 or 4 renders them. 2 plain template files and the default values were checked")
    assert run.code == 3


def test_helm_chart_with_an_unusable_helm_is_checked_as_without_one(
    hullscan, repo: Repo, no_helm, tmp_path
) -> None:
    """A helm checkov does not accept (helm 2 here): the same checks, and the error says why."""
    helm = tmp_path / "bin-without-helm" / "helm"
    helm.write_text("#!/bin/sh\necho 'Client: &version.Version{SemVer:\"v2.17.0\"}'\n")
    helm.chmod(0o755)
    shutil.copytree(IAC / "helm-plain", repo.root / "chart")
    run = hullscan("iac", ".", "--format", "json", cwd=repo.root)
    assert helm_findings(run) == HELM_PLAIN
    (note,) = run.json()["notifications"]
    assert note["level"] == "error" and note["message"].startswith(
        "chart operator: the installed helm is not usable (helm 3 or 4 is needed), so 3 "
        "template files with template directives were not rendered or checked")
    assert run.code == 3


def test_helm_chart_of_plain_files_is_fully_checked_without_helm(
    hullscan, repo: Repo, no_helm
) -> None:
    repo.write("chart/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    repo.write("chart/templates/rbac.yaml",
               (IAC / "helm-plain" / "templates" / "clusterrole.yaml").read_text())
    repo.write("chart/values.yaml", "securityContext:\n  privileged: true\n")  # read by none
    run = hullscan("iac", ".", "--format", "json", cwd=repo.root)
    assert run.json()["notifications"] == []
    assert ("chart/templates/rbac.yaml", "HS147", 17, "high") in helm_findings(run)
    assert not any(f["location"]["path"] == "chart/values.yaml"
                   for f in run.json()["findings"])
    assert run.code == 1


def test_helm_subcharts_are_checked_once_and_packaged_ones_counted(
    hullscan, repo: Repo, no_helm
) -> None:
    repo.write("chart/Chart.yaml", "apiVersion: v2\nname: parent\nversion: 0.1.0\n")
    repo.write("chart/charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    repo.write("chart/charts/sub/templates/rbac.yaml",
               (IAC / "helm-plain" / "templates" / "clusterrole.yaml").read_text())
    repo.write("chart/charts/redis-1.0.0.tgz", b"\x1f\x8b\x08\x00packaged chart")
    run = hullscan("iac", ".", "--format", "json", cwd=repo.root)
    hs147 = [f["location"] for f in run.json()["findings"] if f["rule"]["id"] == "HS147"]
    assert hs147 == [{"path": "chart/charts/sub/templates/rbac.yaml", "start_line": 17,
                      **{k: v for k, v in hs147[0].items() if k not in ("path", "start_line")}}]
    (note,) = run.json()["notifications"]
    assert note["path"] == "chart/Chart.yaml" and note["message"].startswith(
        "chart parent: helm is not installed, so 1 packaged subchart was not rendered or "
        "checked (chart/charts/redis-1.0.0.tgz); installing helm 3 or 4 renders it. 1 plain "
        "template file and the default values were checked")
    assert run.code == 3


BINDINGS = """\
apiVersion: v1
kind: List
items:
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: RoleBinding
    metadata:
      name: ci-admin
      namespace: build
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: ClusterRole
      name: cluster-admin
    subjects:
      - kind: ServiceAccount
        name: runner
        namespace: build
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    metadata:
      name: viewers
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: ClusterRole
      name: view
    subjects:
      - kind: Group
        name: everyone
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: RoleBinding
    metadata:
      name: local-role-named-cluster-admin
      namespace: build
    roleRef:
      apiGroup: rbac.authorization.k8s.io
      kind: Role
      name: cluster-admin
    subjects:
      - kind: User
        name: alice
"""


ROLES = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader-and-escalator
rules:
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["get", "list"]
  - apiGroups: ["rbac.authorization.k8s.io"]
    resources: ["clusterroles"]
    verbs: ["escalate"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: everything-here
  namespace: build
rules:
  - apiGroups: ["apps"]
    resources: ["*"]
    verbs: ["get"]
"""


def test_rbac_checks_on_the_rule_that_grants(hullscan, repo: Repo) -> None:
    repo.write("roles.yaml", ROLES)
    run = hullscan("iac", ".", "--format", "json", cwd=repo.root)
    rbac = {(rule, line) for rule, line, _ in by_path(run, "roles.yaml")
            if rule in ("CKV_K8S_49", "CKV_K8S_155", "CKV_K8S_156", "CKV_K8S_157",
                        "CKV_K8S_158")}
    # escalate on clusterroles in the second rule (its verbs line); a wildcard resource
    assert rbac == {("CKV_K8S_158", 11), ("CKV_K8S_49", 20)}


def test_binding_to_cluster_admin_in_a_plain_manifest(hullscan, repo: Repo) -> None:
    repo.write("rbac.yaml", BINDINGS)
    run = hullscan("iac", ".", "--format", "json", cwd=repo.root)
    hs147 = [f for f in run.json()["findings"] if f["rule"]["id"] == "HS147"]
    assert [(f["location"]["start_line"], f["severity"], f["message"]) for f in hs147] == [
        (12, "high", "RoleBinding/ci-admin grants cluster-admin (every permission on namespace "
                     "build) to ServiceAccount build/runner")]
    assert run.code == 1




def test_checkov_category_severities_for_module_registry_and_graph_checks(
    hullscan, repo: Repo
) -> None:
    """Terraform's checks live in checkov's module-level registries (Python checks) and its graph
    registry (JSON/YAML checks with one `category`): each gets its category's severity, not the
    default medium. IAM (CKV_AWS_40 on a policy attached to a user) is high, LOGGING
    (CKV_AWS_18, a graph check) and BACKUP_AND_RECOVERY (CKV_AWS_21) low, the password-policy
    override medium."""
    repo.write("main.tf", """resource "aws_iam_account_password_policy" "p" {
  minimum_password_length = 6
}

resource "aws_s3_bucket" "b" {
  bucket = "logs-bucket"
}

resource "aws_iam_user_policy_attachment" "a" {
  user       = "deploy"
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
""")
    run = hullscan("iac", ".", "--format", "json", "--fail-on", "never", cwd=repo.root)
    assert run.code == 0, run.err
    severity = {f["rule"]["id"]: f["severity"] for f in run.json()["findings"]}
    assert severity["CKV_AWS_18"] == "low"
    assert severity["CKV_AWS_21"] == "low"
    assert severity["CKV_AWS_9"] == "medium"
    assert severity["CKV_AWS_40"] == "high"
