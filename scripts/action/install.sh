#!/usr/bin/env bash
# The Action's install step: hullscan and every checker's tools, from the action's own checkout,
# into a virtual environment of its own (the workflow's Python stays untouched).
set -euo pipefail
venv="${RUNNER_TEMP:?}/hullscan-venv"
"${PYTHON:?}" -m venv "$venv"
if [ -x "$venv/bin/python" ]; then bin="$venv/bin"; else bin="$venv/Scripts"; fi
"$bin/python" -m pip install --disable-pip-version-check --quiet "${ACTION_PATH:?}[all]"
echo "hullscan=$bin/hullscan" >>"${GITHUB_OUTPUT:?}"
"$bin/hullscan" --version
