"""Helm charts and kustomizations are rendered without fetching, plugins or the job's secrets,
and in pull-request mode not when a link leads outside the repository (issue 11, point 3).
Fake `kubectl` and `helm` binaries on PATH record every call checkov makes, with its arguments
and environment."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import Repo, git

from hullscan.iac import render

pytest.importorskip("checkov")

JOB_ENV = {
    "GITHUB_TOKEN": "ghs_notarealtokennotarealtoken0000000",
    "ACTIONS_RUNTIME_TOKEN": "not-a-real-runtime-token",
    "GITHUB_OUTPUT": "/nonexistent/github-output",
}

POD = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n"
       "    - name: web\n      image: nginx\n")

FAKE = """#!{python}
import json, os, sys
args = sys.argv[1:]
plugins = os.environ.get("HELM_PLUGINS", "")
with open({log!r}, "a", encoding="utf-8") as out:
    out.write(json.dumps({{"tool": {tool!r}, "argv": args, "cwd": os.getcwd(),
                           "env": dict(os.environ),
                           "plugins": os.listdir(plugins) if os.path.isdir(plugins) else None,
                           }}) + "\\n")
if args[:1] == ["version"]:
    print({version!r})
elif {tool!r} == "kubectl" and args[:1] == ["kustomize"] and "broken" not in os.getcwd():
    print({pod!r})
elif {tool!r} == "helm" and args[:1] == ["template"]:
    print("---\\n# Source: demo/templates/pod.yaml\\n" + {pod!r})
"""


@pytest.fixture
def fake_renderers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`kubectl` and `helm` stand-ins first on PATH; returns the log of their calls."""
    folder = tmp_path / "fakebin"
    folder.mkdir()
    log = tmp_path / "renderer-calls.jsonl"
    versions = {"kubectl": "Client Version: v1.30.0\nKustomize Version: v5.0.4",
                "helm": 'version.BuildInfo{Version:"v3.14.0", GitCommit:"0", GoVersion:"go"}'}
    for tool, version in versions.items():
        script = folder / tool
        script.write_text(FAKE.format(python=sys.executable, log=str(log), tool=tool,
                                      version=version, pod=POD))
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/usr/bin{os.pathsep}/bin")
    for key, value in JOB_ENV.items():
        monkeypatch.setenv(key, value)
    return log


def calls(log: Path, *first: str) -> list[dict]:
    found = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return [c for c in found if not first or c["argv"][:1] == list(first)]


def assert_sealed(call: dict) -> None:
    """What a renderer may see: no job variables or tokens, no working proxy, no plugins."""
    env = call["env"]
    assert not [k for k in env if k.startswith(("GITHUB_", "ACTIONS_")) or "TOKEN" in k]
    assert env["HTTPS_PROXY"] == env["HTTP_PROXY"] == "http://127.0.0.1:9"
    assert env["GIT_ALLOW_PROTOCOL"] == "file"
    assert call["plugins"] == []  # an empty plugin folder


def errors(run) -> dict[str, str]:
    return {n["path"]: n["message"] for n in run.json()["notifications"] if n["level"] == "error"}


def test_local_kustomization_is_rendered_sealed(hullscan, repo: Repo, fake_renderers: Path) -> None:
    repo.write("k/kustomization.yaml", "resources:\n  - pod.yaml\n")
    repo.write("k/pod.yaml", POD)
    run = hullscan("iac", "k/kustomization.yaml", "--format", "json", cwd=repo.root)
    (build,) = calls(fake_renderers, "kustomize")
    assert not {"--enable-alpha-plugins", "--enable-exec", "--enable-helm"} & set(build["argv"])
    assert_sealed(build)
    assert errors(run) == {}
    assert any(f["location"]["path"] == "k/kustomization.yaml" for f in run.json()["findings"])


def test_kustomize_build_that_renders_nothing_fails_closed(
    hullscan, repo: Repo, fake_renderers: Path
) -> None:
    repo.write("broken/kustomization.yaml", "resources:\n  - pod.yaml\n")
    repo.write("broken/pod.yaml", POD)
    run = hullscan("iac", "broken/kustomization.yaml", "--format", "json", cwd=repo.root)
    assert run.code == 3
    assert errors(run) == {"broken/kustomization.yaml": "kustomize rendered nothing for this "
                           "folder (the build failed); not checked"}


def test_remote_kustomize_base_is_not_rendered(hullscan, repo: Repo, fake_renderers: Path) -> None:
    repo.write("k/kustomization.yaml",
               "resources:\n  - pod.yaml\n  - github.com/example/infra//base?ref=v1\n")
    repo.write("k/pod.yaml", POD)
    run = hullscan("iac", "k/kustomization.yaml", "--format", "json", cwd=repo.root)
    assert run.code == 3
    assert errors(run)["k/kustomization.yaml"] == (
        "this kustomize folder was not rendered or checked: k/kustomization.yaml: resources "
        "entry github.com/example/infra//base?ref=v1 is not in the repository (kustomize would "
        "fetch it as a remote base)")
    assert calls(fake_renderers, "kustomize") == []


def test_helm_chart_with_a_remote_dependency_is_not_rendered(
    hullscan, repo: Repo, fake_renderers: Path
) -> None:
    repo.write("chart/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\ndependencies:\n"
               "  - name: redis\n    version: 1.0.0\n    repository: oci://registry.example/x\n")
    repo.write("chart/templates/pod.yaml", POD)
    run = hullscan("iac", ".", "--format", "json", cwd=repo.root)
    assert run.code == 3
    assert errors(run)["chart/Chart.yaml"] == (
        "this helm chart (demo) was not rendered: chart/Chart.yaml: dependency redis comes from "
        "oci://registry.example/x (helm would fetch it); 1 plain template file and the default "
        "values were checked")
    assert calls(fake_renderers) == []
    # the chart is not rendered, but its plain template is what helm would output: checked
    assert ("HS102", 8) in {(f["rule"]["id"], f["location"]["start_line"])
                            for f in run.json()["findings"]
                            if f["location"]["path"] == "chart/templates/pod.yaml"}


def test_local_helm_chart_is_rendered_sealed(hullscan, repo: Repo, fake_renderers: Path) -> None:
    repo.write("chart/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\ndependencies:\n"
               "  - name: common\n    version: 0.1.0\n    repository: file://../common\n"
               "  - name: vendored\n    version: 1.0.0\n")
    repo.write("chart/templates/pod.yaml", POD)
    repo.write("common/Chart.yaml", "apiVersion: v2\nname: common\nversion: 0.1.0\n")
    hullscan("iac", "chart/Chart.yaml", "--format", "json", cwd=repo.root)
    (template,) = calls(fake_renderers, "template")
    assert_sealed(template)
    assert not any("--post-renderer" in a for a in template["argv"])


def test_rendered_chart_gets_hullscan_rules_on_its_plain_templates(
    hullscan, repo: Repo, fake_renderers: Path
) -> None:
    """helm renders the chart for checkov; hullscan's own rules (image trust, hostPath,
    cluster-admin bindings) read the plain templates on their own lines, once per problem."""
    repo.write("chart/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    repo.write("chart/templates/pod.yaml", POD)
    repo.write("chart/templates/binding.yaml", (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata:\n  name: demo\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n"
        "  kind: ClusterRole\n  name: cluster-admin\n"
        "subjects:\n  - kind: ServiceAccount\n    name: demo\n    namespace: default\n"))
    run = hullscan("iac", ".", "--format", "json", cwd=repo.root)
    assert calls(fake_renderers, "template")  # rendered, not the fallback
    got = {(f["location"]["path"], f["rule"]["id"], f["location"]["start_line"])
           for f in run.json()["findings"]}
    assert ("chart/templates/pod.yaml", "HS102", 8) in got  # image: nginx (untagged)
    assert ("chart/templates/binding.yaml", "HS147", 8) in got
    assert ("chart/templates/pod.yaml", "CKV_K8S_14", 8) not in got  # one finding: HS102
    assert ("chart/templates/pod.yaml", "CKV_K8S_11", 1) in got  # checkov's, rendered
    assert not [n for n in run.json()["notifications"] if n["level"] == "error"]


def test_pull_request_mode_renders_sealed_and_refuses_links_outside(
    hullscan, repo: Repo, fake_renderers: Path, tmp_path: Path
) -> None:
    repo.write("README.md", "base\n")
    repo.commit("base")
    base = git(repo.root, "rev-parse", "HEAD").strip()
    repo.write("k/kustomization.yaml", "resources:\n  - pod.yaml\n")
    repo.write("k/pod.yaml", POD)
    repo.write("chart/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    repo.write("chart/templates/pod.yaml", POD)
    outside = tmp_path / "secret.txt"
    outside.write_text("not for the scan\n")
    (repo.root / "chart" / "files").mkdir()
    (repo.root / "chart" / "files" / "key").symlink_to(outside)
    repo.commit("the change under review")
    run = hullscan("iac", ".", "--new-only", "--base", base, "--format", "json", cwd=repo.root)
    # the kustomization is rendered the sealed way, as outside pull-request mode
    builds = calls(fake_renderers, "kustomize")
    assert builds and all(not {"--enable-alpha-plugins", "--enable-exec", "--enable-helm"}
                          & set(b["argv"]) for b in builds)
    for build in builds:
        assert_sealed(build)
    # the chart that links outside the repository is not rendered: not checked, exit 3
    assert calls(fake_renderers, "template") == []
    assert run.code == 3
    found = errors(run)
    assert found["chart/Chart.yaml"] == (
        "this helm chart (demo) was not rendered: chart/files/key links outside the "
        "repository (pull-request mode); 1 plain template file and the default values were "
        "checked")
    assert "k/kustomization.yaml" not in found


@pytest.mark.parametrize(("kustomization", "reason"), [
    ("patches:\n  - path: https://example.com/p.yaml\n",
     "patches entry https://example.com/p.yaml is remote"),
    ("configMapGenerator:\n  - name: c\n    files:\n      - k=https://example.com/f\n",
     "configMapGenerator entry https://example.com/f is remote"),
    ("helmCharts:\n  - name: redis\n", "uses helmCharts"),
    ("resources:\n  - ../../outside\n", "is not in the repository"),
    ("components:\n  - git@github.com:example/c.git\n", "is remote"),
    ("resources:\n  - ../base\n", "resources entry https://example.com/r.yaml is remote"),
])
def test_kustomize_refusals(tmp_path: Path, kustomization: str, reason: str) -> None:
    root = tmp_path / "repo"
    (root / "base").mkdir(parents=True)
    (root / "base" / "kustomization.yaml").write_text(
        "resources:\n  - https://example.com/r.yaml\n")  # reached through ../base
    (root / "app").mkdir()
    (root / "app" / "kustomization.yaml").write_text(kustomization)
    refused = render.refusal("kustomize", root / "app", root)
    assert refused is not None and reason in refused, refused


def test_kustomize_local_tree_is_allowed(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "base").mkdir(parents=True)
    (root / "base" / "kustomization.yaml").write_text("resources:\n  - pod.yaml\n")
    (root / "base" / "pod.yaml").write_text(POD)
    (root / "app").mkdir()
    (root / "app" / "kustomization.yaml").write_text(
        "resources:\n  - ../base\npatches:\n  - path: p.yaml\n"
        "patchesStrategicMerge:\n  - |-\n    apiVersion: v1\n    kind: Pod\n")
    assert render.refusal("kustomize", root / "app", root) is None
