#!/usr/bin/env bash
# The Action's plan step: cache keys, and where vulnerability data comes from (offline-db).
# Inputs arrive as environment variables (never ${{ }} in a script); results go to $GITHUB_OUTPUT.
set -euo pipefail
out="${GITHUB_OUTPUT:?}"

hash_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -c1-16
  else shasum -a 256 "$1" | cut -c1-16; fi
}

{
  echo "pip-cache=${RUNNER_TEMP:?}/hullscan-pip-cache"
  # the lock decides every file pip downloads
  echo "pip-key=hullscan-pip-${RUNNER_OS:-Linux}-${PYTHON_VERSION:-python}-$(hash_of "${ACTION_PATH:?}/scripts/action/requirements.lock")"
} >>"$out"

db="${OFFLINE_DB:-}"
if [ -z "$db" ]; then
  echo "osv-mode=online" >>"$out"
elif [ -f "$db" ]; then
  {
    echo "osv-mode=file"
    echo "osv-db=$(cd "$(dirname "$db")" && pwd)/$(basename "$db")"
  } >>"$out"
elif [[ "$db" == */* || "$db" == *.sqlite3 || "$db" == *.db ]]; then
  echo "::error title=hullscan::offline-db: ${db//%/%25}: no such file (give an OSV database file, or a cache key without '/')"
  exit 2
else
  day="$(date -u +%Y-%m-%d)"
  {
    echo "osv-mode=cache"
    echo "osv-db=${RUNNER_TEMP}/hullscan-osv/osv.sqlite3"
    echo "osv-key=hullscan-osv-${db}-${day}"
    echo "osv-restore-key=hullscan-osv-${db}-"
  } >>"$out"
fi
