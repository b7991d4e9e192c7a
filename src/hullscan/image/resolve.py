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


def reference_problem(reference: str) -> str | None:
    """Why `reference` cannot name an image, checked before anything runs: a usage error
    (exit 2), not a scan that failed (None: it can). A path that does not exist, an empty
    path or name, or a form hullscan does not read."""
    import os

    from hullscan.image.sources.oci import split_path_tag
    from hullscan.imageref import parse_image_ref

    forms = f"name the image with one of: {', '.join(FORMS)}"
    kind, sep, rest = reference.partition(":")
    if sep and kind in ("docker-archive", "oci", "dir"):
        if not rest:
            return f"{reference!r}: no path after {kind}:"
        path = Path(rest) if kind == "dir" else split_path_tag(rest)[0]
        if not os.path.lexists(path):
            what = {"docker-archive": "file", "oci": "file or folder", "dir": "folder"}[kind]
            return f"{reference}: {path}: no such {what}"
        if kind == "docker-archive" and path.is_dir():
            return (f"{reference}: {path} is a folder, not a docker save archive (an OCI "
                    f"image layout folder is oci:{path})")
        if kind == "dir" and not path.is_dir():
            return f"{reference}: {path} is not a folder"
        return None
    if sep and kind == "docker":
        return f"{reference!r}: no image name after docker:" if not rest.strip() else None
    if sep and kind == "registry":
        return None if parse_image_ref(rest) else (
            f"{reference!r}: not a valid image reference after registry: (NAME[:TAG|@DIGEST])")
    if not reference or reference.startswith("-") or os.path.lexists(reference):
        return f"{reference!r}: {forms}"
    if sep and os.path.lexists(rest):
        return f"{reference!r}: {kind}: is not a form hullscan reads; {forms}"
    if parse_image_ref(reference) is None:
        return f"{reference!r}: not an image name; {forms}"
    return None


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
