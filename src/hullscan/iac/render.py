"""Rendering Helm charts and kustomizations without fetching anything or running plugins.

checkov's helm runner renders a chart folder with `helm dependency list` and
`helm template --dependency-update`, its kustomize runner a kustomization with
`kubectl kustomize` or `kustomize build`, both in the scanned folder and with checkov's
environment. Without plugins neither runs the repository's code (hullscan never passes
`--enable-alpha-plugins`, `--enable-exec` or `--enable-helm`), but both fetch: kustomize remote
bases and files over git or HTTP, helm chart dependencies from repositories and OCI registries.
So:

- `refusal()` reads the folder first and names what would be fetched or needs a plugin; the
  checker then does not render it and reports the file as not checked (exit 3);
- `guarded()` makes checkov run those commands with a minimal environment (no tokens, no
  GITHUB_*), HTTP(S) through a closed proxy port, git limited to local repositories, and empty
  helm plugin, repository and registry configuration, and forces checkov's own switches
  (remote references blocked, no `kustomize edit` of the user's files);
- in pull-request mode a folder with a link that resolves outside the repository is not
  rendered (`escaping_link`): the change under review could point a chart at files outside it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hullscan.core.textfile import UnreadableFile, read_text
from hullscan.core.tools import minimal_env
from hullscan.core.yamlsafe import YamlProblem, load_all
from hullscan.discover import inside

KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# checkov modules that start helm, kustomize or kubectl (they `import subprocess`)
RENDERER_MODULES = ("checkov.helm.runner", "checkov.kustomize.runner", "checkov.kustomize.utils")
# checkov's own switches, read from os.environ while it renders
CHECKOV_SWITCHES = {
    # block every remote reference (no prefix matches this)
    "CHECKOV_KUSTOMIZE_ALLOWED_REMOTE_PREFIXES": "hullscan-blocks-remote-references",
    "CHECKOV_HELM_ALLOWED_REMOTE_REPOS": "hullscan-blocks-remote-repositories",
    # never `kustomize edit` the user's kustomization files
    "CHECKOV_ALLOW_KUSTOMIZE_FILE_EDITS": "false",
}
_CLOSED = "http://127.0.0.1:9"  # the discard port: every proxied request fails at once

# kustomization keys whose entries kustomize loads as resources, bases or components (a file or
# a folder here, else it tries the entry as a remote URL)
_TREE_KEYS = ("resources", "bases", "components", "generators", "transformers", "validators")
# keys that list files (kustomize's loader fetches http(s) URLs among them)
_FILE_KEYS = ("crds", "configurations", "patchesStrategicMerge")
_PATH_ITEM_KEYS = ("patches", "patchesJson6902", "replacements")
_GENERATOR_KEYS = ("configMapGenerator", "secretGenerator")
_HELM_KEYS = ("helmCharts", "helmChartInflationGenerator", "helmGlobals")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^git@|^git::")


def refusal(framework: str, folder: Path, root: Path) -> str | None:
    """Why checkov must not render this helm or kustomize folder (something in it, or in what
    it references, would be fetched or needs a plugin), or None when it may."""
    if framework == "kustomize":
        return _Kustomize(root).folder(folder)
    if framework == "helm":
        return _Helm(root).folder(folder)
    return None


def _walk(folder: Path, names: Sequence[str]) -> Iterator[Path]:
    """The files named `names` under `folder` (checkov's runners walk the whole folder)."""
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in names:
            if name in files:
                yield Path(current) / name


def _document(path: Path) -> Any:
    try:
        documents = load_all(read_text(path, 8 * 1024 * 1024))
    except (UnreadableFile, YamlProblem):
        return None
    return documents[0] if documents else {}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class _Kustomize:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen: set[Path] = set()

    def folder(self, folder: Path) -> str | None:
        for path in _walk(folder, KUSTOMIZATIONS):
            problem = self.kustomization(path)
            if problem:
                return problem
        return None

    def kustomization(self, path: Path) -> str | None:
        resolved = Path(os.path.realpath(path))
        if resolved in self.seen:
            return None
        self.seen.add(resolved)
        where = self._rel(path)
        data = _document(path)
        if not isinstance(data, dict):
            return f"{where} cannot be read as a kustomization"
        for key in _HELM_KEYS:
            if key in data:
                return (f"{where} uses {key}: helm would fetch the chart (kustomize "
                        "--enable-helm is never used)")
        for key in _TREE_KEYS:
            for entry in _strings(data.get(key)):
                if "\n" in entry:
                    continue  # an inline generator or transformer configuration
                problem = self.tree_entry(path.parent, entry, where, key)
                if problem:
                    return problem
        files = [(key, e) for key in _FILE_KEYS for e in _strings(data.get(key))
                 if "\n" not in e]  # patchesStrategicMerge may hold inline patches
        for key in _PATH_ITEM_KEYS:
            for item in data.get(key) or []:
                if isinstance(item, dict) and isinstance(item.get("path"), str):
                    files.append((key, item["path"]))
        openapi = data.get("openapi")
        if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
            files.append(("openapi", openapi["path"]))
        for key in _GENERATOR_KEYS:
            for item in data.get(key) or []:
                if not isinstance(item, dict):
                    continue
                for field in ("files", "envs", "env"):
                    for entry in _strings(item.get(field)):
                        files.append((key, entry.split("=", 1)[-1]))
        for key, entry in files:
            if _SCHEME.match(entry):
                return f"{where}: {key} entry {entry} is remote (kustomize would fetch it)"
            if not inside(path.parent / entry, self.root):
                return f"{where}: {key} entry {entry} is outside the repository"
        return None

    def tree_entry(self, base: Path, entry: str, where: str, key: str) -> str | None:
        if _SCHEME.match(entry):
            return f"{where}: {key} entry {entry} is remote (kustomize would fetch it)"
        target = base / entry
        if not target.exists():
            return (f"{where}: {key} entry {entry} is not in the repository (kustomize would "
                    "fetch it as a remote base)")
        if not inside(target, self.root):
            return f"{where}: {key} entry {entry} is outside the repository"
        if target.is_dir():
            inner = next((target / n for n in KUSTOMIZATIONS if (target / n).is_file()), None)
            if inner is not None:
                return self.kustomization(inner)
        return None

    def _rel(self, path: Path) -> str:
        try:
            return Path(os.path.realpath(path)).relative_to(os.path.realpath(self.root)).as_posix()
        except ValueError:
            return str(path)


class _Helm:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen: set[Path] = set()

    def folder(self, folder: Path) -> str | None:
        for chart in _walk(folder, ("Chart.yaml",)):
            problem = self.chart(chart.parent)
            if problem:
                return problem
        return None

    def chart(self, folder: Path) -> str | None:
        resolved = Path(os.path.realpath(folder))
        if resolved in self.seen:
            return None
        self.seen.add(resolved)
        for name in ("Chart.yaml", "requirements.yaml"):  # requirements.yaml: apiVersion v1
            path = folder / name
            if not path.is_file():
                continue
            data = _document(path)
            if not isinstance(data, dict):
                return f"{self._rel(path)} cannot be read"
            for dependency in data.get("dependencies") or []:
                if not isinstance(dependency, dict):
                    continue
                problem = self.dependency(folder, path, dependency)
                if problem:
                    return problem
        return None

    def dependency(self, folder: Path, path: Path, dependency: dict[str, Any]) -> str | None:
        name = str(dependency.get("name") or "?")
        repository = str(dependency.get("repository") or "").strip()
        if not repository:
            return None  # vendored in charts/: helm does not download it
        if repository.startswith("file://"):
            local = folder / repository[len("file://"):]
            if not inside(local, self.root) or not local.is_dir():
                return (f"{self._rel(path)}: dependency {name} ({repository}) is not a chart "
                        "folder in the repository")
            return self.chart(local)
        return (f"{self._rel(path)}: dependency {name} comes from {repository} (helm would "
                "fetch it)")

    def _rel(self, path: Path) -> str:
        try:
            return Path(os.path.realpath(path)).relative_to(os.path.realpath(self.root)).as_posix()
        except ValueError:
            return str(path)


def renderer_env(scratch: Path) -> dict[str, str]:
    """The environment helm, kustomize and kubectl get: nothing of the job's (no tokens, no
    GITHUB_*), no network (HTTP(S) through a closed port, git only for local repositories), no
    plugins, no helm repositories or registry credentials."""
    for folder in ("plugins", "config", "cache", "data"):
        (scratch / folder).mkdir(exist_ok=True)
    closed = {name: _CLOSED for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")}
    if os.name != "nt":  # lower-case spellings (Windows' environment ignores case)
        closed.update({name.lower(): value for name, value in closed.items()})
        closed.update({"no_proxy": ""})
    return minimal_env({
        **closed,
        "NO_PROXY": "",
        "GIT_ALLOW_PROTOCOL": "file",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "HELM_PLUGINS": str(scratch / "plugins"),
        "HELM_CONFIG_HOME": str(scratch / "config"),
        "HELM_CACHE_HOME": str(scratch / "cache"),
        "HELM_DATA_HOME": str(scratch / "data"),
        "HELM_REPOSITORY_CONFIG": str(scratch / "config" / "repositories.yaml"),
        "HELM_REPOSITORY_CACHE": str(scratch / "cache" / "repository"),
        "HELM_REGISTRY_CONFIG": str(scratch / "config" / "registry.json"),
        "KUSTOMIZE_PLUGIN_HOME": str(scratch / "plugins"),
        "XDG_CONFIG_HOME": str(scratch / "config"),
        "KUBECONFIG": str(scratch / "config" / "kubeconfig"),
    })


class _GuardedSubprocess:
    """Stands in for the `subprocess` module inside checkov's renderer modules: every process
    they start gets `env` and no stdin."""

    def __init__(self, env: dict[str, str]) -> None:
        self._env = env

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)  # PIPE, DEVNULL, TimeoutExpired, ...

    def _guard(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs["env"] = dict(self._env)
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        return kwargs

    def Popen(self, *args: Any, **kwargs: Any) -> Any:
        return subprocess.Popen(*args, **self._guard(kwargs))

    def run(self, *args: Any, **kwargs: Any) -> Any:
        return subprocess.run(*args, **self._guard(kwargs))

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return subprocess.call(*args, **self._guard(kwargs))

    def check_call(self, *args: Any, **kwargs: Any) -> Any:
        return subprocess.check_call(*args, **self._guard(kwargs))

    def check_output(self, *args: Any, **kwargs: Any) -> Any:
        return subprocess.check_output(*args, **self._guard(kwargs))


@contextlib.contextmanager
def guarded() -> Iterator[None]:
    """While checkov renders: its helm/kustomize/kubectl processes run with `renderer_env`,
    and its remote-reference and file-edit switches are forced off. Only the iac checker uses
    these checkov modules, one framework at a time."""
    with tempfile.TemporaryDirectory(prefix="hullscan-render-") as scratch:
        shim = _GuardedSubprocess(renderer_env(Path(scratch)))
        patched = []
        for name in RENDERER_MODULES:
            module = importlib.import_module(name)
            if getattr(module, "subprocess", None) is subprocess:
                module.subprocess = shim  # type: ignore[attr-defined]
                patched.append(module)
        saved = {key: os.environ.get(key) for key in CHECKOV_SWITCHES}
        os.environ.update(CHECKOV_SWITCHES)
        try:
            yield
        finally:
            for module in patched:
                module.subprocess = subprocess  # type: ignore[attr-defined]
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def escaping_link(folder: Path, root: Path, limit: int = 20_000) -> str | None:
    """The first symbolic link under `folder` (relative to `root`) that resolves outside `root`,
    or that cannot be resolved; None when there is none (or `limit` entries were seen)."""
    top = Path(os.path.realpath(root))
    seen = 0
    for current, dirs, files in os.walk(folder, followlinks=False):
        for name in (*dirs, *files):
            seen += 1
            if seen > limit:
                return None
            path = Path(current) / name
            if not path.is_symlink():
                continue
            target = Path(os.path.realpath(path))
            if target != top and top not in target.parents:
                try:
                    return path.relative_to(root).as_posix()
                except ValueError:
                    return str(path)
    return None
