"""The runs of one tool and category merged into one run: tool components united by name and
their descriptors (rules, notifications, taxa) by id, every reference to them recomputed, the
results and invocations of every run in it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hullscan.formats.sarif_inline import INLINED_ARRAYS, Inliner
from hullscan.formats.sarif_log import RunView, as_list, category_of

# The descriptor arrays of a toolComponent that references point into by index.
_KINDS = ("rules", "notifications", "taxa")
# Invocation arrays that a merged invocation concatenates.
_INVOCATION_LISTS = (
    "toolExecutionNotifications", "toolConfigurationNotifications",
    "ruleConfigurationOverrides", "notificationConfigurationOverrides",
)


@dataclass
class Member:
    """One input run, with where its components and descriptors went in the merged run."""

    run: dict[str, Any]
    view: RunView = field(init=False)
    components: dict[tuple[str, int], int] = field(default_factory=dict)
    descriptors: dict[tuple[str, int, str, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.view = RunView(self.run)

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



def merge_group(members: list[Member], label: str, notes: list[str]) -> dict[str, Any]:
    """One run from the runs of one tool and category."""
    first = members[0].run

    # Tool components: the driver, extensions and taxonomies united by name, their
    # descriptors by id; remember where each member's components and descriptors went.
    driver = _MergedComponent(members[0].view.driver)
    merged_arrays: dict[str, list[_MergedComponent]] = {"extensions": [], "taxonomies": []}
    names: dict[str, dict[str, int]] = {"extensions": {}, "taxonomies": {}}
    added: list[tuple[dict[str, Any], Member, str, int, str]] = []
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
                for at, descriptor in enumerate(as_list(component.get(kind))):
                    if not isinstance(descriptor, dict):
                        continue
                    merged_at, new = target.add(kind, descriptor)
                    member.descriptors[(array, position, kind, at)] = merged_at
                    if new:
                        added.append((descriptor, member, array, position, kind))
    for descriptor, member, array, position, kind in added:
        for relationship in as_list(descriptor.get("relationships")):
            if isinstance(relationship, dict) and isinstance(relationship.get("target"), dict):
                _remap_reference(
                    relationship["target"], member, ("taxonomies", "extensions"),
                    None if relationship["target"].get("toolComponent") else kind,
                    default=(array, position),
                )
    for merged_component in [driver, *merged_arrays["extensions"]]:
        for ref in as_list(merged_component.obj.get("supportedTaxonomies")):
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
        inliner = Inliner(member.run)
        graph_offset = len(graphs)
        for graph in as_list(member.run.get("graphs")):
            inliner.walk(graph, None)
            graphs.append(graph)
        if "results" in member.run:
            has_results = True
        for result in as_list(member.run.get("results")):
            if not isinstance(result, dict):
                continue
            inliner.walk(result, None)
            unresolved += not _remap_result(result, member)
            for traversal in as_list(result.get("graphTraversals")):
                if isinstance(traversal, dict) and isinstance(traversal.get("runGraphIndex"), int):
                    traversal["runGraphIndex"] += graph_offset
            provenance = result.get("provenance")
            if isinstance(provenance, dict) and "invocationIndex" in provenance:
                provenance["invocationIndex"] = 0
            results.append(result)
        for invocation in as_list(member.run.get("invocations")):
            if isinstance(invocation, dict):
                inliner.walk(invocation, None)
                _remap_invocation(invocation, member)
                invocations.append(invocation)
    if unresolved:
        notes.append(
            f"{label}: {unresolved:,} results point at rules their run does not describe"
        )

    run: dict[str, Any] = {key: value for key, value in first.items() if key not in INLINED_ARRAYS}
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
        Inliner(first).walk(conversion, None)
    _merge_automation_details(run, members, label, notes)
    _merge_uri_base_ids(run, members, label, notes)
    _merge_properties(run, members)
    if invocations:
        run["invocations"] = [_merge_invocations(invocations)]
    if has_results or "results" in run:
        run["results"] = results
    return run


def _remap_reference(
    ref: dict[str, Any], member: Member, arrays: tuple[str, ...], kind: str | None,
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


def _remap_result(result: dict[str, Any], member: Member) -> bool:
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
    for taxon in as_list(result.get("taxa")):
        if isinstance(taxon, dict):
            _remap_reference(taxon, member, ("taxonomies",), "taxa")
    pointed = ident is not None or (isinstance(index, int) and index >= 0)
    return located is not None or not pointed


def _remap_invocation(invocation: dict[str, Any], member: Member) -> None:
    for key in ("toolExecutionNotifications", "toolConfigurationNotifications"):
        for notification in as_list(invocation.get(key)):
            if not isinstance(notification, dict):
                continue
            for ref_key, kind in (("descriptor", "notifications"), ("associatedRule", "rules")):
                if isinstance(notification.get(ref_key), dict):
                    _remap_reference(notification[ref_key], member, ("extensions",), kind)
    for key, kind in (("ruleConfigurationOverrides", "rules"),
                      ("notificationConfigurationOverrides", "notifications")):
        for override in as_list(invocation.get(key)):
            if isinstance(override, dict) and isinstance(override.get("descriptor"), dict):
                _remap_reference(override["descriptor"], member, ("extensions",), kind)


def _merge_invocations(invocations: list[dict[str, Any]]) -> dict[str, Any]:
    merged = dict(invocations[0])
    merged["executionSuccessful"] = all(
        inv.get("executionSuccessful") is True for inv in invocations
    )
    for key in _INVOCATION_LISTS:
        items = [item for inv in invocations for item in as_list(inv.get(key))]
        if items or key in merged:
            merged[key] = items
    return merged


def _merge_automation_details(
    run: dict[str, Any], members: list[Member], label: str, notes: list[str]
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
    run: dict[str, Any], members: list[Member], label: str, notes: list[str]
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


def _merge_properties(run: dict[str, Any], members: list[Member]) -> None:
    counts = [
        m.run["properties"]["filesScanned"] for m in members
        if isinstance(m.run.get("properties"), dict)
        and type(m.run["properties"].get("filesScanned")) is int
    ]
    if counts:
        properties = dict(run.get("properties") or {})
        properties["filesScanned"] = sum(counts)
        run["properties"] = properties
