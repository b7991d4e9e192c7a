"""Loading a Compose file: the shared safe YAML loader (hullscan.core.yamlsafe), one document."""

from __future__ import annotations

from typing import Any

from hullscan.core.yamlsafe import YamlProblem, check_expansion, load_all

# The most nodes a Compose document may expand to (aliases counted once per use).
MAX_EXPANDED_NODES = 100_000

ComposeLoadError = YamlProblem

__all__ = ["ComposeLoadError", "EmptyDocument", "check_expansion", "load_compose"]


class EmptyDocument(Exception):
    """The file holds no YAML document (empty, or only comments)."""


def load_compose(text: str) -> Any:
    """The file's first document as ruamel round-trip data (with `.lc` positions).

    Raises ComposeLoadError (YamlProblem) for YAML errors (with the line), duplicate keys,
    alias bombs and recursive aliases, and EmptyDocument when there is nothing to check."""
    documents = load_all(text, MAX_EXPANDED_NODES)
    if not documents:
        raise EmptyDocument
    if len(documents) > 1:
        raise ComposeLoadError(
            f"invalid YAML: a Compose file holds one document, this one has {len(documents)}"
        )
    return documents[0]
