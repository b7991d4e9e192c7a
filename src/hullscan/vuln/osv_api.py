"""The OSV API as a vulnerability source: `POST /v1/querybatch` (ids only, paged), then
`GET /v1/vulns/{id}` for each record, with timeouts, retries with backoff, and a clear error
when the service cannot be reached. `HULLSCAN_OSV_URL` points it elsewhere (a mirror; tests
serve one on 127.0.0.1)."""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hullscan import __version__
from hullscan.vuln.interface import OsvRecord, PackageRef, SourceError, SourceResult

log = logging.getLogger("hullscan.vuln")

DEFAULT_URL = "https://api.osv.dev"
BATCH = 1000
TIMEOUT = 30.0
TRIES = 3
MAX_PAGES = 50


class OsvApi:
    name = "OSV API"

    def __init__(self, base_url: str | None = None, timeout: float = TIMEOUT,
                 tries: int = TRIES, backoff: float = 0.5) -> None:
        self.base_url = (base_url or os.environ.get("HULLSCAN_OSV_URL") or DEFAULT_URL).rstrip("/")
        self.timeout = timeout
        self.tries = max(1, tries)
        self.backoff = backoff

    def lookup(self, packages: Sequence[PackageRef]) -> SourceResult:
        unique = list(dict.fromkeys(packages))
        ids: dict[PackageRef, list[str]] = {p: [] for p in unique}
        for start in range(0, len(unique), BATCH):
            self._query_batch(unique[start : start + BATCH], ids)
        wanted = sorted({i for found in ids.values() for i in found})
        records = self.fetch_records(wanted)
        return SourceResult(
            records={p: [records[i] for i in ids[p] if i in records] for p in unique}
        )

    def _query_batch(self, batch: Sequence[PackageRef], ids: dict[PackageRef, list[str]]) -> None:
        pending: dict[int, str | None] = {index: None for index in range(len(batch))}
        for _ in range(MAX_PAGES):
            queries = []
            order = sorted(pending)
            for index in order:
                package = batch[index]
                query: dict[str, Any] = {
                    "package": {"name": package.name, "ecosystem": package.ecosystem},
                    "version": package.version,
                }
                token = pending[index]
                if token:
                    query["page_token"] = token
                queries.append(query)
            answer = self._request("POST", "/v1/querybatch", {"queries": queries})
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list) or len(results) != len(queries):
                raise SourceError(f"{self.base_url}: unexpected querybatch answer")
            next_pending: dict[int, str | None] = {}
            for index, result in zip(order, results, strict=True):
                result = result if isinstance(result, dict) else {}
                for vuln in result.get("vulns") or []:
                    if isinstance(vuln, dict) and isinstance(vuln.get("id"), str):
                        ids[batch[index]].append(vuln["id"])
                token = result.get("next_page_token")
                if isinstance(token, str) and token:
                    next_pending[index] = token
            if not next_pending:
                return
            pending = next_pending
        raise SourceError(f"{self.base_url}: querybatch kept paging past {MAX_PAGES} pages")

    def fetch_records(self, wanted: Sequence[str]) -> dict[str, OsvRecord]:
        """Full records by id (ids the API does not know are left out)."""
        if not wanted:
            return {}
        with ThreadPoolExecutor(max_workers=min(8, len(wanted))) as pool:
            fetched = list(pool.map(self._fetch, wanted))
        return {record_id: record for record_id, record in zip(wanted, fetched, strict=True)
                if record is not None}

    def _fetch(self, record_id: str) -> OsvRecord | None:
        answer = self._request("GET", f"/v1/vulns/{urllib.parse.quote(record_id, safe='')}", None,
                               missing_ok=True)
        return answer if isinstance(answer, dict) else None

    def _request(self, method: str, path: str, body: Any, missing_ok: bool = False) -> Any:
        url = f"{self.base_url}{path}"
        data = json.dumps(body).encode() if body is not None else None
        headers = {"User-Agent": f"hullscan/{__version__}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        last = ""
        for attempt in range(self.tries):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    payload = response.read(64 * 1024 * 1024 + 1)
            except urllib.error.HTTPError as exc:
                if exc.code == 404 and missing_ok:
                    return None  # a withdrawn or renamed record
                last = f"HTTP {exc.code}"
                if exc.code < 500 and exc.code != 429:
                    break  # a client error does not get better by asking again
                continue
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                last = " ".join(str(reason).split()) or type(exc).__name__
                continue
            try:
                return json.loads(payload)
            except ValueError:
                last = "answer is not JSON"
                continue
        raise SourceError(f"cannot reach the OSV API at {self.base_url} ({last})")
