"""Merge SARIF 2.1.0 logs into one file that GitHub code scanning accepts in a single upload.

GitHub rejects an upload holding several runs of the same tool and category, more than 20 runs,
or more than 25,000 results in a run. `merge_files` reads every input (each validated against
the SARIF 2.1.0 JSON schema shipped in the package), merges the runs that share a tool
(`tool.driver.name`) and a category (`automationDetails.id` up to and including its last `/`),
drops duplicated results, keeps a run within 25,000 results and the file within GitHub's upload
size (`fit_for_upload`, which `hullscan scan`'s SARIF uses too: unsuppressed, new and most severe
results first), and writes the merged log atomically: on any error the output file is neither
created nor changed.

Merging runs: the rules (and notification descriptors and taxa) of the driver and of every
extension are united by id, the first description winning, and every reference to them is
recomputed (`ruleIndex`, `rule.index`, `rule.toolComponent.index`, taxa, notifications). The
run-level arrays that results point into by index (`artifacts`, `logicalLocations`,
`threadFlowLocations`, `addresses`, `webRequests`, `webResponses`) are dropped after copying what
each reference points at into the reference. The invocations become one, successful only if
all were. Other run-level fields come from the first run.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gzip
import json
import os
import secrets
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from hullscan.errors import OutputError, UsageError
from hullscan.model import Severity

MAX_RUNS = 20
MAX_RESULTS_PER_RUN = 25_000
# GitHub rejects an upload over 10 MB gzip-compressed; upload-sarif compresses the file as it
# re-serialises it (more compactly than `render`). Stay below with a margin.
UPLOAD_BUDGET = 9_500_000
SARIF_VERSION = "2.1.0"
DEFAULT_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"

# The descriptor arrays of a toolComponent that references point into by index.
_KINDS = ("rules", "notifications", "taxa")
# Run-level arrays that results reference by index; a merged run drops them (see _Inliner).
_INLINED_ARRAYS = (
    "artifacts", "logicalLocations", "threadFlowLocations", "addresses", "webRequests",
    "webResponses",
)
# Invocation arrays that a merged invocation concatenates.
_INVOCATION_LISTS = (
    "toolExecutionNotifications", "toolConfigurationNotifications",
    "ruleConfigurationOverrides", "notificationConfigurationOverrides",
)
# Keys whose value is an artifactLocation object, or a list of them.
_ARTIFACT_LOCATION_KEYS = frozenset({
    "artifactLocation", "analysisTarget", "executableLocation", "workingDirectory", "stdin",
    "stdout", "stderr", "stdoutStderr", "responseFiles", "analysisToolLogFiles",
})
_INDEXED_KEYS = {
    "logicalLocations": "logicalLocations",
    "address": "addresses",
    "webRequest": "webRequests",
    "webResponse": "webResponses",
    "threadFlowLocation": "threadFlowLocations",
}
_LEVEL_SEVERITY = {
    "error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.LOW,
    "none": Severity.INFO,
}


@dataclass(frozen=True)
class MergeSummary:
    """What a merge did: runs read and written, results written, results dropped to stay within
    GitHub's 25,000 results per run, and notes worth a warning (duplicates dropped, results over
    the limit, merged runs that disagreed, results pointing at undescribed rules)."""

    runs_in: int
    runs_out: int
    results_out: int
    dropped: int
    notes: tuple[str, ...] = ()


def merge_files(inputs: Sequence[Path], output: Path) -> MergeSummary:
    """Merge the SARIF logs `inputs` into `output` (written atomically).

    Raises UsageError (one line, naming the file) for an input that is missing, unreadable,
    not JSON, not valid SARIF 2.1.0 or of another version; for an output that is also an input;
    and when the merged log would hold more than 20 runs. Raises OutputError when the output
    cannot be written. On any error the output file is left as it was."""
    inputs = [Path(p) for p in inputs]
    output = Path(output)
    if not inputs:
        raise UsageError("no SARIF files to merge")
    for path in inputs:
        if _same_file(path, output):
            raise UsageError(f"{output}: the output is also an input; write to another file")
    if output.is_dir():
        raise OutputError(f"{output}: cannot write: is a folder")
    logs = [load_sarif(path) for path in inputs]
    log, summary = merge_logs(logs)
    _write_atomically(output, render(log))
    return summary


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
        version = _one_line(json.dumps(data["version"], ensure_ascii=False), 40)
        raise UsageError(
            f"{name}: SARIF version {version} is not supported (expected {SARIF_VERSION})"
        )
    _validate(data, name)
    return data


def merge_logs(logs: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], MergeSummary]:
    """Merge parsed, valid SARIF 2.1.0 logs (see `load_sarif`). Their objects are reused (and
    changed) in the result: pass copies to keep the originals. UsageError over 20 runs."""
    members = [_Member(run) for log in logs for run in log.get("runs") or []]
    groups: dict[tuple[str, str], list[_Member]] = {}
    for member in members:
        groups.setdefault(member.key, []).append(member)
    if len(groups) > MAX_RUNS:
        raise UsageError(
            f"the merged log would have {len(groups)} runs, one per tool and category "
            f"({len(groups)} categories); GitHub code scanning accepts at most {MAX_RUNS} "
            "runs per SARIF file"
        )
    notes: list[str] = []
    runs: list[dict[str, Any]] = []
    labels: list[str] = []
    for key in sorted(groups):
        group = groups[key]
        label = f"{key[0]} ({key[1] or 'no category'})"
        run = _merge_group(group, label, notes) if len(group) > 1 else group[0].run
        duplicates = _drop_duplicates(run)
        if duplicates:
            notes.append(f"{label}: dropped {duplicates:,} duplicated results")
        runs.append(run)
        labels.append(label)
    first = logs[0] if logs else {}
    merged: dict[str, Any] = {
        "$schema": first.get("$schema") or DEFAULT_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": runs,
    }
    for name, value in first.items():
        if name not in merged and name != "inlineExternalProperties":
            merged[name] = value
    _text, cuts = fit_for_upload(merged, _merge_notification)
    for cut in cuts:
        notes.append(
            f"{labels[cut.run]}: kept the {cut.kept:,} most severe results, "
            f"dropped {cut.dropped:,}" + (" (GitHub's upload size limit)" if cut.for_size else "")
        )
    dropped = sum(cut.dropped for cut in cuts)
    summary = MergeSummary(
        runs_in=len(members),
        runs_out=len(runs),
        results_out=sum(len(run.get("results") or []) for run in runs),
        dropped=dropped,
        notes=tuple(notes),
    )
    return merged, summary


def category_of(run: Mapping[str, Any]) -> str:
    """GitHub's category of a run: its automationDetails.id up to and including the last `/`
    ("" without one)."""
    details = run.get("automationDetails")
    ident = details.get("id") if isinstance(details, Mapping) else None
    if not isinstance(ident, str) or "/" not in ident:
        return ""
    return ident[: ident.rfind("/") + 1]


# --- reading and writing -------------------------------------------------------------------


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
    message = _one_line(message, 200)
    raise UsageError(f"{name}: not valid SARIF 2.1.0: {where + ': ' if where else ''}{message}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.resolve() == b.resolve():
            return True
    except (OSError, RuntimeError):
        pass
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _write_atomically(output: Path, text: str) -> None:
    """Write to a new file beside `output`, then rename it over `output`: readers never see a
    half-written log, and a failure leaves `output` as it was."""
    folder = output.parent
    data = text.encode("utf-8")
    tmp: Path | None = None
    try:
        for _attempt in range(100):
            candidate = folder / f".{output.name}.{secrets.token_hex(4)}.tmp"
            try:
                # 0o666 under the umask, like a file opened for writing.
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            tmp = candidate
            break
        else:
            raise OutputError(f"{output}: cannot write: no free temporary file name")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            existing = output.stat()
        except OSError:
            existing = None
        if existing is not None and stat.S_ISREG(existing.st_mode):
            os.chmod(tmp, stat.S_IMODE(existing.st_mode))
        os.replace(tmp, output)
        tmp = None
    except OSError as exc:
        raise OutputError(f"{output}: cannot write: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


# --- the runs of one log -------------------------------------------------------------------


class _RunView:
    """Look-ups into one run as it was read: its tool components and their descriptors."""

    def __init__(self, run: Mapping[str, Any]) -> None:
        tool = _mapping(run.get("tool"))
        driver = tool.get("driver")
        self.driver: Mapping[str, Any] = driver if isinstance(driver, Mapping) else {}
        self.arrays: dict[str, list[Any]] = {
            "extensions": _list(tool.get("extensions")),
            "taxonomies": _list(run.get("taxonomies")),
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
        items = _list(component.get(kind))
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
        ref = _mapping(result.get("rule"))
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
        rule = _list(component.get("rules"))[position]
        return rule if isinstance(rule, Mapping) else None


@dataclass
class _Member:
    """One input run, with where its components and descriptors went in the merged run."""

    run: dict[str, Any]
    view: _RunView = field(init=False)
    components: dict[tuple[str, int], int] = field(default_factory=dict)
    descriptors: dict[tuple[str, int, str, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.view = _RunView(self.run)

    @property
    def key(self) -> tuple[str, str]:
        name = self.view.driver.get("name")
        return (name if isinstance(name, str) else "", category_of(self.run))

    def locate(
        self, arrays: tuple[str, ...], tool_component: Any, kind: str | None,
        index: Any, ident: Any, guid: Any = None,
        default: tuple[str, int] | None = None,
    ) -> tuple[str, int, int] | None:
        """Where a descriptor reference of this run points in the merged run: (array, merged
        component index, merged descriptor index); None if it points at nothing."""
        if tool_component is None and default is not None:
            array, position = default
            component: Mapping[str, Any] | None = (
                self.view.driver if array == "driver" else self.view.arrays[array][position]
            )
        else:
            found = self.view.component(arrays, tool_component)
            if found is None:
                return None
            array, position, component = found
        if component is None:
            return None
        kind = kind or ("taxa" if array == "taxonomies" else "rules")
        at = self.view.descriptor(component, kind, index, ident, guid)
        if at is None:
            return None
        merged = self.descriptors.get((array, position, kind, at))
        if merged is None:
            return None
        return array, self.components[(array, position)], merged


class _MergedComponent:
    def __init__(self, component: Mapping[str, Any]) -> None:
        self.obj: dict[str, Any] = dict(component)
        for kind in _KINDS:
            if kind in self.obj:
                self.obj[kind] = []
        self.ids: dict[str, dict[str, int]] = {kind: {} for kind in _KINDS}

    def add(self, kind: str, descriptor: dict[str, Any]) -> tuple[int, bool]:
        ident = descriptor.get("id")
        known = self.ids[kind]
        if isinstance(ident, str) and ident in known:
            return known[ident], False
        items = self.obj.setdefault(kind, [])
        items.append(descriptor)
        if isinstance(ident, str):
            known[ident] = len(items) - 1
        return len(items) - 1, True


# --- merging -------------------------------------------------------------------------------


def _merge_group(members: list[_Member], label: str, notes: list[str]) -> dict[str, Any]:
    """One run from the runs of one tool and category."""
    first = members[0].run

    # Tool components: the driver, extensions and taxonomies united by name, their
    # descriptors by id; remember where each member's components and descriptors went.
    driver = _MergedComponent(members[0].view.driver)
    merged_arrays: dict[str, list[_MergedComponent]] = {"extensions": [], "taxonomies": []}
    names: dict[str, dict[str, int]] = {"extensions": {}, "taxonomies": {}}
    added: list[tuple[dict[str, Any], _Member, str, int, str]] = []
    for member in members:
        for array, position, component in member.view.components():
            if array == "driver":
                target, merged_position = driver, -1
            else:
                name = component.get("name")
                if isinstance(name, str) and name in names[array]:
                    merged_position = names[array][name]
                else:
                    merged_arrays[array].append(_MergedComponent(component))
                    merged_position = len(merged_arrays[array]) - 1
                    if isinstance(name, str):
                        names[array][name] = merged_position
                target = merged_arrays[array][merged_position]
            member.components[(array, position)] = merged_position
            for kind in _KINDS:
                for at, descriptor in enumerate(_list(component.get(kind))):
                    if not isinstance(descriptor, dict):
                        continue
                    merged_at, new = target.add(kind, descriptor)
                    member.descriptors[(array, position, kind, at)] = merged_at
                    if new:
                        added.append((descriptor, member, array, position, kind))
    for descriptor, member, array, position, kind in added:
        for relationship in _list(descriptor.get("relationships")):
            if isinstance(relationship, dict) and isinstance(relationship.get("target"), dict):
                _remap_reference(
                    relationship["target"], member, ("taxonomies", "extensions"),
                    None if relationship["target"].get("toolComponent") else kind,
                    default=(array, position),
                )
    for merged_component in [driver, *merged_arrays["extensions"]]:
        for ref in _list(merged_component.obj.get("supportedTaxonomies")):
            if isinstance(ref, dict) and isinstance(ref.get("name"), str):
                if ref["name"] in names["taxonomies"]:
                    ref["index"] = names["taxonomies"][ref["name"]]
                else:
                    ref.pop("index", None)
    versions = {str(m.view.driver.get("version")) for m in members if m.view.driver.get("version")}
    if len(versions) > 1:
        notes.append(
            f"{label}: the runs come from different versions ({', '.join(sorted(versions))}); "
            "the tool description is the first run's"
        )

    # Results and invocations: references into the merged components; references into the
    # run-level arrays replaced by what they point at.
    results: list[Any] = []
    invocations: list[dict[str, Any]] = []
    graphs: list[Any] = []
    unresolved = 0
    has_results = False
    for member in members:
        inliner = _Inliner(member.run)
        graph_offset = len(graphs)
        for graph in _list(member.run.get("graphs")):
            inliner.walk(graph, None)
            graphs.append(graph)
        if "results" in member.run:
            has_results = True
        for result in _list(member.run.get("results")):
            if not isinstance(result, dict):
                continue
            inliner.walk(result, None)
            unresolved += not _remap_result(result, member)
            for traversal in _list(result.get("graphTraversals")):
                if isinstance(traversal, dict) and isinstance(traversal.get("runGraphIndex"), int):
                    traversal["runGraphIndex"] += graph_offset
            provenance = result.get("provenance")
            if isinstance(provenance, dict) and "invocationIndex" in provenance:
                provenance["invocationIndex"] = 0
            results.append(result)
        for invocation in _list(member.run.get("invocations")):
            if isinstance(invocation, dict):
                inliner.walk(invocation, None)
                _remap_invocation(invocation, member)
                invocations.append(invocation)
    if unresolved:
        notes.append(
            f"{label}: {unresolved:,} results point at rules their run does not describe"
        )

    run: dict[str, Any] = {key: value for key, value in first.items() if key not in _INLINED_ARRAYS}
    tool = dict(first.get("tool") or {})
    tool["driver"] = driver.obj
    if merged_arrays["extensions"]:
        tool["extensions"] = [c.obj for c in merged_arrays["extensions"]]
    run["tool"] = tool
    if merged_arrays["taxonomies"]:
        run["taxonomies"] = [c.obj for c in merged_arrays["taxonomies"]]
    if graphs:
        run["graphs"] = graphs
    conversion = run.get("conversion")
    if isinstance(conversion, dict):
        _Inliner(first).walk(conversion, None)
    _merge_automation_details(run, members, label, notes)
    _merge_uri_base_ids(run, members, label, notes)
    _merge_properties(run, members)
    if invocations:
        run["invocations"] = [_merge_invocations(invocations)]
    if has_results or "results" in run:
        run["results"] = results
    return run


def _remap_reference(
    ref: dict[str, Any], member: _Member, arrays: tuple[str, ...], kind: str | None,
    default: tuple[str, int] | None = None,
) -> bool:
    """Point a reportingDescriptorReference of `member` at the merged run's descriptor."""
    located = member.locate(
        arrays, ref.get("toolComponent"), kind, ref.get("index", -1), ref.get("id"),
        ref.get("guid"), default=default,
    )
    if located is None:
        ref.pop("index", None)
        return False
    array, component, index = located
    ref["index"] = index
    _set_component_index(ref, array, component)
    return True


def _set_component_index(ref: dict[str, Any], array: str, component: int) -> None:
    tool_component = ref.get("toolComponent")
    if not isinstance(tool_component, dict):
        return
    if array == "driver":
        tool_component.pop("index", None)
    else:
        tool_component["index"] = component


def _remap_result(result: dict[str, Any], member: _Member) -> bool:
    """Recompute the result's rule references (ruleIndex, rule.index, rule.toolComponent) and
    taxa against the merged run. False when its rule is not described in its run."""
    ref = result.get("rule") if isinstance(result.get("rule"), dict) else None
    index = result.get("ruleIndex", -1)
    if (not isinstance(index, int) or index < 0) and ref is not None:
        index = ref.get("index", -1)
    ident = result.get("ruleId", ref.get("id") if ref else None)
    located = member.locate(
        ("extensions",), ref.get("toolComponent") if ref else None, "rules", index, ident,
        ref.get("guid") if ref else None,
    )
    if located is None:
        result.pop("ruleIndex", None)
        if ref is not None:
            ref.pop("index", None)
    else:
        array, component, rule_index = located
        result["ruleIndex"] = rule_index
        if ref is not None:
            ref["index"] = rule_index
            _set_component_index(ref, array, component)
    for taxon in _list(result.get("taxa")):
        if isinstance(taxon, dict):
            _remap_reference(taxon, member, ("taxonomies",), "taxa")
    pointed = ident is not None or (isinstance(index, int) and index >= 0)
    return located is not None or not pointed


def _remap_invocation(invocation: dict[str, Any], member: _Member) -> None:
    for key in ("toolExecutionNotifications", "toolConfigurationNotifications"):
        for notification in _list(invocation.get(key)):
            if not isinstance(notification, dict):
                continue
            for ref_key, kind in (("descriptor", "notifications"), ("associatedRule", "rules")):
                if isinstance(notification.get(ref_key), dict):
                    _remap_reference(notification[ref_key], member, ("extensions",), kind)
    for key, kind in (("ruleConfigurationOverrides", "rules"),
                      ("notificationConfigurationOverrides", "notifications")):
        for override in _list(invocation.get(key)):
            if isinstance(override, dict) and isinstance(override.get("descriptor"), dict):
                _remap_reference(override["descriptor"], member, ("extensions",), kind)


def _merge_invocations(invocations: list[dict[str, Any]]) -> dict[str, Any]:
    merged = dict(invocations[0])
    merged["executionSuccessful"] = all(
        inv.get("executionSuccessful") is True for inv in invocations
    )
    for key in _INVOCATION_LISTS:
        items = [item for inv in invocations for item in _list(inv.get(key))]
        if items or key in merged:
            merged[key] = items
    return merged


def _merge_automation_details(
    run: dict[str, Any], members: list[_Member], label: str, notes: list[str]
) -> None:
    ids = {
        m.run["automationDetails"].get("id")
        for m in members if isinstance(m.run.get("automationDetails"), dict)
    }
    if len(ids) <= 1:
        return
    details = dict(run.get("automationDetails") or {})
    category = category_of(run)
    details.pop("guid", None)
    if category:
        details["id"] = category
    else:
        details.pop("id", None)
    if details:
        run["automationDetails"] = details
    else:
        run.pop("automationDetails", None)
    notes.append(f"{label}: the runs had different automationDetails ids; the merged run's id "
                 f"is its category")


def _merge_uri_base_ids(
    run: dict[str, Any], members: list[_Member], label: str, notes: list[str]
) -> None:
    merged: dict[str, Any] = {}
    conflicts: set[str] = set()
    for member in members:
        bases = member.run.get("originalUriBaseIds")
        if not isinstance(bases, dict):
            continue
        for key, value in bases.items():
            if key not in merged:
                merged[key] = value
            elif merged[key] != value:
                conflicts.add(key)
    if merged:
        run["originalUriBaseIds"] = merged
    if conflicts:
        notes.append(f"{label}: the runs define {', '.join(sorted(conflicts))} differently; "
                     "the first run's definition is kept")


def _merge_properties(run: dict[str, Any], members: list[_Member]) -> None:
    counts = [
        m.run["properties"]["filesScanned"] for m in members
        if isinstance(m.run.get("properties"), dict)
        and type(m.run["properties"].get("filesScanned")) is int
    ]
    if counts:
        properties = dict(run.get("properties") or {})
        properties["filesScanned"] = sum(counts)
        run["properties"] = properties


class _Inliner:
    """Replaces each reference into a run-level array (`artifactLocation.index`,
    `logicalLocations[].index`, ...) with a copy of what it points at, so that the array can
    be dropped."""

    def __init__(self, run: Mapping[str, Any]) -> None:
        self.arrays = {name: _list(run.get(name)) for name in _INLINED_ARRAYS}

    def walk(self, value: Any, key: str | None) -> None:
        if isinstance(value, list):
            for item in value:
                self.walk(item, key)
            return
        if not isinstance(value, dict):
            return
        if key in _ARTIFACT_LOCATION_KEYS:
            self._artifact_location(value)
        elif key in _INDEXED_KEYS:
            self._inline(value, self.arrays[_INDEXED_KEYS[key]])
        for child_key, child in list(value.items()):
            if key == "threadFlows" and child_key == "locations":
                child_key = "threadFlowLocation"
            self.walk(child, child_key)

    def _artifact_location(self, location: dict[str, Any]) -> None:
        index = location.pop("index", None)
        artifacts = self.arrays["artifacts"]
        if not isinstance(index, int) or not 0 <= index < len(artifacts):
            return
        artifact = artifacts[index]
        target = artifact.get("location") if isinstance(artifact, Mapping) else None
        if isinstance(target, Mapping):
            for key in ("uri", "uriBaseId"):
                if key in target and key not in location:
                    location[key] = target[key]

    @staticmethod
    def _inline(ref: dict[str, Any], array: list[Any]) -> None:
        index = ref.pop("index", None)
        ref.pop("parentIndex", None)
        if not isinstance(index, int) or not 0 <= index < len(array):
            return
        if isinstance(array[index], Mapping):
            for key, value in array[index].items():
                if key not in ref and key not in ("index", "parentIndex"):
                    ref[key] = copy.deepcopy(value)


# --- duplicates and the results limit ------------------------------------------------------


def _drop_duplicates(run: dict[str, Any]) -> int:
    """Keep the first of results that share rule, primaryLocationLineHash, file and line
    (results without that fingerprint: only exact copies). Returns how many were dropped."""
    results = run.get("results")
    if not isinstance(results, list):
        return 0
    view = _RunView(run)
    artifacts = _list(run.get("artifacts"))
    seen: set[Any] = set()
    kept: list[Any] = []
    for result in results:
        key = _identity(result, view, artifacts) if isinstance(result, Mapping) else None
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        kept.append(result)
    run["results"] = kept
    return len(results) - len(kept)


def _identity(result: Mapping[str, Any], view: _RunView, artifacts: list[Any]) -> Any:
    fingerprints = result.get("partialFingerprints")
    fingerprint = (
        fingerprints.get("primaryLocationLineHash") if isinstance(fingerprints, Mapping) else None
    )
    if not isinstance(fingerprint, str):
        return json.dumps(result, sort_keys=True, ensure_ascii=False)
    ref = _mapping(result.get("rule"))
    rule_id = result.get("ruleId", ref.get("id"))
    if rule_id is None:
        rule = view.rule_of(result)
        rule_id = rule.get("id") if rule is not None else None
    uri = base = line = None
    locations = _list(result.get("locations"))
    physical = locations[0].get("physicalLocation") if locations and isinstance(
        locations[0], Mapping) else None
    if isinstance(physical, Mapping):
        artifact = physical.get("artifactLocation")
        if isinstance(artifact, Mapping):
            uri, base = artifact.get("uri"), artifact.get("uriBaseId")
            index = artifact.get("index")
            if uri is None and isinstance(index, int) and 0 <= index < len(artifacts):
                entry = artifacts[index]
                target = entry.get("location") if isinstance(entry, Mapping) else None
                if isinstance(target, Mapping):
                    uri, base = target.get("uri"), base or target.get("uriBaseId")
        region = physical.get("region")
        if isinstance(region, Mapping):
            line = region.get("startLine")
    return ("fingerprint", str(rule_id), fingerprint, str(base), str(uri), str(line))


@dataclass(frozen=True)
class Cut:
    """Results left out of one run (`run`: its index in the log's runs) to stay within GitHub's
    limits: `dropped` of the `total` it had; `for_size` when some went to keep the file within
    the upload size budget, not only the results-per-run limit."""

    run: int
    total: int
    dropped: int
    for_size: bool = False

    @property
    def kept(self) -> int:
        return self.total - self.dropped


def fit_for_upload(
    log: dict[str, Any], describe: Callable[[Cut], str],
    render: Callable[[Mapping[str, Any]], str] = render,
) -> tuple[str, list[Cut]]:
    """Keep `log` within what GitHub code scanning accepts in one upload, in place: at most
    MAX_RESULTS_PER_RUN results per run, and the file as `render` writes it at most
    UPLOAD_BUDGET bytes gzip-compressed (GitHub: 10 MB). The results kept are the first in the
    order of `rank_results`; their order in the run stays. A run that loses results gets a
    warning notification with the text `describe` gives (`invocations[0]`, created when there
    is none; `executionSuccessful` untouched). Returns the rendered log and the cuts made."""
    runs = [run for run in _list(log.get("runs")) if isinstance(run, dict)]
    results = [list(_list(run.get("results"))) for run in runs]
    ranked = [rank_results(run) for run in runs]
    invocations = [run.get("invocations") for run in runs]
    limit = [min(len(r), MAX_RESULTS_PER_RUN) for r in results]

    def apply(keep: list[int]) -> tuple[str, list[Cut]]:
        cuts: list[Cut] = []
        for i, run in enumerate(runs):
            if "results" not in run and not results[i]:
                continue
            chosen = sorted(index for _key, index in ranked[i][: keep[i]])
            run["results"] = [results[i][j] for j in chosen]
            if invocations[i] is None:
                run.pop("invocations", None)
            else:
                run["invocations"] = invocations[i]
            if keep[i] < len(results[i]):
                cut = Cut(i, len(results[i]), len(results[i]) - keep[i], keep[i] < limit[i])
                _notify(run, describe(cut))
                cuts.append(cut)
        return render(log), cuts

    text, cuts = apply(limit)
    size = _compressed_size(text)
    if size <= UPLOAD_BUDGET:
        return text, cuts
    # Over the budget: drop the least important results of the whole file, across runs.
    order = sorted((key, i, position) for i, run_ranks in enumerate(ranked)
                   for position, (key, _index) in enumerate(run_ranks[: limit[i]]))
    total = len(order)
    seen: list[tuple[int, int]] = [(total, size)]
    while size > UPLOAD_BUDGET and total > 0:
        total = _next_total(seen)
        keep = [0] * len(runs)
        for _key, i, _position in order[:total]:
            keep[i] += 1
        text, cuts = apply(keep)
        size = _compressed_size(text)
        seen.append((total, size))
    return text, cuts


def rank_results(run: Mapping[str, Any]) -> list[tuple[tuple[int, int, float], int]]:
    """The run's results, the ones to keep first: unsuppressed before suppressed, then new
    (or never compared) before unchanged, updated and absent, then the most severe (see
    `_severity_score`), then in their order. Each as (sort key, index in results)."""
    results = _list(run.get("results"))
    view = _RunView(run)
    keyed = [(_priority(r, view) if isinstance(r, Mapping) else (1, 1, 0.0), i)
             for i, r in enumerate(results)]
    keyed.sort()
    return keyed


def _priority(result: Mapping[str, Any], view: _RunView) -> tuple[int, int, float]:
    suppressed = any(
        isinstance(s, Mapping) and s.get("status", "accepted") == "accepted"
        for s in _list(result.get("suppressions"))
    )
    known = result.get("baselineState") in ("unchanged", "updated", "absent")
    return (int(suppressed), int(known), -_severity_score(result, view))


def _notify(run: dict[str, Any], text: str) -> None:
    """Add a warning to the run's first invocation (copied, so the input stays as it was)."""
    invocations = run.get("invocations")
    if isinstance(invocations, list) and invocations and isinstance(invocations[0], dict):
        first = dict(invocations[0])
        invocations = [first, *invocations[1:]]
    else:
        first = {"executionSuccessful": True}
        invocations = [first]
    notifications = first.get("toolExecutionNotifications")
    first["toolExecutionNotifications"] = [
        *(notifications if isinstance(notifications, list) else []),
        {"level": "warning", "message": {"text": text}},
    ]
    run["invocations"] = invocations


def _compressed_size(text: str) -> int:
    """The size of `text` gzip-compressed as upload-sarif compresses it (zlib's default level
    6); text no longer than the budget cannot compress to more than it."""
    data = text.encode("utf-8")
    if len(data) <= UPLOAD_BUDGET:
        return len(data)
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def _next_total(seen: list[tuple[int, int]]) -> int:
    """How many results to try next, from the (results, compressed size) pairs measured so
    far: the size taken as linear in the results (through the last two measurements; through
    zero at first), aiming 2% under the budget, and always fewer than the last try."""
    total, size = seen[-1]
    target = UPLOAD_BUDGET * 0.98
    if len(seen) >= 2 and seen[-2][0] != total and seen[-2][1] > size:
        per_result = (seen[-2][1] - size) / (seen[-2][0] - total)
        guess = total - (size - target) / per_result
    else:
        guess = total * target / size
    return max(0, min(total - 1, int(guess)))


def _merge_notification(cut: Cut) -> str:
    size = " and 10 MB gzip-compressed per file" if cut.for_size else ""
    return (
        f"hullscan merge: dropped {cut.dropped:,} of {cut.total:,} results: GitHub code "
        f"scanning accepts at most {MAX_RESULTS_PER_RUN:,} results per run{size}; the "
        "unsuppressed, new and most severe were kept"
    )


def _severity_score(result: Mapping[str, Any], view: _RunView) -> float:
    """A result's severity as a security-severity score: its properties.severity, else its
    rule's security-severity, else its level."""
    properties = result.get("properties")
    if isinstance(properties, Mapping) and isinstance(properties.get("severity"), str):
        try:
            return float(Severity.parse(properties["severity"]).security_severity)
        except ValueError:
            pass
    rule = view.rule_of(result)
    rule_properties = rule.get("properties") if rule is not None else None
    if isinstance(rule_properties, Mapping):
        score = rule_properties.get("security-severity")
        if isinstance(score, str | int | float) and not isinstance(score, bool):
            try:
                return float(score)
            except ValueError:
                pass
    return _level_score(result, rule)


def _level_score(result: Mapping[str, Any], rule: Mapping[str, Any] | None) -> float:
    level = result.get("level")
    if not isinstance(level, str):
        kind = result.get("kind", "fail")
        level = "warning" if kind == "fail" else "none"
        configuration = rule.get("defaultConfiguration") if rule is not None else None
        if kind == "fail" and isinstance(configuration, Mapping):
            default = configuration.get("level")
            level = default if isinstance(default, str) else level
    severity = _LEVEL_SEVERITY.get(level, Severity.INFO)
    return float(severity.security_severity)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
