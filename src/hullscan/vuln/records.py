"""Checking OSV records before they are used: the OSV JSON schema (shipped in the package), and
the few fields the engine relies on. A record that fails is skipped with a one-line reason.

GIT ranges name commits, which the engine never evaluates for packages (see `match`). A record
whose only schema errors are inside GIT ranges (real PYSEC records give short commit hashes,
which the schema refuses) is used without those ranges: `usable_record` returns it with one
warning per dropped range, naming the record, the range and why."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any


class RecordProblem(ValueError):
    """Why an OSV record is skipped, in one line."""


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    text = resources.files("hullscan").joinpath("schema/osv-schema.json").read_text("utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def check_record(record: Any) -> tuple[str, ...]:
    """Raise RecordProblem when the record cannot be used; otherwise the warnings about the
    GIT ranges that would be dropped from it (see `usable_record`; the record is not
    changed)."""
    return usable_record(record)[1]


def usable_record(record: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The record to store and evaluate, and one warning per GIT range dropped from it.

    A record that passes the OSV schema comes back as it is, without warnings. One whose
    schema errors all lie inside GIT ranges comes back as a copy without those ranges (the
    ECOSYSTEM and SEMVER ranges, `versions` and everything else kept), provided the copy then
    passes the schema. Anything else raises RecordProblem."""
    if not isinstance(record, dict):
        raise RecordProblem("not an OSV record (not a JSON object)")
    if not isinstance(record.get("id"), str) or not record["id"]:
        raise RecordProblem("not an OSV record (no id)")
    errors = list(_validator().iter_errors(record))
    if not errors:
        return record, ()
    bad = _git_ranges_at_fault(record, errors)
    if bad is None:
        raise _problem(record, errors[0])
    cleaned = _without_ranges(record, bad)
    remaining = next(iter(_validator().iter_errors(cleaned)), None)
    if remaining is not None:
        raise _problem(record, remaining)
    return cleaned, tuple(_warning(record, where, why) for where, why in bad.items())


def _problem(record: dict[str, Any], error: Any) -> RecordProblem:
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    message = " ".join(str(error.message).split())[:160]
    return RecordProblem(f"{record['id']}: fails the OSV schema at {where}: {message}")


def _git_ranges_at_fault(
    record: dict[str, Any], errors: Iterable[Any]
) -> dict[tuple[int, int], str] | None:
    """{(affected index, range index): first error} when every error lies inside a GIT range
    (`affected/i/ranges/j/...`), else None."""
    found: dict[tuple[int, int], str] = {}
    affected = record.get("affected")
    for error in errors:
        path = list(error.absolute_path)
        if (len(path) < 4 or path[0] != "affected" or path[2] != "ranges"
                or not isinstance(path[1], int) or not isinstance(path[3], int)
                or not isinstance(affected, list) or path[1] >= len(affected)):
            return None
        entry = affected[path[1]]
        ranges = entry.get("ranges") if isinstance(entry, dict) else None
        if not isinstance(ranges, list) or path[3] >= len(ranges):
            return None
        rng = ranges[path[3]]
        if not isinstance(rng, dict) or rng.get("type") != "GIT":
            return None
        found.setdefault((path[1], path[3]), _why(error, path[4:]))
    return found or None


def _why(error: Any, inside: list[Any]) -> str:
    instance = error.instance
    if inside[:1] == ["events"] and isinstance(instance, dict) and len(instance) == 1:
        ((kind, value),) = instance.items()
        if isinstance(value, str):
            return (f"{kind} commit {value!r} is not a full-length commit hash, which the OSV "
                    "schema requires")
    return " ".join(str(error.message).split())[:120]


def _without_ranges(record: dict[str, Any], bad: dict[tuple[int, int], str]) -> dict[str, Any]:
    affected = []
    for i, entry in enumerate(record["affected"]):
        drop = {j for (a, j) in bad if a == i}
        if not drop:
            affected.append(entry)
            continue
        kept = [r for j, r in enumerate(entry["ranges"]) if j not in drop]
        entry = {k: v for k, v in entry.items() if k != "ranges"}
        if kept:
            entry["ranges"] = kept
        affected.append(entry)
    return {**record, "affected": affected}


def _warning(record: dict[str, Any], where: tuple[int, int], why: str) -> str:
    entry = record["affected"][where[0]]
    rng = entry["ranges"][where[1]]
    package = entry.get("package") if isinstance(entry.get("package"), dict) else {}
    name = package.get("name") if isinstance(package, dict) else None
    repo = rng.get("repo")
    what = f"GIT range affected[{where[0]}].ranges[{where[1]}]"
    if isinstance(repo, str) and repo:
        what += f" ({repo})"
    if isinstance(name, str) and name:
        what += f" of {name}"
    return (f"{record['id']}: dropped its {what}: {why}; the rest of the record (its "
            "ECOSYSTEM and SEMVER ranges) is used")
