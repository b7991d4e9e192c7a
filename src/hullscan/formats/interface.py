"""The format interface: a format knows the model, nothing about any tool."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hullscan.model import Report


@dataclass(frozen=True)
class RenderContext:
    """Where the report is read, for formats that link to files (the job summary)."""

    repository_url: str | None = None  # https://github.com/owner/repo
    revision: str | None = None  # the commit under review
    reproduce: str | None = None  # the command line that reproduces this run
    # SARIF: each run's automationDetails.id is "<sarif_category>/<checker>/"
    sarif_category: str = "hullscan"


Renderer = Callable[[Report, RenderContext], str]
