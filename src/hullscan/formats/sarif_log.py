"""SARIF 2.1.0 logs as data: reading and validating one (against the schema shipped in the
package), writing one, and looking up a run's tool components and rules as a result points at
them. Shared by `hullscan merge` (`sarif_merge`), the upload limits (`sarif_limits`) and the
SARIF format (`sarif`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from hullscan.core.errors import UsageError
from hullscan.formats.text import one_line

SARIF_VERSION = "2.1.0"
DEFAULT_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def render(log: Mapping[str, Any]) -> str:
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def load_sarif(path: Path) -> dict[str, Any]:
    """Read and validate one SARIF 2.1.0 log; UsageError naming the file otherwise."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{name}: is a folder, not a SARIF file") from None
    except OSError as exc:
        raise UsageError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{name}: not JSON: not UTF-8 text") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{name}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise UsageError(f"{name}: not JSON: {reason}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{name}: not a SARIF log: the top level is not a JSON object")
    if "version" not in data:
        raise UsageError(f"{name}: not a SARIF log: no version (expected {SARIF_VERSION})")
    if data["version"] != SARIF_VERSION:
        version = one_line(json.dumps(data["version"], ensure_ascii=False), 40)
        raise UsageError(
            f"{name}: SARIF version {version} is not supported (expected {SARIF_VERSION})"
        )
    _validate(data, name)
    return data


def category_of(run: Mapping[str, Any]) -> str:
    """GitHub's category of a run: its automationDetails.id up to and including the last `/`
    ("" without one)."""
    details = run.get("automationDetails")
    ident = details.get("id") if isinstance(details, Mapping) else None
    if not isinstance(ident, str) or "/" not in ident:
        return ""
    return ident[: ident.rfind("/") + 1]


@functools.cache
def _validator() -> Any:
    import jsonschema

    text = resources.files("hullscan").joinpath("schema/sarif-schema-2.1.0.json").read_text("utf-8")
    schema = json.loads(text)
    return jsonschema.validators.validator_for(schema)(schema)


def _validate(data: Any, name: str) -> None:
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(data))
    if error is None:
        return
    where = ".".join(str(part) for part in error.absolute_path)
    message = error.message
    # anyOf/oneOf: "X is not valid under any of the given schemas" says less than the
    # alternatives ("'text' is a required property or 'id' is a required property").
    alternatives = list(dict.fromkeys(
        sub.message for sub in error.context or () if sub.absolute_path == error.absolute_path
    ))
    if 0 < len(alternatives) <= 3:
        message = " or ".join(alternatives)
    message = one_line(message, 200)
    raise UsageError(f"{name}: not valid SARIF 2.1.0: {where + ': ' if where else ''}{message}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


class RunView:
    """Look-ups into one run as it was read: its tool components and their descriptors."""

    def __init__(self, run: Mapping[str, Any]) -> None:
        tool = as_mapping(run.get("tool"))
        driver = tool.get("driver")
        self.driver: Mapping[str, Any] = driver if isinstance(driver, Mapping) else {}
        self.arrays: dict[str, list[Any]] = {
            "extensions": as_list(tool.get("extensions")),
            "taxonomies": as_list(run.get("taxonomies")),
        }
        self._ids: dict[tuple[int, str], dict[str, int]] = {}

    def components(self) -> Iterator[tuple[str, int, Mapping[str, Any]]]:
        yield "driver", -1, self.driver
        for array in ("extensions", "taxonomies"):
            for index, component in enumerate(self.arrays[array]):
                if isinstance(component, Mapping):
                    yield array, index, component

    def component(
        self, arrays: tuple[str, ...], ref: Any
    ) -> tuple[str, int, Mapping[str, Any]] | None:
        """The component a toolComponentReference points at (the driver when `ref` is None and
        `arrays` holds extensions). An index points into the first of `arrays`."""
        if ref is None:
            return ("driver", -1, self.driver) if "extensions" in arrays else None
        if not isinstance(ref, Mapping):
            return None
        index = ref.get("index", -1)
        if isinstance(index, int) and index >= 0:
            array = self.arrays[arrays[0]]
            if index < len(array) and isinstance(array[index], Mapping):
                return arrays[0], index, array[index]
            return None
        for key in ("guid", "name"):
            wanted = ref.get(key)
            if not isinstance(wanted, str):
                continue
            for name in arrays:
                for i, component in enumerate(self.arrays[name]):
                    if isinstance(component, Mapping) and component.get(key) == wanted:
                        return name, i, component
            if "extensions" in arrays and self.driver.get(key) == wanted:
                return "driver", -1, self.driver
        return None

    def descriptor(
        self, component: Mapping[str, Any], kind: str, index: Any, ident: Any, guid: Any = None
    ) -> int | None:
        """The index of a descriptor in `component[kind]`: by index, else by id, else by guid."""
        items = as_list(component.get(kind))
        if isinstance(index, int) and 0 <= index < len(items):
            return index
        if isinstance(ident, str):
            ids = self._ids.get((id(component), kind))
            if ids is None:
                ids = {}
                for i, item in enumerate(items):
                    if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                        ids.setdefault(item["id"], i)
                self._ids[(id(component), kind)] = ids
            if ident in ids:
                return ids[ident]
        if isinstance(guid, str):
            for i, item in enumerate(items):
                if isinstance(item, Mapping) and item.get("guid") == guid:
                    return i
        return None

    def rule_of(self, result: Mapping[str, Any]) -> Mapping[str, Any] | None:
        ref = as_mapping(result.get("rule"))
        found = self.component(("extensions",), ref.get("toolComponent"))
        if found is None:
            return None
        component = found[2]
        index = result.get("ruleIndex", -1)
        if not isinstance(index, int) or index < 0:
            index = ref.get("index", -1)
        ident = result.get("ruleId", ref.get("id"))
        position = self.descriptor(component, "rules", index, ident, ref.get("guid"))
        if position is None:
            return None
        rule = as_list(component.get("rules"))[position]
        return rule if isinstance(rule, Mapping) else None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
