"""Installed Ruby gems: `specifications/<name>-<version>[-<platform>].gemspec` under a gems
folder (`usr/local/bundle/specifications/`, `var/lib/gems/3.1.0/specifications/default/`, ...),
as RubyGems writes them on install. The name and version are the spec's `s.name` and
`s.version` (a literal string, or `Gem::Version.new("...")`), checked against the file name;
the spec is Ruby and is only ever read as text, never evaluated."""

from __future__ import annotations

import re

from hullscan.packages.interface import Extraction, Package, ScanInput
from hullscan.packages.purl import purl_for

MAX_GEMSPEC_BYTES = 1024 * 1024
_QUOTED = r"""(?:"([^"\n]{1,200})"|'([^'\n]{1,200})')(?:\.freeze)?"""
_NAME = re.compile(rf"^\s*\w+\.name\s*=\s*{_QUOTED}", re.M)
_VERSION = re.compile(rf"^\s*\w+\.version\s*=\s*(?:Gem::Version\.new\(\s*)?{_QUOTED}", re.M)


def is_gemspec(path: str) -> bool:
    parts = path.split("/")
    if len(parts) < 2 or not parts[-1].endswith(".gemspec") or len(parts[-1]) <= 8:
        return False
    return parts[-2] == "specifications" or (
        len(parts) >= 3 and parts[-2] == "default" and parts[-3] == "specifications")


def split_file_name(base: str, name: str | None = None) -> tuple[str, str] | None:
    """(name, version) of `rack-2.2.3.gemspec` or `nokogiri-1.15.4-x86_64-linux.gemspec`."""
    stem = base.removesuffix(".gemspec")
    if name is not None:
        if not stem.startswith(name + "-"):
            return None
        rest = stem[len(name) + 1:]
        return (name, rest.split("-", 1)[0]) if rest[:1].isdigit() else None
    parts = stem.split("-")
    for i in range(1, len(parts)):
        if parts[i][:1].isdigit():
            return "-".join(parts[:i]), parts[i]
    return None


def _quoted(found: re.Match[str] | None) -> str | None:
    return (found.group(1) or found.group(2)) if found else None


class GemspecExtractor:
    name = "gemspec"
    max_bytes = MAX_GEMSPEC_BYTES
    in_repository = False  # a repository's gemspec declares ranges: Gemfile.lock pins
    in_image = True

    def file_required(self, path: str, size: int | None = None, mode: int | None = None) -> bool:
        return is_gemspec(path) and (size is None or size > 0)

    def extract(self, scan: ScanInput) -> Extraction:
        base = scan.path.rpartition("/")[2]
        text = scan.data[: self.max_bytes].decode("utf-8", "replace")
        name = _quoted(_NAME.search(text))
        version = _quoted(_VERSION.search(text))
        from_file = split_file_name(base, name)
        if name is None and from_file is None:
            return Extraction(problems=(f"{scan.path}: no gem name in the spec or file name",))
        name = name or (from_file[0] if from_file else None)
        version = version or (from_file[1] if from_file else None)
        if not name or not version:
            return Extraction(problems=(f"{scan.path}: no gem version in the spec or file name",))
        if from_file is not None and from_file[1] != version:
            return Extraction(problems=(
                f"{scan.path}: the spec says version {version}, the file name "
                f"{from_file[1]}: not reported",))
        return Extraction((Package(name, version, "RubyGems",
                                   purl_for("RubyGems", name, version), scan.path),))
