"""The static registry of output formats: each renders a Report to text."""

from __future__ import annotations

from hullscan.formats import json as json_format
from hullscan.formats import sarif, text
from hullscan.formats.interface import Renderer

FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "sarif": sarif.render,
    "json": json_format.render,
}
