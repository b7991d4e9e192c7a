#!/usr/bin/env bash
# The Action's scan step. Runs hullscan once (annotations on stdout, the job summary appended to
# $GITHUB_STEP_SUMMARY, counts to $GITHUB_OUTPUT), records its exit code and whether the SARIF
# can be uploaded, and always succeeds: the Verdict step fails the job after the upload, so
# reviewers see the results of a failing run.
set -uo pipefail
out="${GITHUB_OUTPUT:?}"
zero_sha="0000000000000000000000000000000000000000"

fail_usage() {  # a problem with the Action's inputs: one annotation, exit code 2
  # The text can hold anything (an input's value, hullscan's message naming a file): %, CR and
  # LF escaped in the command as GitHub's toolkit does; in the summary a fenced code block with
  # more backticks than any run in the text, so it shows as text, never as Markdown or HTML.
  local message="${1//%/%25}" fence='```'
  message="${message//$'\r'/%0D}"
  message="${message//$'\n'/%0A}"
  echo "::error title=hullscan::$message"
  if [ "${INPUT_SUMMARY:-true}" = true ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    while [[ "$1" == *"$fence"* ]]; do fence+='`'; done
    printf '## hullscan could not run\n\n%s\n%s\n%s\n' "$fence" "$1" "$fence" \
      >>"$GITHUB_STEP_SUMMARY"
  fi
  echo "exit-code=2" >>"$out"
  exit 0
}

# Names of this step's own: the SARIF file and the artifact carry the category and the step
# (GITHUB_ACTION: the step's id, or the name the runner gives a step without one, unique in the
# job), the artifact also the job and the shard (artifact names are per workflow run), with what
# file and artifact names cannot hold replaced by '-'.
name_part() { local LC_ALL=C; printf '%s' "${1//[^A-Za-z0-9._-]/-}"; }
category="${INPUT_CATEGORY:-hullscan}"
step="$(name_part "${GITHUB_ACTION:-hullscan}")"
sarif="${INPUT_SARIF_FILE:-}"
[ -n "$sarif" ] || sarif="${RUNNER_TEMP:?}/hullscan-$(name_part "$category")-$step.sarif"
artifact="${INPUT_ARTIFACT_NAME:-}"
if [ -z "$artifact" ]; then
  artifact="hullscan-sarif-$(name_part "$category")-$(name_part "${GITHUB_JOB:-job}")-$step"
  [ -z "${INPUT_SHARD:-}" ] || artifact+="-$(name_part "${INPUT_SHARD}")"
fi

set -f  # split paths on white space, without glob expansion
# shellcheck disable=SC2206
paths=(${INPUT_PATHS:-.})
set +f
[ "${#paths[@]}" -gt 0 ] || paths=(.)

# the paths go last, after `--` (a path starting with `-` is a path, not an option)
args=(scan --sarif "$sarif" --sarif-category "$category" --outputs "$out"
      --fail-on "${INPUT_FAIL_ON:-high}")
[ -z "${INPUT_CHECKERS:-}" ] || args+=(--checkers "$INPUT_CHECKERS")
[ -z "${INPUT_CONFIG:-}" ] || args+=(--config "$INPUT_CONFIG")
[ -z "${INPUT_IMAGE:-}" ] || args+=(--image "$INPUT_IMAGE")
[ -z "${INPUT_DOCKERFILE:-}" ] || args+=(--dockerfile "$INPUT_DOCKERFILE")
[ -z "${INPUT_BASELINE:-}" ] || args+=(--baseline "$INPUT_BASELINE")
[ -z "${INPUT_SHARD:-}" ] || args+=(--shard "$INPUT_SHARD")

base=""
case "${INPUT_NEW_ONLY:-auto}" in
  auto) base="${PR_BASE_SHA:-}" ;;
  true)
    if [ -n "${PR_BASE_SHA:-}" ]; then
      base="$PR_BASE_SHA"
    elif [ -n "${PUSH_BEFORE:-}" ] && [ "$PUSH_BEFORE" != "$zero_sha" ]; then
      base="$PUSH_BEFORE"
    else
      echo "::notice title=hullscan::new-only: a ${EVENT_NAME:-} event has no base commit; every finding counts"
    fi ;;
  false) ;;
  *) fail_usage "new-only: '${INPUT_NEW_ONLY}' is not auto, true or false" ;;
esac
[ -z "$base" ] || args+=(--new-only --base "$base")
case "${INPUT_TRUST_HEAD_CONFIG:-false}" in
  true) [ -z "$base" ] || args+=(--trust-head-config) ;;
  false) ;;
  *) fail_usage "trust-head-config: '${INPUT_TRUST_HEAD_CONFIG}' is not true or false" ;;
esac

case "${INPUT_ANNOTATIONS:-true}" in
  true) args+=(--format github) ;;
  false) args+=(--format text) ;;
  *) fail_usage "annotations: '${INPUT_ANNOTATIONS}' is not true or false" ;;
esac
case "${INPUT_SUMMARY:-true}" in
  true) args+=(--summary "${GITHUB_STEP_SUMMARY:?}") ;;
  false) ;;
  *) fail_usage "summary: '${INPUT_SUMMARY}' is not true or false" ;;
esac

case "${OSV_MODE:-online}" in
  file|cache) args+=(--offline) ;;
  *) unset HULLSCAN_OSV_DB ;;
esac

# Workflow commands are hullscan's own: the github format stops them around its text listing
# itself; the text format's listing (file names, messages) runs between stop-commands and a
# fresh random token here; and every line of stderr starts with "hullscan: " (argparse's usage
# lines and anything unexpected get the prefix, CR shows as \r), so none is a command.
token="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
[ "${INPUT_ANNOTATIONS:-true}" = true ] || echo "::stop-commands::$token"
errors="$(mktemp)"
"${HULLSCAN:?}" "${args[@]}" -- "${paths[@]}" 2>"$errors"
code=$?
[ "${INPUT_ANNOTATIONS:-true}" = true ] || echo "::$token::"
sed -e 's/\r/\\r/g' -e '/^hullscan: /!s/^/hullscan: /' "$errors" >&2
last_error="$(grep -v '^\s*$' "$errors" | tail -n 1)"
rm -f "$errors"
echo "exit-code=$code" >>"$out"

if [ "$code" -eq 2 ]; then
  fail_usage "${last_error#hullscan: error: }"
fi
if [ ! -s "$sarif" ]; then
  exit 0
fi
{
  echo "sarif-file=$sarif"
  echo "category=$category"
  echo "artifact-name=$artifact"
} >>"$out"

# The categories of this SARIF that an earlier upload in this job already used: upload-sarif
# marks each tool and category it uploads with an environment variable for the rest of the job
# (CODEQL_UPLOAD_SARIF_<ID>_<TOOL>, each non-alphanumeric character as _, upper case) and aborts
# a second upload of one; this finds that before the upload instead of in its log.
categories_taken() {
  "$(dirname "${HULLSCAN:?}")/python" - "$1" <<'PY'
import json, os, re, sys

def sentinel(text):
    return re.sub(r"[^a-zA-Z0-9_]", "_", text).upper()

with open(sys.argv[1], encoding="utf-8") as handle:
    runs = json.load(handle).get("runs") or []
taken = []
for run in runs:
    ident = (run.get("automationDetails") or {}).get("id") or ""
    tool = ((run.get("tool") or {}).get("driver") or {}).get("name") or ""
    if ident and os.environ.get(f"CODEQL_UPLOAD_SARIF_{sentinel(ident)}_{sentinel(tool)}"):
        taken.append(ident)
print(", ".join(taken))
PY
}

if [ "${INPUT_UPLOAD_SARIF:-true}" != true ]; then
  echo "upload=false" >>"$out"
  echo "no-upload-reason=upload-sarif is false" >>"$out"
elif [ -n "${PR_HEAD_REPO:-}" ] && [ "$PR_HEAD_REPO" != "${REPOSITORY:-}" ]; then
  echo "upload=false" >>"$out"
  echo "no-upload-reason=a pull request from a fork gets a read-only token" >>"$out"
elif taken="$(categories_taken "$sarif")" && [ -n "$taken" ]; then
  echo "upload=false" >>"$out"
  echo "no-upload-reason=an earlier upload in this job already used the category ${taken} (upload-sarif takes one upload per tool and category in a job): give each hullscan step its own category input" >>"$out"
else
  echo "upload=true" >>"$out"
fi
exit 0
