"""`docker:NAME`: an image of the local Docker daemon, streamed from `docker save` (never written
to disk) and read in one pass."""

from __future__ import annotations

from hullscan.core.errors import ToolError, ToolMissingError
from hullscan.core.tools import find_tool, run_tool, stream_tool
from hullscan.image.layers import Scanner
from hullscan.image.model import ImageError
from hullscan.image.sources.archive import read_archive
from hullscan.image.sources.base import ScannedImage

SAVE_TIMEOUT = 1800


def daemon_available() -> bool:
    """A docker client and a daemon that answers."""
    try:
        docker = find_tool("docker", "HULLSCAN_DOCKER")
        run_tool("docker", [docker, "version", "--format", "{{.Server.Version}}"], timeout=20)
    except ToolError:
        return False
    return True


def open_daemon(name: str, reference: str, scanner: Scanner,
                platform: str | None) -> ScannedImage:
    try:
        docker = find_tool("docker", "HULLSCAN_DOCKER")
    except ToolMissingError as exc:
        raise ImageError(f"{reference}: {exc}") from None
    argv = [docker, "save", name]
    if platform:
        argv[2:2] = ["--platform", platform]
    try:
        with stream_tool("docker", argv, timeout=SAVE_TIMEOUT) as stream:
            return read_archive(stream, reference, scanner, None, platform)
    except ToolError as exc:
        raise ImageError(f"{reference}: docker save failed: {exc}") from None
