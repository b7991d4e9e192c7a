"""Checking OSV records before they are used: the OSV JSON schema (shipped in the package), and
the few fields the engine relies on. A record that fails is skipped with a one-line reason."""

from __future__ import annotations

import functools
import json
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


def check_record(record: Any) -> None:
    if not isinstance(record, dict):
        raise RecordProblem("not an OSV record (not a JSON object)")
    if not isinstance(record.get("id"), str) or not record["id"]:
        raise RecordProblem("not an OSV record (no id)")
    error = next(iter(_validator().iter_errors(record)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        message = " ".join(str(error.message).split())[:160]
        raise RecordProblem(f"{record['id']}: fails the OSV schema at {where}: {message}")
