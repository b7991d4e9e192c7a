"""GitHub workflows and composite actions: hullscan's image-trust rules on every image a job
runs (`container:`, `services:`, `uses: docker://...`), and zizmor (offline, JSON) for
template injection, unpinned actions, dangerous triggers and excessive permissions."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hullscan.checkers.interface import CheckContext
from hullscan.containers.images import image_issues
from hullscan.core.catalog import tool_rule
from hullscan.core.config import Config
from hullscan.core.errors import ToolError
from hullscan.core.model import Finding, Location, Rule, Severity, Suppression
from hullscan.core.redact import redact
from hullscan.core.tools import find_tool, run_tool
from hullscan.core.yamlsafe import line_of
from hullscan.discover import Target

log = logging.getLogger("hullscan.iac")

CHECKER = "iac"
ZIZMOR_ENV = "HULLSCAN_ZIZMOR"
ZIZMOR_URI = "https://docs.zizmor.sh/"
ZIZMOR_SEVERITY = {
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "informational": Severity.INFO,
    "unknown": Severity.LOW,
}


def image_findings(target: Target, documents: list[Any], config: Config) -> Iterator[Finding]:
    for document in documents:
        jobs = document.get("jobs") if isinstance(document, dict) else None
        if isinstance(jobs, dict):
            for job_id, job in jobs.items():
                if isinstance(job, dict):
                    yield from _job_images(target, str(job_id), job, config)
        runs = document.get("runs") if isinstance(document, dict) else None  # action.yml
        if isinstance(runs, dict) and isinstance(runs.get("image"), str):
            image = runs["image"]
            if image.startswith("docker://"):
                yield from _issues(target, image[len("docker://"):], "Action image",
                                   line_of(runs, "image"), config)
            # `image: Dockerfile` builds from the repository: the Dockerfile checker covers it.
        steps = runs.get("steps") if isinstance(runs, dict) else None
        if isinstance(steps, list):
            yield from _step_images(target, "action", steps, config)


def _job_images(
    target: Target, job_id: str, job: dict[str, Any], config: Config
) -> Iterator[Finding]:
    container = job.get("container")
    if isinstance(container, str):
        yield from _issues(target, container, f"Job {job_id} container",
                           line_of(job, "container"), config)
    elif isinstance(container, dict) and isinstance(container.get("image"), str):
        yield from _issues(target, container["image"], f"Job {job_id} container",
                           line_of(container, "image"), config)
    services = job.get("services")
    if isinstance(services, dict):
        for name, service in services.items():
            if isinstance(service, str):
                yield from _issues(target, service, f"Job {job_id} service {name}",
                                   line_of(services, name), config)
            elif isinstance(service, dict) and isinstance(service.get("image"), str):
                yield from _issues(target, service["image"], f"Job {job_id} service {name}",
                                   line_of(service, "image"), config)
    steps = job.get("steps")
    if isinstance(steps, list):
        yield from _step_images(target, f"job {job_id}", steps, config)


def _step_images(
    target: Target, where: str, steps: list[Any], config: Config
) -> Iterator[Finding]:
    for step in steps:
        if isinstance(step, dict) and isinstance(step.get("uses"), str):
            uses = step["uses"]
            if uses.startswith("docker://"):
                yield from _issues(target, uses[len("docker://"):], f"Step image in {where}",
                                   line_of(step, "uses"), config)


def _issues(
    target: Target, image: str, what: str, line: int | None, config: Config
) -> Iterator[Finding]:
    if "${{" in image:
        return  # chosen at run time
    for issue in image_issues(image, config.trusted_registries, what):
        yield Finding(
            rule=issue.rule, checker=CHECKER, severity=issue.rule.default_severity,
            message=issue.message, location=Location(target.rel, line or 1),
            fingerprint_basis=f"{what} {issue.image}",
            properties={"cwe": list(issue.rule.cwe)} if issue.rule.cwe else {},
        )


# --- zizmor -----------------------------------------------------------------------------------


def zizmor_config_args(context: CheckContext) -> list[str]:
    """In pull-request mode zizmor reads the base commit's configuration file (or none), never
    one the change under review adds or edits."""
    if not context.pull_request:
        return []
    from hullscan.policy.trusted import TOOL_CONFIGS

    # `--no-ignores`: zizmor would drop the findings its `# zizmor: ignore[...]` comments name
    # without a trace; hullscan reads those comments itself (`_ignore_comment`), so that one the
    # change adds is reviewed like any inline suppression. (The base configuration's `ignore`
    # entries then do not apply either: those findings are in the base scan too, so they are
    # unchanged and do not block.)
    for name in TOOL_CONFIGS["zizmor"]:
        path = context.tool_config(name)
        if path is not None:
            return ["--no-ignores", "--config", str(path)]
    return ["--no-ignores", "--no-config"]


def zizmor_version(exe: str) -> str | None:
    try:
        run = run_tool("zizmor", [exe, "--version"], timeout=30)
    except ToolError:
        return None
    parts = run.stdout.split()
    return parts[-1] if parts else None


def run_zizmor(
    targets: Sequence[Target], root: Path, config_args: Sequence[str] = ()
) -> tuple[list[Finding], str]:
    """zizmor over all workflow/action files in one process. Returns findings and the path
    of the executable used. Raises ToolError when it cannot run or its output is unreadable.
    `config_args`: `--config FILE` or `--no-config` in pull-request mode (see
    `zizmor_config_args`)."""
    exe = find_tool("zizmor", ZIZMOR_ENV)
    argv = [exe, "--offline", "--no-progress", "--no-exit-codes", "--color", "never",
            "--format", "json", *config_args,
            "--", *[t.rel for t in targets]]  # `--`: a file named like an option is a file
    run = run_tool("zizmor", argv, cwd=root)
    try:
        data = json.loads(run.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise ToolError("zizmor", f"unreadable JSON output: {exc.msg}", run.stderr) from exc
    by_rel = {t.rel: t for t in targets}
    findings = []
    for item in data if isinstance(data, list) else []:
        finding = _zizmor_finding(item, by_rel)
        if finding is not None:
            findings.append(finding)
    return findings, exe


def _zizmor_rule(ident: str, desc: str, url: str | None, severity: Severity) -> Rule:
    text = desc[:1].upper() + desc[1:] if desc else ident
    return tool_rule(f"zizmor/{ident}", f"zizmor-{ident}", text, f"zizmor audit {ident}",
                     url or ZIZMOR_URI, severity, ("iac", "github-actions", "zizmor"))


def _zizmor_finding(item: Any, by_rel: dict[str, Target]) -> Finding | None:
    # `ignored` findings appear only with `--no-ignores` (pull-request mode), where hullscan
    # reads the ignore comment itself (`_ignore_comment`)
    if not isinstance(item, dict):
        return None
    ident = str(item.get("ident") or "")
    determinations = item.get("determinations") or {}
    severity = ZIZMOR_SEVERITY.get(str(determinations.get("severity", "")).lower(), Severity.LOW)
    locations = [loc for loc in item.get("locations") or [] if isinstance(loc, dict)]
    primary = next((loc for loc in locations if loc.get("symbolic", {}).get("kind") == "Primary"),
                   locations[0] if locations else None)
    if not ident or primary is None:
        return None
    symbolic = primary.get("symbolic") or {}
    path = str(((symbolic.get("key") or {}).get("Local") or {}).get("verbatim_path") or "")
    target = by_rel.get(path) or by_rel.get(path.removeprefix("./"))
    if target is None:
        return None
    point = ((primary.get("concrete") or {}).get("location") or {}).get("start_point") or {}
    line = int(point.get("row", 0)) + 1
    column = int(point.get("column", 0)) + 1
    annotation = str(symbolic.get("annotation") or "")
    desc = str(item.get("desc") or ident)
    message = f"{desc}: {annotation}" if annotation else desc
    end = int((((primary.get("concrete") or {}).get("location") or {}).get("end_point")
               or {}).get("row", line - 1)) + 1
    return Finding(
        rule=_zizmor_rule(ident, desc, item.get("url"), severity),
        checker=CHECKER,
        severity=severity,
        message=redact(message, prose=True),
        location=Location(target.rel, max(1, line), column),
        properties={"confidence": str(determinations.get("confidence", "")).lower()},
        suppression=_ignore_comment(target, max(1, line), max(line, end), ident),
    )


_IGNORE_COMMENT = re.compile(r"#\s*zizmor:\s*ignore\[(?P<ids>[^\]]*)\](?P<reason>.*)$")


def _ignore_comment(target: Target, first: int, last: int, ident: str) -> Suppression | None:
    """zizmor's `# zizmor: ignore[audit]` comment on the finding's lines (only seen when zizmor
    runs with `--no-ignores`, in pull-request mode). Text after it is the reason."""
    try:
        lines = target.path.read_text("utf-8", "replace").splitlines()
    except OSError:
        return None
    for text in lines[first - 1 : last]:
        match = _IGNORE_COMMENT.search(text)
        if match is None or ident not in {i.strip() for i in match.group("ids").split(",")}:
            continue
        return Suppression.in_source(redact(match.group("reason"), prose=True),
                                     "# zizmor: ignore")
    return None
