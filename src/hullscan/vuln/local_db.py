"""The local OSV database: OSV records imported from per-ecosystem `all.zip` dumps or folders of
OSV JSON files, indexed in SQLite under the user cache folder so a lookup never re-reads a dump.

Layout: `records` (id, modified, JSON), `affected` (ecosystem, normalised name, id) indexed on
(ecosystem, name), `imports` (what was imported from where, when, how many records) and
`coverage` (which ecosystems and releases each import brought: a lookup in any other ecosystem
is a failure naming the `hullscan db update --ecosystem ...` that fixes it, never "no
vulnerabilities").

Coverage of an import: the ecosystem of a whole OSV dump (`hullscan db update --ecosystem X`,
or an `.../X/all.zip` that holds X's records), which covers every package of X, with records or
not, and every release of X (`Debian` covers `Debian:12`); otherwise (a folder or file of
records) each ecosystem its records affect. A database made before coverage was recorded
(schema 1) has it inferred from the ecosystems it holds records for, and says so.
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
SCHEMA_VERSION = 2  # 2: the coverage table; 1 (older hullscan) is migrated when opened
MAX_RECORD_BYTES = 5 * 1024 * 1024
MAX_MEMBERS = 2_000_000


def default_path() -> Path:
    """`$XDG_CACHE_HOME/hullscan/osv.sqlite3` (default `~/.cache`), or `$HULLSCAN_OSV_DB`."""
    explicit = os.environ.get("HULLSCAN_OSV_DB")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "hullscan" / DB_NAME


# how an ecosystem came to be covered
DUMP = "dump"  # the whole OSV dump of the ecosystem
RECORDS = "records"  # records of the ecosystem, from a folder or file
INFERRED = "inferred"  # a database from an older hullscan holds records of it


@dataclass(frozen=True)
class ImportReport:
    source: str
    imported: int
    skipped: tuple[str, ...]  # one line each: "<member or id>: <reason>"
    covered: tuple[str, ...] = ()  # the ecosystems this import covers
    warnings: tuple[str, ...] = ()  # one line each


@dataclass(frozen=True)
class Coverage:
    """One ecosystem (or release) an import covers."""

    ecosystem: str
    source: str
    imported_at: str
    records: int
    kind: str  # DUMP, RECORDS or INFERRED

    def covers(self, ecosystem: str) -> bool:
        """Whether a package of `ecosystem` (normalised) is covered: the same ecosystem, or a
        release of the ecosystem whose whole dump this is."""
        if ecosystem == self.ecosystem:
            return True
        return (self.kind == DUMP and ":" not in self.ecosystem
                and ecosystem.split(":", 1)[0] == self.ecosystem)


@dataclass(frozen=True)
class Status:
    path: Path
    exists: bool
    records: int
    by_ecosystem: dict[str, int]
    imports: tuple[tuple[str, str, int], ...]  # (source, when, records)
    size: int
    coverage: tuple[Coverage, ...] = ()  # newest import of each ecosystem, by ecosystem


class LocalDatabase:
    """The indexed OSV database; also a VulnerabilitySource."""

    name = "local OSV database"
    validated = True  # records were checked against the OSV schema when imported

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._conn: sqlite3.Connection | None = None
        self._no_coverage_table = False  # a schema-1 database that could not be migrated

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
            schema = _schema(conn)
            if schema is not None and schema not in ("1", str(SCHEMA_VERSION)):
                raise SourceError(
                    f"{self.path}: database schema {schema} is not {SCHEMA_VERSION}; delete it "
                    "and import again"
                )
            if schema == "1":
                try:
                    self._migrate(conn)
                except sqlite3.OperationalError:
                    if create:
                        raise
                    conn.rollback()  # a read-only copy: coverage is inferred on each lookup
                    self._no_coverage_table = True
            else:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_TABLES)
                if schema is None:
                    conn.execute("INSERT INTO meta VALUES ('schema', ?)",
                                 (str(SCHEMA_VERSION),))
                    conn.commit()
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"{self.path}: not a usable OSV database ({exc})") from exc
        self._conn = conn
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        """Schema 1 -> 2: a database from before coverage was recorded counts each ecosystem
        it holds records for as covered (INFERRED, which lookups point out)."""
        when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        conn.executescript(_TABLES)  # every table exists but coverage: only it is created
        with conn:
            conn.execute(
                "INSERT OR REPLACE INTO coverage SELECT ecosystem, ?, ?, COUNT(DISTINCT id), ? "
                "FROM affected GROUP BY ecosystem",
                (INFERRED_SOURCE, when, INFERRED),
            )
            conn.execute("UPDATE meta SET value=? WHERE key='schema'", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # --- import ---------------------------------------------------------------------------

    def import_path(self, source: Path, label: str | None = None,
                    dump: str | None = None) -> ImportReport:
        """Import an OSV `all.zip`, a folder of OSV JSON files (recursively) or one JSON file.
        `dump`: the ecosystem whose whole OSV dump this is (`hullscan db update`); without it,
        an `.../X/all.zip` label names X (see `_record_coverage`)."""
        name = label or str(source)
        if source.is_dir():
            entries: Iterable[tuple[str, bytes | str]] = _folder_entries(source)
        elif zipfile.is_zipfile(source):
            entries = _zip_entries(source)
        elif source.is_file():
            entries = [(source.name, _read_file(source))]
        else:
            raise SourceError(f"{source}: no such file or folder")
        return self.import_entries(entries, name, dump)

    def import_entries(
        self, entries: Iterable[tuple[str, bytes | str]], label: str, dump: str | None = None
    ) -> ImportReport:
        from hullscan.vuln.records import RecordProblem, usable_record

        conn = self._connect(create=True)
        skipped: list[str] = []
        git_warnings: list[str] = []
        imported = 0
        observed: dict[str, int] = {}  # ecosystem -> records imported
        with conn:
            for member, raw in entries:
                try:
                    record, dropped = usable_record(_decode(raw))  # GIT ranges it refuses
                except RecordProblem as exc:
                    skipped.append(f"{member}: {exc}")
                    continue
                git_warnings.extend(f"{member}: {line}" for line in dropped)
                self._store(conn, record)
                imported += 1
                for ecosystem in _ecosystems_of(record):
                    observed[ecosystem] = observed.get(ecosystem, 0) + 1
            if imported == 0 and not skipped:
                raise SourceError(f"{label}: not an OSV dump (no JSON records in it)")
            if imported == 0 and not _looks_like_osv(skipped):
                raise SourceError(f"{label}: not an OSV dump ({skipped[0]})")
            conn.execute(
                "INSERT INTO imports VALUES (?, ?, ?)",
                (label, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), imported),
            )
            covered, warnings = _record_coverage(conn, label, dump, observed, imported)
            warnings += tuple(git_warnings)
        return ImportReport(label, imported, tuple(skipped), covered, warnings)

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
        if not self.path.is_file():  # fail closed, per ecosystem: each says what to fetch
            return SourceResult(records={}, failed={
                p: self._missing(p.ecosystem, None) for p in packages})
        conn = self._connect(create=False)
        records: dict[PackageRef, list[OsvRecord]] = {}
        failed: dict[PackageRef, str] = {}
        inferred: set[str] = set()
        cache: dict[tuple[str, str], list[OsvRecord]] = {}
        try:
            coverage = self.coverage()
            for package in packages:
                ecosystem = normalise_ecosystem(package.ecosystem)
                covering = _covering(coverage, ecosystem)
                if covering is None:
                    failed[package] = self._missing(package.ecosystem, coverage)
                    continue
                if covering.kind == INFERRED:
                    inferred.add(covering.ecosystem)
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
        notes: tuple[str, ...] = ()
        if inferred:
            notes = (
                f"the local OSV database at {self.path} was made by an older hullscan, which "
                f"did not record which ecosystems it imported: {', '.join(sorted(inferred))} "
                "counted as covered because it holds records of them (`hullscan db update "
                "--ecosystem NAME` records an ecosystem's coverage)",)
        return SourceResult(records=records, failed=failed, notes=notes)

    def coverage(self) -> tuple[Coverage, ...]:
        """Every ecosystem an import covered, newest import first."""
        conn = self._connect(create=False)
        if self._no_coverage_table:
            rows = conn.execute(
                "SELECT ecosystem, ?, '', COUNT(DISTINCT id), ? FROM affected "
                "GROUP BY ecosystem", (INFERRED_SOURCE, INFERRED)).fetchall()
        else:
            rows = conn.execute(
                "SELECT ecosystem, source, imported_at, records, kind FROM coverage "
                "ORDER BY imported_at DESC, rowid DESC").fetchall()
        return tuple(Coverage(str(e), str(s), str(w), int(n), str(k)) for e, s, w, n, k in rows)

    def _missing(self, ecosystem: str, coverage: Sequence[Coverage] | None) -> str:
        """Why a package of an ecosystem the database does not cover cannot be audited."""
        from hullscan.vuln.dumps import update_command

        fix = update_command(ecosystem)
        if coverage is None:
            return (f"no local OSV database at {self.path}: run `{fix}` (or `hullscan db import "
                    f"PATH` with {ecosystem} records)")
        base = normalise_ecosystem(ecosystem).split(":", 1)[0]
        releases = sorted({c.ecosystem for c in coverage if c.ecosystem.split(":", 1)[0] == base})
        held = f" (it holds {', '.join(releases)})" if releases else ""
        return (f"the local OSV database at {self.path} holds no {ecosystem} data{held}: "
                f"run `{fix}`")

    def status(self) -> Status:
        if not self.path.is_file():
            return Status(self.path, False, 0, {}, (), 0, ())
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
        newest: dict[str, Coverage] = {}
        for entry in self.coverage():
            newest.setdefault(entry.ecosystem, entry)
        return Status(self.path, True, int(total), by_ecosystem, imports,
                      self.path.stat().st_size, tuple(newest[e] for e in sorted(newest)))


INFERRED_SOURCE = "records already in the database (made by an older hullscan)"
_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, modified TEXT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS affected (
    ecosystem TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS affected_package ON affected (ecosystem, name);
CREATE INDEX IF NOT EXISTS affected_id ON affected (id);
CREATE TABLE IF NOT EXISTS imports (
    source TEXT, imported_at TEXT, records INTEGER);
CREATE TABLE IF NOT EXISTS coverage (
    ecosystem TEXT NOT NULL, source TEXT NOT NULL, imported_at TEXT NOT NULL,
    records INTEGER NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (ecosystem, source));
"""


def _schema(conn: sqlite3.Connection) -> str | None:
    """The schema version a database records (None: a new, empty file)."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    if found is None:
        return None
    row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    return None if row is None else str(row[0])


def _ecosystems_of(record: OsvRecord) -> set[str]:
    """The (normalised) ecosystems a record's `affected` entries name."""
    found: set[str] = set()
    for affected in record.get("affected") or []:
        package = affected.get("package") if isinstance(affected, dict) else None
        if isinstance(package, dict) and package.get("ecosystem"):
            found.add(normalise_ecosystem(str(package["ecosystem"])))
    return found


def _covering(coverage: Sequence[Coverage], ecosystem: str) -> Coverage | None:
    """The entry that covers an ecosystem, one recorded by this hullscan before an inferred
    one."""
    best = None
    for entry in coverage:
        if entry.covers(ecosystem):
            if entry.kind != INFERRED:
                return entry
            best = best or entry
    return best


def _record_coverage(conn: sqlite3.Connection, label: str, dump: str | None,
                     observed: dict[str, int], imported: int) -> tuple[tuple[str, ...],
                                                                      tuple[str, ...]]:
    """Record what an import covers: the ecosystem of a whole dump (named by `dump`, or by an
    `.../X/all.zip` label) when the dump does hold X's records, otherwise each ecosystem its
    records affect (a record that also names another ecosystem does not make a dump cover
    that one). Returns the ecosystems covered and warnings."""
    from hullscan.vuln.dumps import dump_ecosystem

    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    warnings: list[str] = []
    name = dump or dump_ecosystem(label)
    entries: list[tuple[str, int, str]] = []
    if name:
        whole = normalise_ecosystem(name)
        if any(Coverage(whole, label, when, 0, DUMP).covers(e) for e in observed):
            entries = [(whole, imported, DUMP)]
        elif dump:
            warnings.append(f"{label} holds no {name} records: {name} is not counted as "
                            "covered")
    if not entries:
        entries = [(e, n, RECORDS) for e, n in sorted(observed.items())]
    conn.executemany("INSERT OR REPLACE INTO coverage VALUES (?, ?, ?, ?, ?)",
                     [(e, label, when, n, kind) for e, n, kind in entries])
    return tuple(e for e, _, _ in entries), tuple(warnings)


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
