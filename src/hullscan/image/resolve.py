"""From what the user typed to a scanned image: the reference forms of `hullscan image`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from hullscan.image.layers import Scanner
from hullscan.image.model import ImageError
from hullscan.image.sources.base import ScannedImage, scan_image

log = logging.getLogger("hullscan.image")

FORMS = ("docker-archive:PATH", "oci:PATH[:TAG]", "dir:PATH", "registry:NAME[:TAG|@DIGEST]",
         "docker:NAME", "NAME[:TAG] (the daemon, else the registry)")


def open_reference(reference: str, scanner: Scanner, platform: str | None = None,
                   insecure_registries: Sequence[str] = ()) -> ScannedImage:
    kind, sep, rest = reference.partition(":")
    if sep and kind == "docker-archive":
        from hullscan.image.sources.archive import open_archive
        from hullscan.image.sources.oci import split_path_tag

        path, tag = split_path_tag(rest)
        if not path.is_file():
            raise ImageError(f"{reference}: {path} is not a file")
        return open_archive(path, reference, scanner, tag, platform)
    if sep and kind == "oci":
        from hullscan.image.sources.oci import open_oci

        return open_oci(rest, reference, scanner, platform)
    if sep and kind == "dir":
        from hullscan.image.sources.directory import open_directory

        return open_directory(rest, reference, scanner)
    if sep and kind == "registry":
        return _registry(rest, reference, scanner, platform, insecure_registries)
    if sep and kind == "docker":
        from hullscan.image.sources.daemon import open_daemon

        return open_daemon(rest, reference, scanner, platform)
    if not reference or reference.startswith("-") or Path(reference).exists():
        raise ImageError(f"{reference!r}: name the image with one of: {', '.join(FORMS)}")
    from hullscan.image.sources.daemon import daemon_available, open_daemon

    if daemon_available():
        try:
            return open_daemon(reference, reference, scanner, platform)
        except ImageError as exc:
            log.info("%s: not in the local Docker daemon (%s): trying the registry",
                     reference, exc)
    return _registry(reference, reference, scanner, platform, insecure_registries)


def _registry(name: str, reference: str, scanner: Scanner, platform: str | None,
              insecure_registries: Sequence[str]) -> ScannedImage:
    from hullscan.image.sources.registry import RegistrySource

    source = RegistrySource(insecure_registries=tuple(insecure_registries))
    image = source.open(name, platform)
    return scan_image(image, scanner)
