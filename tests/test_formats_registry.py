"""The format registry is the one list of output formats: `--format` offers exactly its names,
and every format renders through the one signature, render(report, context) -> str."""

from __future__ import annotations

import inspect

import pytest

from hullscan.cli.options import FORMAT_CHOICES
from hullscan.core.model import CheckerResult, Finding, Location, Report, Rule, Severity
from hullscan.formats import FORMATS, RenderContext, render, renderer


def _report() -> Report:
    rule = Rule("HS100", "root-user", "Runs as root", "The image runs as root.", "Add USER.",
                Severity.HIGH)
    finding = Finding(rule, "dockerfile", Severity.HIGH, "runs as root",
                      Location("Dockerfile", 1), fingerprint="f1")
    return Report(results=(CheckerResult("dockerfile", findings=(finding,), files_scanned=1),),
                  fail_on=Severity.HIGH, root=".")


def test_format_option_offers_the_registry() -> None:
    from hullscan.cli import build_parser

    assert tuple(FORMATS) == FORMAT_CHOICES
    parser = build_parser()
    for name in FORMATS:
        assert parser.parse_args(["scan", "--format", name]).format == name


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_renders_through_the_one_signature(name: str) -> None:
    if FORMATS[name].needs is not None:
        pytest.importorskip(f"hullscan.formats.{FORMATS[name].module}")
    function = renderer(name)
    assert list(inspect.signature(function).parameters) == ["report", "context"]
    for context in (None, RenderContext()):
        text = render(name, _report(), context)
        assert isinstance(text, str) and text.endswith("\n")


def test_the_text_listing_options_come_in_the_context() -> None:
    report = _report()
    plain = render("text", report)
    assert "Dockerfile:1:1 high HS100 runs as root" in plain
    assert plain.splitlines()[-1].startswith("hullscan: 1 finding")
    quiet = render("text", report, RenderContext(quiet=True))
    assert quiet == "Dockerfile:1:1 high HS100 runs as root\n"
    assert "\033[" in render("text", report, RenderContext(colour=True))
