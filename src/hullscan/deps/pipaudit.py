"""pip-audit for Python requirements files when online.

pip-audit resolves what a requirements file really installs (unpinned requirements included:
`-r` without `--no-deps`) and asks its OSV service which of those packages are vulnerable. Its
answer gives packages, versions and advisory ids; hullscan then runs the records of those ids
through its own OSV engine, so severities, merged aliases and fixes are the same as on the
offline path. pip-audit's private modules are not used: only its command line and JSON output
(tested with pip-audit 2.10).

pip-audit prints "No known vulnerabilities found" and exits 0 when it cannot look a package up;
hullscan reads every dependency's `skip_reason` instead and fails closed.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hullscan.errors import ToolError
from hullscan.tools import find_tool, run_tool
from hullscan.vuln.interface import PackageRef

PIP_AUDIT_ENV = "HULLSCAN_PIP_AUDIT"
TIMEOUT = 600.0


@dataclass(frozen=True)
class Resolved:
    """What pip-audit reported for one requirements file."""

    packages: tuple[PackageRef, ...]
    vulnerable: dict[PackageRef, tuple[str, ...]] = field(default_factory=dict)  # ids + aliases
    skipped: dict[str, str] = field(default_factory=dict)  # package name -> reason


def available() -> str | None:
    try:
        return find_tool("pip-audit", PIP_AUDIT_ENV)
    except ToolError:
        return None


def osv_query_url() -> str:
    base = os.environ.get("HULLSCAN_OSV_URL", "https://api.osv.dev").rstrip("/")
    return f"{base}/v1/query"


def requirements_of(path: Path) -> list[str] | None:
    """What pip-audit should audit for this file: None for a requirements file (pip-audit reads
    it, `-r` includes and all); the PEP 621 requirements of a pyproject.toml without Poetry
    tables; [] when pip-audit has nothing to do with it."""
    if path.suffix == ".txt":
        return None
    from hullscan.deps.lockfiles._common import load_toml
    from hullscan.deps.lockfiles.pyproject import pep621_requirements

    data = load_toml(path.read_text("utf-8"))
    tool = data.get("tool")
    if isinstance(tool, dict) and "poetry" in tool:
        return []
    return pep621_requirements(data)


def audit_requirements(
    exe: str, path: Path, root: Path, resolve: bool, lines: list[str] | None = None
) -> Resolved:
    """Run pip-audit on one requirements file, or on `lines` of requirements (written to a
    temporary file). `resolve=False` audits the pins as written (fast: no virtualenv);
    `resolve=True` lets pip resolve unpinned requirements (online)."""
    if lines is not None:
        with tempfile.TemporaryDirectory(prefix="hullscan-pip-audit-") as tmp:
            listed = Path(tmp) / "requirements.txt"
            listed.write_text("".join(f"{line}\n" for line in lines), "utf-8")
            return audit_requirements(exe, listed, root, resolve)
    argv = [exe, "-r", str(path), "-f", "json", "--progress-spinner", "off",
            "-s", "osv", "--osv-url", osv_query_url()]
    if not resolve:
        argv += ["--no-deps", "--disable-pip"]
    # 0: nothing found, 1: vulnerabilities found; anything else is a failure.
    run = run_tool("pip-audit", argv, cwd=root, timeout=TIMEOUT, ok_codes=(0, 1),
                   env={"PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    try:
        data = json.loads(run.stdout)
    except ValueError as exc:
        raise ToolError("pip-audit", "unreadable JSON output", run.stderr) from exc
    return parse(data)


def parse(data: object) -> Resolved:
    dependencies = data.get("dependencies") if isinstance(data, dict) else None
    if not isinstance(dependencies, list):
        raise ToolError("pip-audit", "unexpected JSON output (no dependencies list)")
    packages: list[PackageRef] = []
    vulnerable: dict[PackageRef, tuple[str, ...]] = {}
    skipped: dict[str, str] = {}
    for item in dependencies:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        name = item["name"]
        if item.get("skip_reason") or not isinstance(item.get("version"), str):
            skipped[name] = " ".join(str(item.get("skip_reason") or "no version").split())
            continue
        package = PackageRef("PyPI", name, item["version"])
        packages.append(package)
        ids: list[str] = []
        for vuln in item.get("vulns") or []:
            if isinstance(vuln, dict) and isinstance(vuln.get("id"), str):
                ids.append(vuln["id"])
                ids.extend(a for a in vuln.get("aliases") or [] if isinstance(a, str))
        if ids:
            vulnerable[package] = tuple(dict.fromkeys(ids))
    return Resolved(tuple(packages), vulnerable, skipped)


def key(name: str) -> str:
    """A Python package name as PEP 503 compares it."""
    from hullscan.vuln.local_db import normalise_name

    return normalise_name("PyPI", name)
