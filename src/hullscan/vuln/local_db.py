"""The local OSV database: OSV records imported from per-ecosystem `all.zip` dumps or folders of
OSV JSON files, indexed in SQLite under the user cache folder so a lookup never re-reads a dump.

Layout: `records` (id, modified, JSON), `affected` (ecosystem, normalised name, id) indexed on
(ecosystem, name), and `imports` (what was imported from where, when, how many records).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hullscan.vuln.interface import OsvRecord, PackageRef, SourceError, SourceResult
from hullscan.vuln.names import ignores_case
from hullscan.vuln.names import normalise_ecosystem as normalise_ecosystem
from hullscan.vuln.names import normalise_name as normalise_name

log = logging.getLogger("hullscan.vuln")

DB_NAME = "osv.sqlite3"
SCHEMA_VERSION = 1
MAX_RECORD_BYTES = 5 * 1024 * 1024
MAX_MEMBERS = 2_000_000


def default_path() -> Path:
    """`$XDG_CACHE_HOME/hullscan/osv.sqlite3` (default `~/.cache`), or `$HULLSCAN_OSV_DB`."""
    explicit = os.environ.get("HULLSCAN_OSV_DB")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "hullscan" / DB_NAME


@dataclass(frozen=True)
class ImportReport:
    source: str
    imported: int
    skipped: tuple[str, ...]  # one line each: "<member or id>: <reason>"


@dataclass(frozen=True)
class Status:
    path: Path
    exists: bool
    records: int
    by_ecosystem: dict[str, int]
    imports: tuple[tuple[str, str, int], ...]  # (source, when, records)
    size: int


class LocalDatabase:
    """The indexed OSV database; also a VulnerabilitySource."""

    name = "local OSV database"
    validated = True  # records were checked against the OSV schema when imported

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._conn: sqlite3.Connection | None = None

    # --- connection -----------------------------------------------------------------------

    def _connect(self, create: bool) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        if not create and not self.path.is_file():
            raise SourceError(
                f"no local OSV database at {self.path}: run `hullscan db import PATH` or "
                "`hullscan db update` first"
            )
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(
                """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE IF NOT EXISTS records (
                    id TEXT PRIMARY KEY, modified TEXT, data TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS affected (
                    ecosystem TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS affected_package ON affected (ecosystem, name);
                CREATE INDEX IF NOT EXISTS affected_id ON affected (id);
                CREATE TABLE IF NOT EXISTS imports (
                    source TEXT, imported_at TEXT, records INTEGER);
                """
            )
            row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                conn.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                conn.commit()
            elif row[0] != str(SCHEMA_VERSION):
                raise SourceError(
                    f"{self.path}: database schema {row[0]} is not {SCHEMA_VERSION}; delete it "
                    "and import again"
                )
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"{self.path}: not a usable OSV database ({exc})") from exc
        self._conn = conn
        return conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # --- import ---------------------------------------------------------------------------

    def import_path(self, source: Path, label: str | None = None) -> ImportReport:
        """Import an OSV `all.zip`, a folder of OSV JSON files (recursively) or one JSON file."""
        name = label or str(source)
        if source.is_dir():
            entries: Iterable[tuple[str, bytes | str]] = _folder_entries(source)
        elif zipfile.is_zipfile(source):
            entries = _zip_entries(source)
        elif source.is_file():
            entries = [(source.name, _read_file(source))]
        else:
            raise SourceError(f"{source}: no such file or folder")
        return self.import_entries(entries, name)

    def import_entries(
        self, entries: Iterable[tuple[str, bytes | str]], label: str
    ) -> ImportReport:
        from hullscan.vuln.records import RecordProblem, check_record

        conn = self._connect(create=True)
        skipped: list[str] = []
        imported = 0
        with conn:
            for member, raw in entries:
                try:
                    record = _decode(raw)
                    check_record(record)
                except RecordProblem as exc:
                    skipped.append(f"{member}: {exc}")
                    continue
                self._store(conn, record)
                imported += 1
            if imported == 0 and not skipped:
                raise SourceError(f"{label}: not an OSV dump (no JSON records in it)")
            if imported == 0 and not _looks_like_osv(skipped):
                raise SourceError(f"{label}: not an OSV dump ({skipped[0]})")
            conn.execute(
                "INSERT INTO imports VALUES (?, ?, ?)",
                (label, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), imported),
            )
        return ImportReport(label, imported, tuple(skipped))

    @staticmethod
    def _store(conn: sqlite3.Connection, record: OsvRecord) -> None:
        record_id = str(record["id"])
        modified = str(record.get("modified", ""))
        old = conn.execute("SELECT modified FROM records WHERE id=?", (record_id,)).fetchone()
        if old is not None and old[0] and modified and old[0] > modified:
            return  # keep the newer copy
        conn.execute("DELETE FROM affected WHERE id=?", (record_id,))
        conn.execute(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?)",
            (record_id, modified, json.dumps(record, separators=(",", ":"))),
        )
        seen: set[tuple[str, str]] = set()
        for affected in record.get("affected") or []:
            package = affected.get("package") if isinstance(affected, dict) else None
            if not isinstance(package, dict):
                continue
            ecosystem = normalise_ecosystem(str(package.get("ecosystem", "")))
            name = normalise_name(ecosystem, str(package.get("name", "")))
            if ecosystem and name and (ecosystem, name) not in seen:
                seen.add((ecosystem, name))
                conn.execute("INSERT INTO affected VALUES (?, ?, ?)", (ecosystem, name, record_id))

    # --- lookup ---------------------------------------------------------------------------

    def lookup(self, packages: Sequence[PackageRef]) -> SourceResult:
        conn = self._connect(create=False)
        records: dict[PackageRef, list[OsvRecord]] = {}
        cache: dict[tuple[str, str], list[OsvRecord]] = {}
        try:
            for package in packages:
                ecosystem = normalise_ecosystem(package.ecosystem)
                key = (ecosystem, normalise_name(ecosystem, package.name))
                if key not in cache and ignores_case(ecosystem):
                    # NuGet and Packagist names compare without case; a database imported
                    # before they were indexed in lower case holds them as written.
                    rows = conn.execute(
                        "SELECT DISTINCT r.id, r.data FROM affected a JOIN records r "
                        "ON r.id = a.id WHERE a.ecosystem=? AND lower(a.name)=? ORDER BY r.id",
                        key,
                    ).fetchall()
                    cache[key] = [json.loads(row[1]) for row in rows]
                if key not in cache:
                    rows = conn.execute(
                        "SELECT r.data FROM affected a JOIN records r ON r.id = a.id "
                        "WHERE a.ecosystem=? AND a.name=? ORDER BY r.id",
                        key,
                    ).fetchall()
                    cache[key] = [json.loads(row[0]) for row in rows]
                records[package] = cache[key]
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"{self.path}: cannot read the OSV database ({exc})") from exc
        return SourceResult(records=records)

    def status(self) -> Status:
        if not self.path.is_file():
            return Status(self.path, False, 0, {}, (), 0)
        conn = self._connect(create=False)
        total = conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
        by_ecosystem = {
            str(e): int(n)
            for e, n in conn.execute(
                "SELECT ecosystem, COUNT(DISTINCT id) FROM affected GROUP BY ecosystem "
                "ORDER BY ecosystem"
            )
        }
        imports = tuple(
            (str(s), str(w), int(n))
            for s, w, n in conn.execute(
                "SELECT source, imported_at, records FROM imports ORDER BY rowid"
            )
        )
        return Status(self.path, True, int(total), by_ecosystem, imports,
                      self.path.stat().st_size)


def _looks_like_osv(skipped: Sequence[str]) -> bool:
    """Whether the skipped entries were OSV-shaped but invalid (vs. not OSV at all)."""
    return any("schema" in reason for reason in skipped)


def _decode(raw: bytes | str) -> Any:
    from hullscan.vuln.records import RecordProblem

    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise RecordProblem(f"not JSON ({type(exc).__name__})") from None


def _read_file(path: Path) -> bytes:
    if path.stat().st_size > MAX_RECORD_BYTES:
        return b""
    return path.read_bytes()


def _folder_entries(folder: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(folder.rglob("*.json")):
        if path.is_file():
            yield str(path.relative_to(folder)), _read_file(path)


def _zip_entries(path: Path) -> Iterator[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"{path}: not a readable zip ({exc})") from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_MEMBERS:
            raise SourceError(f"{path}: {len(members):,} members is more than an OSV dump holds")
        for member in members:
            if not member.filename.endswith(".json"):
                continue
            if member.file_size > MAX_RECORD_BYTES:
                yield member.filename, b""
                continue
            try:
                with archive.open(member) as handle:
                    data = handle.read(MAX_RECORD_BYTES + 1)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise SourceError(f"{path}: corrupt zip member {member.filename} ({exc})") from exc
            yield member.filename, data
