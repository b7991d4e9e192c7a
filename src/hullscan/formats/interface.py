"""The format interface: a format knows the model, nothing about any tool.

Every format is a module of `hullscan.formats` with one function of one signature,
`render(report: Report, context: RenderContext | None = None) -> str`, registered by name in
`hullscan.formats.FORMATS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hullscan.core.model import Report


@dataclass(frozen=True)
class RenderContext:
    """Where and how the report is read: links for formats that link to files (the job
    summary), the SARIF category, and how the text listing is shown."""

    repository_url: str | None = None  # https://github.com/owner/repo
    revision: str | None = None  # the commit under review
    reproduce: str | None = None  # the command line that reproduces this run
    # SARIF: each run's automationDetails.id is "<sarif_category>/<checker>/"
    sarif_category: str = "hullscan"
    # text: ANSI colours (a terminal without NO_COLOR), suppressed and unchanged findings
    # listed too (-v), findings only without the summary line (-q)
    colour: bool = False
    show_suppressed: bool = False
    quiet: bool = False


Renderer = Callable[[Report, RenderContext | None], str]
