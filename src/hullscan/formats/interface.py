"""The format interface: a format knows the model, nothing about any tool."""

from __future__ import annotations

from collections.abc import Callable

from hullscan.model import Report

Renderer = Callable[[Report], str]
