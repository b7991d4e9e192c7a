"""References into a SARIF run's arrays replaced by what they point at, so that a merged run
can drop the arrays (their indexes differ from one input run to the next)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from hullscan.formats.sarif_log import as_list

# Run-level arrays that results reference by index; a merged run drops them (see Inliner).
INLINED_ARRAYS = (
    "artifacts", "logicalLocations", "threadFlowLocations", "addresses", "webRequests",
    "webResponses",
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


class Inliner:
    """Replaces each reference into a run-level array (`artifactLocation.index`,
    `logicalLocations[].index`, ...) with a copy of what it points at, so that the array can
    be dropped."""

    def __init__(self, run: Mapping[str, Any]) -> None:
        self.arrays = {name: as_list(run.get(name)) for name in INLINED_ARRAYS}

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

