"""The static registry of output formats. A format is a module of this package with
`render(report, context) -> str` (see `interface`); to add one, write its module and add its
line to FORMATS. Modules are imported when their format is asked for, so a format's
dependencies (cyclonedx-python-lib) load only when it is used, and a run that prints text
imports only the text format."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import cast

from hullscan.core.errors import UsageError
from hullscan.core.model import Report
from hullscan.formats.interface import RenderContext, Renderer


@dataclass(frozen=True)
class Format:
    """One output format: the module of this package that renders it and, for a format whose
    imports come with an extra, the package it needs and the extra that installs it."""

    module: str
    needs: tuple[str, str] | None = None  # (the package, the hullscan extra)


FORMATS: dict[str, Format] = {
    "text": Format("text"),
    "sarif": Format("sarif"),
    "json": Format("json"),
    "github": Format("github"),
    "markdown": Format("markdown"),
    "cyclonedx": Format("cyclonedx", needs=("cyclonedx-python-lib", "image")),
}


def renderer(name: str) -> Renderer:
    """The render function of the format `name` (a key of FORMATS). UsageError, one line, when
    the format needs an extra that is not installed."""
    spec = FORMATS[name]
    try:
        module = importlib.import_module(f"{__name__}.{spec.module}")
    except ImportError as exc:
        if spec.needs is None:
            raise
        package, extra = spec.needs
        raise UsageError(f"--format {name} needs {package}: pip install "
                         f"'hullscan[{extra}]'") from exc
    return cast(Renderer, module.render)


def render(name: str, report: Report, context: RenderContext | None = None) -> str:
    """The report in the format `name`."""
    return renderer(name)(report, context)


__all__ = ["FORMATS", "Format", "RenderContext", "Renderer", "render", "renderer"]
