"""The static registry of output formats: each renders a Report to text."""

from __future__ import annotations

from hullscan.errors import UsageError
from hullscan.formats import github, sarif, text
from hullscan.formats import json as json_format
from hullscan.formats.interface import RenderContext, Renderer
from hullscan.model import Report

FORMATS: dict[str, Renderer] = {
    "text": lambda report, _context: text.render(report),
    "sarif": sarif.render,
    "json": lambda report, _context: json_format.render(report),
    "github": github.render,
    "markdown": github.markdown,
    "cyclonedx": lambda report, context: _cyclonedx(report, context),
}


def _cyclonedx(report: Report, context: RenderContext) -> str:
    """CycloneDX needs hullscan[image] (cyclonedx-python-lib), imported only when asked for."""
    try:
        from hullscan.formats import cyclonedx
    except ImportError as exc:
        raise UsageError("--format cyclonedx needs cyclonedx-python-lib: pip install "
                         "'hullscan[image]'") from exc
    return cyclonedx.render(report, context)

__all__ = ["FORMATS", "RenderContext", "Renderer"]
