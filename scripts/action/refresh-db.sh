#!/usr/bin/env bash
# The Action's OSV refresh (offline-db as a cache key): at most once a day, online; a failed
# download keeps yesterday's copy when there is one.
set -uo pipefail
mkdir -p "$(dirname "${HULLSCAN_OSV_DB:?}")"
if "${HULLSCAN:?}" db update; then
  exit 0
fi
if [ -s "$HULLSCAN_OSV_DB" ]; then
  echo "::notice title=hullscan::could not refresh the OSV database: using the cached copy"
else
  echo "::warning title=hullscan::could not download OSV data: dependencies cannot be checked offline (the dependency checker reports each one it could not check)"
fi
exit 0
