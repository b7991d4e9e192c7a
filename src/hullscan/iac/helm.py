"""A Helm chart that is not rendered (no `helm` binary, or a chart hullscan refuses to render):
what can still be checked honestly, and what cannot.

- Template files that hold no template directive (no `{{`) are what `helm template` would
  output unchanged: they are checked as Kubernetes manifests, on their own lines.
- Template files with directives, and packaged subcharts (`charts/*.tgz`), are not checked:
  the checker says so, naming the chart, the count and the first few files.
- The chart's default values (`values.yaml`) are checked for the settings that make a
  workload privileged (`privileged`, `allowPrivilegeEscalation`, `runAsUser: 0` under a
  `securityContext`, `hostNetwork`, `hostPID`, `hostIPC`) and for `latest` image tags, with the
  rule a rendered chart would get, on the values line, and only where a template reads that
  value (`.Values.<path>` or a parent of it, as `toYaml .Values.securityContext` does) and no
  mapping on its path says `enabled: false` (the convention for a part the chart does not
  render by default, such as bitnami's `volumePermissions`): a default no template uses
  renders nothing.

Nothing here runs the chart: files are only read, never through a link leading outside the
repository. (helm-sdkpy, the PyPI binding of Helm's Go library, was evaluated and rejected:
see docs/rules.md.)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullscan.containers.images import image_issues
from hullscan.core.model import Rule
from hullscan.core.textfile import UnreadableFile, read_text
from hullscan.core.yamlsafe import YamlProblem, line_of, load_all
from hullscan.discover import Target, inside

TEMPLATE_DIRECTIVE = "{{"
_VALUES_REFERENCE = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)")
# values keys (under a securityContext, or anywhere for the pod's host namespaces) and the
# checkov Kubernetes check the rendered chart would fail: (check id, its checkov name)
SECURITY_CONTEXT_CHECKS: dict[str, tuple[Any, str, str]] = {
    "privileged": (True, "CKV_K8S_16", "Container should not be privileged"),
    "allowPrivilegeEscalation": (True, "CKV_K8S_20", "Containers should not run with "
                                 "allowPrivilegeEscalation"),
    "runAsUser": (0, "CKV_K8S_23", "Minimize the admission of root containers"),
}
POD_CHECKS: dict[str, tuple[Any, str, str]] = {
    "hostNetwork": (True, "CKV_K8S_19", "Containers should not share the host network "
                    "namespace"),
    "hostPID": (True, "CKV_K8S_17", "Containers should not share the host process ID "
                "namespace"),
    "hostIPC": (True, "CKV_K8S_18", "Containers should not share the host IPC namespace"),
}


@dataclass
class ValuesHit:
    """A default value a rendered chart would be flagged for: a checkov check (`check_id`) or
    one of hullscan's rules (`rule`)."""

    line: int
    message: str
    check_id: str | None = None
    check_name: str = ""
    rule: Rule | None = None
    basis: str = ""


@dataclass
class UnrenderedChart:
    """What hullscan can check of one chart folder without rendering it."""

    folder: Path
    name: str
    plain: list[tuple[Target, str]] = field(default_factory=list)  # (template, its text)
    templated: list[str] = field(default_factory=list)  # template files not checked (rel)
    packaged: list[str] = field(default_factory=list)  # charts/*.tgz, not checked (rel)
    values: list[tuple[Target, list[ValuesHit]]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (rel, reason)


def chart_folder(path: Path) -> Path | None:
    """The chart a file belongs to: the folder of `Chart.yaml` itself, of a `values.yaml`
    beside one, or of the nearest `Chart.yaml` above a file under `templates/`."""
    if path.name == "Chart.yaml":
        return path.parent
    if path.name == "values.yaml" and (path.parent / "Chart.yaml").is_file():
        return path.parent
    for parent in path.parents:
        if (parent / "Chart.yaml").is_file():
            try:
                inside = path.relative_to(parent).parts
            except ValueError:
                return None
            return parent if inside and inside[0] == "templates" else None
        if (parent / ".git").exists():
            return None
    return None


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _files(folder: Path, root: Path) -> Iterator[Path]:
    """Regular files under `folder` (sorted, links into folders not followed, links that lead
    outside the repository skipped)."""
    if not folder.is_dir() or not inside(folder, root):
        return
    for current, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(current) / name
            if path.is_file() and inside(path, root):
                yield path


def _chart_name(folder: Path, max_size: int) -> str:
    try:
        documents = load_all(read_text(folder / "Chart.yaml", max_size))
    except (UnreadableFile, YamlProblem, OSError):
        return folder.name
    data = documents[0] if documents else None
    name = data.get("name") if isinstance(data, dict) else None
    return str(name) if isinstance(name, str) and name else folder.name


def unrendered_chart(
    folder: Path, root: Path, max_size: int, trusted_registries: Sequence[str] | None,
    seen: set[Path],
) -> UnrenderedChart | None:
    """What can be checked of the chart in `folder` (and its vendored subchart folders) without
    rendering it; None when that chart was already looked at in this run."""
    real = Path(os.path.realpath(folder))
    if real in seen:
        return None
    result = UnrenderedChart(folder, _chart_name(folder, max_size))
    references: set[str] = set()
    charts = list(_charts(folder, root, seen))  # a subchart already checked is not again
    for chart in charts:
        _templates(chart, root, max_size, result, references)
    for chart in charts:
        values = chart / "values.yaml"
        if not values.is_file() or not inside(values, root):
            continue
        target = Target(values, _rel(values, root))
        try:
            documents = load_all(read_text(values, max_size))
        except (UnreadableFile, YamlProblem) as exc:
            result.unreadable.append((target.rel, str(exc)))
            continue
        hits = [hit for document in documents[:1]
                for hit in values_hits(document, references, trusted_registries)]
        result.values.append((target, hits))
    return result


def _charts(folder: Path, root: Path, seen: set[Path]) -> Iterator[Path]:
    """The chart folder and its vendored subchart folders (`charts/<name>/Chart.yaml`), each
    once; `seen` collects them across charts of one run."""
    pending = [folder]
    while pending:
        chart = pending.pop(0)
        real = Path(os.path.realpath(chart))
        if real in seen or not inside(chart, root):
            continue
        seen.add(real)
        yield chart
        subcharts = chart / "charts"
        if subcharts.is_dir():
            pending.extend(sorted(p for p in subcharts.iterdir()
                                  if p.is_dir() and (p / "Chart.yaml").is_file()))


def _templates(chart: Path, root: Path, max_size: int, result: UnrenderedChart,
               references: set[str]) -> None:
    for path in _files(chart / "charts", root):
        if path.parent == chart / "charts" and path.name.endswith(".tgz"):
            result.packaged.append(_rel(path, root))
    for path in _files(chart / "templates", root):
        rel = _rel(path, root)
        if path.name == "NOTES.txt":
            continue  # printed after an install, never applied
        try:
            text = read_text(path, max_size)
        except UnreadableFile as exc:
            result.unreadable.append((rel, str(exc)))
            continue
        references.update(m.group(1).lstrip(".") for m in _VALUES_REFERENCE.finditer(text))
        if path.name.startswith("_"):
            continue  # a partial: renders only where a (templated) file includes it
        if TEMPLATE_DIRECTIVE in text:
            result.templated.append(rel)
        elif text.strip():
            result.plain.append((Target(path, rel), text))


def _read_by_template(path: Sequence[str], references: set[str]) -> str | None:
    """The `.Values` reference of a template that reads the value at `path` (the path itself or
    a parent of it), or None."""
    for end in range(len(path), 0, -1):
        dotted = ".".join(path[:end])
        if dotted in references:
            return dotted
    return None


def values_hits(
    document: Any, references: set[str], trusted_registries: Sequence[str] | None
) -> list[ValuesHit]:
    hits: list[ValuesHit] = []
    _walk_values(document, [], references, trusted_registries, hits)
    return hits


def _walk_values(node: Any, path: list[str], references: set[str],
                 trusted_registries: Sequence[str] | None, hits: list[ValuesHit]) -> None:
    if not isinstance(node, dict) or node.get("enabled") is False:
        return  # `enabled: false`: the chart's convention for a part it does not render
    for key, value in node.items():
        if not isinstance(key, str):
            continue
        here = [*path, key]
        dotted = ".".join(here)
        read = _read_by_template(here, references)
        line = line_of(node, key) or 1
        checks = dict(POD_CHECKS)
        if path and path[-1].lower().endswith("securitycontext"):
            checks.update(SECURITY_CONTEXT_CHECKS)
        if read is not None and key in checks:
            bad, check_id, name = checks[key]
            if value is bad or (bad is not True and value == bad and not isinstance(value, bool)):
                shown = str(value).lower() if isinstance(value, bool) else str(value)
                hits.append(ValuesHit(
                    line, f"{name}: the chart's default values set {dotted}: {shown} "
                    f"(templates read .Values.{read})", check_id=check_id, check_name=name,
                    basis=f"values {dotted}",
                ))
        if key == "image":
            # templates read an image mapping's keys (.Values.image.repository)
            read = read or next((r for r in sorted(references)
                                 if r.startswith(f"{dotted}.")), None)
            if read is not None:
                hits.extend(_image_hit(value, dotted, line, read, trusted_registries))
        if isinstance(value, dict):
            _walk_values(value, here, references, trusted_registries, hits)


def _image_hit(value: Any, dotted: str, line: int, read: str,
               trusted_registries: Sequence[str] | None) -> list[ValuesHit]:
    """`image: repo:tag` or `image: {registry, repository, tag, digest}` with a literal tag:
    a `latest` tag (HS102) or an untrusted registry (HS103). An empty tag is the chart's
    appVersion, not `latest`, and the digest rule (HS101) is left to rendered charts."""
    if isinstance(value, str):
        reference, where = value, line
        if ":" not in value.rsplit("/", 1)[-1] and "@" not in value:
            return []  # no literal tag: templates usually add one
    elif isinstance(value, dict) and isinstance(value.get("repository"), str):
        tag = value.get("tag")
        if not isinstance(tag, str) or not tag.strip():
            return []
        registry = value.get("registry")
        reference = value["repository"]
        if isinstance(registry, str) and registry.strip():
            reference = f"{registry.strip().rstrip('/')}/{reference}"
        reference += f":{tag.strip()}"
        digest = value.get("digest")
        if isinstance(digest, str) and digest.startswith("sha256:"):
            reference += f"@{digest}"
        where = line_of(value, "tag") or line
    else:
        return []
    hits = []
    for issue in image_issues(reference, trusted_registries, f"Default image ({dotted})"):
        if issue.rule.id not in ("HS102", "HS103"):
            continue
        hits.append(ValuesHit(
            where, f"{issue.message} (chart default values; templates read .Values.{read})",
            rule=issue.rule, basis=f"values {dotted} {issue.image}",
        ))
    return hits
