#!/usr/bin/env bash
# The Action's install step: hullscan and every checker's tools, from the action's own checkout,
# into a virtual environment of its own (the workflow's Python stays untouched).
# Every checker's tools come from requirements.lock (bash scripts/lock writes it from
# pyproject.toml): exact versions, each file's sha256 checked, wheels only, and complete (in
# --require-hashes mode pip refuses any package the lock does not list). hullscan itself is built
# from the checkout without build isolation (so nothing unhashed is downloaded) in a second
# virtual environment holding only build.lock's setuptools (setuptools >= 77 cannot run beside
# checkov's packaging < 24), and its wheel installed without dependencies (all are there).
set -euo pipefail
venv="${RUNNER_TEMP:?}/hullscan-venv"
"${PYTHON:?}" -m venv "$venv"
if [ -x "$venv/bin/python" ]; then bin="$venv/bin"; else bin="$venv/Scripts"; fi
pip=("$bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" install --quiet --require-hashes -r "${ACTION_PATH:?}/scripts/action/requirements.lock"

build="${RUNNER_TEMP}/hullscan-build"
"${PYTHON}" -m venv "$build"
if [ -x "$build/bin/python" ]; then build_bin="$build/bin"; else build_bin="$build/Scripts"; fi
build_pip=("$build_bin/python" -m pip --disable-pip-version-check)
"${build_pip[@]}" install --quiet --require-hashes -r "$ACTION_PATH/scripts/action/build.lock"
dist="$(mktemp -d "${RUNNER_TEMP}/hullscan-dist.XXXXXX")"
"${build_pip[@]}" wheel --quiet --no-deps --no-build-isolation --wheel-dir "$dist" "$ACTION_PATH"
"${pip[@]}" install --quiet --no-deps --force-reinstall "$dist"/hullscan-*.whl
rm -rf "$dist"
if ! problems="$("${pip[@]}" check 2>&1)"; then  # pyproject.toml changed, the lock did not
  echo "$problems" >&2
  echo "::error title=hullscan::requirements.lock does not satisfy pyproject.toml: run bash scripts/lock"
  exit 1
fi
echo "hullscan=$bin/hullscan" >>"${GITHUB_OUTPUT:?}"
"$bin/hullscan" --version
