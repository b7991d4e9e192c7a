"""pip-audit for Python requirements files when online.

By default pip-audit only ever sees exact pins: the `name==version` pins hullscan's own readers
found, written to a temporary requirements file and audited with `--no-deps --disable-pip`, so
nothing is installed, built or resolved and the repository's file (its `-r`, `-e`, local paths,
URLs and options) never reaches pip. Resolving unpinned and local-path requirements
(`checkers.deps.resolve: true`, never in pull-request mode) is the one exception: pip-audit then
installs the original file into a temporary virtualenv, which runs the project's build code.

pip-audit's answer gives packages, versions and advisory ids; hullscan then runs the records of
those ids through its own OSV engine, so severities, merged aliases and fixes are the same as on
the offline path. pip-audit's private modules are not used: only its command line and JSON
output (tested with pip-audit 2.10). It runs with a minimal environment (no GITHUB_*, no tokens:
`tools.minimal_env`).

pip-audit prints "No known vulnerabilities found" and exits 0 when it cannot look a package up;
hullscan reads every dependency's `skip_reason` instead and fails closed. pip-audit also exits 1
both when it found vulnerabilities and when it crashed (its service unreachable: a traceback, no
JSON): only a JSON report that lists a vulnerability is taken for the former, and a crash is a
ToolError saying what failed (`cannot reach its OSV service at URL: Connection refused`). It
gets `HULLSCAN_TOOL_TIMEOUT` like every tool, read when it runs.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hullscan.core.errors import ToolError
from hullscan.core.tools import DEFAULT_TIMEOUT, find_tool, minimal_env, run_tool
from hullscan.deps.lockfiles._common import one_line
from hullscan.vuln.interface import PackageRef

PIP_AUDIT_ENV = "HULLSCAN_PIP_AUDIT"


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


def timeout() -> float:
    """`HULLSCAN_TOOL_TIMEOUT` as it is set now (the tools' default when unset or invalid)."""
    try:
        value = float(os.environ.get("HULLSCAN_TOOL_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def osv_query_url() -> str:
    base = os.environ.get("HULLSCAN_OSV_URL", "https://api.osv.dev").rstrip("/")
    return f"{base}/v1/query"


def requirements_of(path: Path) -> list[str] | None:
    """What pip-audit resolves for this file with `checkers.deps.resolve`: None for a
    requirements file (pip-audit reads it, `-r` includes and all); the PEP 621 requirements of
    a pyproject.toml without Poetry tables; [] when pip-audit has nothing to do with it (a
    Poetry project: poetry.lock is the file to audit)."""
    if path.name != "pyproject.toml":
        return None
    from hullscan.deps.lockfiles import manifest_text
    from hullscan.deps.lockfiles._common import load_toml
    from hullscan.deps.lockfiles.pyproject import pep621_requirements, read_pyproject

    data = load_toml(manifest_text(path, read_pyproject)[0])
    tool = data.get("tool")
    if isinstance(tool, dict) and "poetry" in tool:
        return []
    return pep621_requirements(data)


# What may go into the temporary file: a name and a version without spaces or option syntax,
# so a pin can never become a `-r`, `-e`, `--index-url` or path line.
_PIN_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_PIN_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+!_-]*")


def pinnable(name: str, version: str) -> bool:
    return bool(_PIN_NAME.fullmatch(name) and _PIN_VERSION.fullmatch(version))


def audit_pins(exe: str, pins: Sequence[tuple[str, str]]) -> Resolved:
    """pip-audit on exact pins only (see `pinnable`), one `name==version` line each in a
    temporary requirements file, with `--no-deps --disable-pip`: no resolution, no install, no
    build. No `--hash` options: `--no-deps` does not need them, and one hashed line would make
    pip-audit require hashes on every line."""
    refused = [f"{n}=={v}" for n, v in pins if not pinnable(n, v)]
    if refused:
        raise ValueError(f"not plain pins: {', '.join(refused)}")
    with tempfile.TemporaryDirectory(prefix="hullscan-pip-audit-") as tmp:
        listed = Path(tmp) / "requirements.txt"
        listed.write_text("".join(f"{n}=={v}\n" for n, v in pins), "utf-8")
        return _run(exe, listed, Path(tmp), resolve=False)


def audit_resolving(exe: str, path: Path, root: Path, lines: list[str] | None = None) -> Resolved:
    """The opt-in (`checkers.deps.resolve: true`): pip-audit resolves the requirements file
    itself, or `lines` of PEP 621 requirements (written to a temporary file), by installing them
    into a temporary virtualenv. This runs the build code of local paths and source
    distributions; the caller never does it in pull-request mode."""
    if lines is not None:
        with tempfile.TemporaryDirectory(prefix="hullscan-pip-audit-") as tmp:
            listed = Path(tmp) / "requirements.txt"
            listed.write_text("".join(f"{line}\n" for line in lines), "utf-8")
            return _run(exe, listed, root, resolve=True)
    return _run(exe, path, root, resolve=True)


def _run(exe: str, path: Path, cwd: Path, resolve: bool) -> Resolved:
    argv = [exe, "-r", str(path), "-f", "json", "--progress-spinner", "off",
            "-s", "osv", "--osv-url", osv_query_url()]
    if not resolve:
        argv += ["--no-deps", "--disable-pip"]
    extra = {"PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    # pip only runs when resolving: then its own settings (index, proxies) apply too
    env = minimal_env(extra, keep_prefixes=("PIP_",)) if resolve else extra
    # 0: nothing found; 1: vulnerabilities found, or pip-audit failed; anything else a failure.
    run = run_tool("pip-audit", argv, cwd=cwd, timeout=timeout(), ok_codes=(0, 1),
                   env=env, clean_env=True)
    try:
        data = json.loads(run.stdout)
    except ValueError:
        raise ToolError("pip-audit", failure(run.returncode, run.stderr), run.stderr) from None
    resolved = parse(data)
    if run.returncode == 1 and not resolved.vulnerable:
        raise ToolError("pip-audit", failure(run.returncode, run.stderr), run.stderr)
    return resolved


_SERVICE_FAILURE = re.compile(
    r"^(?:requests\.exceptions\.|urllib3\.exceptions\.)?"
    r"(?P<kind>ConnectionError|ConnectTimeout|ReadTimeout|Timeout|SSLError|ProxyError"
    r"|MaxRetryError|NewConnectionError)\b|ServiceError"
)
_ERRNO = re.compile(r"\[Errno -?\d+\] (?P<reason>[^'\")\]]+)|(?P<other>Read timed out|"
                    r"Connection aborted|Remote end closed connection without response|"
                    r"certificate verify failed|timed out)")


def failure(returncode: int, stderr: str) -> str:
    """What pip-audit's exit (without a usable report) means, in one line: its OSV service
    unreachable or failing, or its last error line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    service = _SERVICE_FAILURE.search(last)
    if service:
        reason = _ERRNO.search(last)
        if reason:
            detail = reason.group("reason") or reason.group("other")
        elif service.group("kind"):
            detail = service.group("kind")
        else:
            detail = "it answered with an error"
        return f"cannot reach its OSV service at {osv_query_url()}: {one_line(detail)}"
    if not last:
        return f"exited with code {returncode} without a report and without an error message"
    return f"exited with code {returncode} without a report: {one_line(last, 200)}"


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
