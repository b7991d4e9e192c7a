#!/usr/bin/env bash
# The Action's note on a SARIF that is not in code scanning: why (GitHub's own reason when it can
# be had) and which artifact keeps it. Never fails: the Verdict step decides the job.
#
# upload-sarif prints GitHub's error only in its own log. Two cases:
# - it has a sarif-id output: GitHub received the file and its processing failed; the upload's
#   processing errors are read back from the REST API (GET .../code-scanning/sarifs/<id>, which
#   the security-events permission the upload needs allows) and quoted;
# - no sarif-id: the upload itself was refused (or never sent); the usual reasons are named,
#   with a pointer to that step's log.
set -uo pipefail

escape() {  # a workflow command's message: %, CR and LF escaped as GitHub's toolkit does
  local text="${1//%/%25}"
  text="${text//$'\r'/%0D}"
  printf '%s' "${text//$'\n'/%0A}"
}

processing_errors() {  # GitHub's processing errors of upload $SARIF_ID, "; "-joined, or nothing
  [[ -n "${TOKEN:-}" && "${SARIF_ID:-}" =~ ^[A-Za-z0-9-]+$ ]] || return 0
  local url="${GITHUB_API_URL:-https://api.github.com}/repos/${GITHUB_REPOSITORY:-}"
  url+="/code-scanning/sarifs/${SARIF_ID}"
  # the token goes in curl's configuration on stdin, not on its command line
  printf 'header = "Authorization: Bearer %s"\n' "$TOKEN" |
    curl --silent --fail --max-time 20 --config - \
      --header "Accept: application/vnd.github+json" \
      --header "X-GitHub-Api-Version: 2022-11-28" "$url" |
    "$(dirname "${HULLSCAN:?}")/python" -c '
import json, sys
try:
    status = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
if isinstance(status, dict) and status.get("processing_status") == "failed":
    print("; ".join(" ".join(str(e).split()) for e in status.get("errors") or []))
' 2>/dev/null
}

why="${WHY_NOT:-}"
if [ "${UPLOAD_OUTCOME:-}" = failure ]; then
  run_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-}"
  log="GitHub's message is in the log of this job's step \"Upload SARIF to code scanning\" (${run_url})"
  if [ -n "${SARIF_ID:-}" ]; then
    errors="$(processing_errors)"
    if [ -n "$errors" ]; then
      why="code scanning received the SARIF but could not process it: ${errors}"
    else
      why="code scanning received the SARIF (id ${SARIF_ID}) but its processing did not succeed; ${log}"
    fi
  else
    why="the upload to code scanning failed. Likely reasons: the job's token cannot write security events (the job needs permissions: security-events: write, private repositories also actions: read; pull requests from forks get a read-only token), code scanning is not enabled for this repository (private repositories need GitHub Code Security), or another step of this job already uploaded the same category. ${log}"
  fi
fi
echo "::notice title=hullscan::$(escape "SARIF not in code scanning: ${why}. It is kept as the workflow artifact ${ARTIFACT:-}; annotations and the job summary show the findings.")"
exit 0
