"""Run tests/test_iac_frameworks.py (every checkov framework hullscan enables, one real file
each) against the oldest and the newest checkov that pyproject.toml allows (issue 12).

The oldest is the lower bound of the `iac` extra's checkov requirement, which must name a real
release (`>=3.2.368`); the newest is the highest release on the package index below the upper
bound. A version the running interpreter already has is tested with it; any other in a
throw-away virtualenv under .cache/checkov-matrix/ (reused while pyproject.toml is unchanged),
made with the uv version scripts/lock pins: hullscan from this tree (editable, with its `iac`
extra), exactly that checkov and pytest, everything else resolved from pyproject's ranges. When a
version cannot be installed beside hullscan's other requirements the run fails: raise the lower
bound to the oldest release that installs and passes.

Usage: python .ci/checkov_matrix.py [--skip-installed]
  --skip-installed  leave out a version the running interpreter has (.ci/run: the suite it just
                    ran includes tests/test_iac_frameworks.py)
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

PROJECT = Path(__file__).resolve().parents[1]
TEST = "tests/test_iac_frameworks.py"
CACHE = PROJECT / ".cache" / "checkov-matrix"
TOOLS = PROJECT / ".cache" / "lock-tools"  # the uv of scripts/lock


def checkov_requirement() -> Requirement:
    pyproject = tomllib.loads((PROJECT / "pyproject.toml").read_text("utf-8"))
    for line in pyproject["project"]["optional-dependencies"]["iac"]:
        requirement = Requirement(line)
        if requirement.name == "checkov":
            return requirement
    raise SystemExit("pyproject.toml: no checkov in the iac extra")


def oldest(requirement: Requirement) -> Version:
    floors = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    if len(floors) != 1:
        raise SystemExit(f"pyproject.toml: {requirement} needs one >= lower bound")
    return floors[0]


def newest(requirement: Requirement) -> Version:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", "checkov",
         "--disable-pip-version-check"],
        capture_output=True, text=True, check=True)
    match = re.search(r"^Available versions:\s*(.+)$", proc.stdout, re.MULTILINE)
    if match is None:
        raise SystemExit(f"pip index versions checkov: unexpected output\n{proc.stdout}")
    allowed = [v for v in (Version(x.strip()) for x in match[1].split(","))
               if not v.is_prerelease and v in requirement.specifier]
    if not allowed:
        raise SystemExit(f"no checkov release on the index satisfies {requirement}")
    return max(allowed)


def uv() -> Path:
    wanted = re.search(r"^UV_VERSION=(\S+)$", (PROJECT / "scripts/lock").read_text(), re.M)
    assert wanted is not None, "scripts/lock pins UV_VERSION"
    binary = TOOLS / "bin" / "uv"
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                             check=False).stdout.strip() if binary.exists() else ""
    if version != f"uv {wanted[1]}":
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run([str(TOOLS / "bin" / "python"), "-m", "pip", "install", "-q",
                        "--disable-pip-version-check", f"uv=={wanted[1]}"], check=True)
    return binary


def virtualenv(version: Version) -> Path:
    """A virtualenv with hullscan[iac] from this tree and exactly this checkov."""
    key = hashlib.sha256((PROJECT / "pyproject.toml").read_bytes()).hexdigest()[:12]
    folder = CACHE / f"checkov-{version}-{key}"
    python = folder / "bin" / "python"
    if (folder / ".complete").exists():
        print(f"   reusing {folder.relative_to(PROJECT)}", flush=True)
        return python
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob(f"checkov-{version}-*"):
        shutil.rmtree(old)  # made for another pyproject.toml
    tool = uv()
    start = time.perf_counter()
    subprocess.run([str(tool), "--no-config", "venv", "-q", "--python", sys.executable,
                    str(folder)], check=True)
    install = subprocess.run(
        [str(tool), "--no-config", "pip", "install", "-q", "--python", str(python),
         "-e", f"{PROJECT}[iac]", f"checkov=={version}", "pytest"],
        capture_output=True, text=True, check=False)
    if install.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise SystemExit(f"checkov {version} does not install beside hullscan[iac]'s other "
                         f"requirements; raise pyproject's lower bound\n{install.stderr}")
    (folder / ".complete").write_text(f"checkov=={version}\n")
    print(f"   installed {folder.relative_to(PROJECT)} in {time.perf_counter() - start:.0f} s",
          flush=True)
    return python


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-installed", action="store_true",
                        help="leave out a version the running interpreter has")
    args = parser.parse_args()
    requirement = checkov_requirement()
    try:
        installed: Version | None = Version(importlib.metadata.version("checkov"))
    except importlib.metadata.PackageNotFoundError:
        installed = None
    versions = {"oldest": oldest(requirement), "newest": newest(requirement)}
    failed = []
    for label, version in versions.items():
        print(f"== checkov {version}, the {label} {requirement} allows", flush=True)
        if version == installed and args.skip_installed:
            print(f"   the suite ran {TEST} with it (this interpreter's checkov)", flush=True)
            continue
        python = Path(sys.executable) if version == installed else virtualenv(version)
        start = time.perf_counter()
        run = subprocess.run([str(python), "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider"],
                             cwd=PROJECT, check=False)
        print(f"   {TEST} with checkov {version}: exit {run.returncode} in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        if run.returncode != 0:
            failed.append(f"{label} ({version})")
    if failed:
        print(f"checkov matrix failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
