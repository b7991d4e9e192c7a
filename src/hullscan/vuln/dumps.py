"""Fetching OSV's per-ecosystem `all.zip` dumps (online), for `hullscan db update` and
`hullscan db import URL`. `HULLSCAN_OSV_DUMPS_URL` points at a mirror."""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from hullscan import __version__
from hullscan.vuln.interface import SourceError

DEFAULT_DUMPS_URL = "https://storage.googleapis.com/osv-vulnerabilities"
DEFAULT_ECOSYSTEMS = (
    "PyPI", "npm", "Go", "crates.io", "Maven", "RubyGems", "Packagist", "NuGet",
)
TIMEOUT = 60.0


def dump_url(ecosystem: str) -> str:
    base = os.environ.get("HULLSCAN_OSV_DUMPS_URL", DEFAULT_DUMPS_URL).rstrip("/")
    return f"{base}/{urllib.parse.quote(ecosystem)}/all.zip"


def dump_ecosystem(location: str) -> str | None:
    """The ecosystem whose OSV dump a URL or path names (`PyPI` for `.../PyPI/all.zip`,
    `Debian:12` for `.../Debian%3A12/all.zip`), else None."""
    if "://" in location:
        path = urllib.parse.urlsplit(location).path
    else:
        path = location.replace("\\", "/")
    parts = path.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-1] == "all.zip" and parts[-2]:
        return urllib.parse.unquote(parts[-2])
    return None


def update_command(ecosystem: str) -> str:
    """The command that fetches an ecosystem's dump, quoted for a shell."""
    import shlex

    return f"hullscan db update --ecosystem {shlex.quote(ecosystem)}"


def download(url: str, folder: Path) -> Path:
    """Download `url` into `folder` (a temporary folder of the caller) and return the file."""
    target = folder / "download.zip"
    request = urllib.request.Request(url, headers={"User-Agent": f"hullscan/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response, target.open("wb") as out:
            shutil.copyfileobj(response, out, 1024 * 1024)
    except urllib.error.HTTPError as exc:
        raise SourceError(f"cannot download {url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = " ".join(str(getattr(exc, "reason", exc)).split())
        raise SourceError(f"cannot download {url}: {reason}") from exc
    return target


def temporary_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="hullscan-osv-")
