"""The static registry of output formats: each renders a Report to text."""

from __future__ import annotations

from hullscan.formats import github, sarif, text
from hullscan.formats import json as json_format
from hullscan.formats.interface import RenderContext, Renderer

FORMATS: dict[str, Renderer] = {
    "text": lambda report, _context: text.render(report),
    "sarif": lambda report, _context: sarif.render(report),
    "json": lambda report, _context: json_format.render(report),
    "github": github.render,
    "markdown": github.markdown,
}

__all__ = ["FORMATS", "RenderContext", "Renderer"]
