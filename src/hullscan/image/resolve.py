"""From what the user typed to a scanned image: the reference forms of `hullscan image`."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hullscan.image.layers import Scanner
from hullscan.image.model import ImageError
from hullscan.image.sources.base import ScannedImage, scan_image

log = logging.getLogger("hullscan.image")

@dataclass(frozen=True)
class Source:
    """One explicit image source: the form users write (`oci:PATH[:TAG]`), why a reference of
    that form cannot be opened (checked before anything runs; None: it can), and how to open
    it. To add a source: write its module under `image/sources/` and add its line to SOURCES."""

    form: str
    problem: Callable[[str, str], str | None]  # (text after "KIND:", reference)
    open: Callable[[str, str, Scanner, str | None, Sequence[str]], ScannedImage]


def _path_problem(kind: str, what: str) -> Callable[[str, str], str | None]:
    def problem(rest: str, reference: str) -> str | None:
        from hullscan.image.sources.oci import split_path_tag

        if not rest:
            return f"{reference!r}: no path after {kind}:"
        path = Path(rest) if kind == "dir" else split_path_tag(rest)[0]
        if not os.path.lexists(path):
            return f"{reference}: {path}: no such {what}"
        if kind == "docker-archive" and path.is_dir():
            return (f"{reference}: {path} is a folder, not a docker save archive (an OCI "
                    f"image layout folder is oci:{path})")
        if kind == "dir" and not path.is_dir():
            return f"{reference}: {path} is not a folder"
        return None
    return problem


def _name_problem(rest: str, reference: str) -> str | None:
    return f"{reference!r}: no image name after docker:" if not rest.strip() else None


def _registry_problem(rest: str, reference: str) -> str | None:
    from hullscan.core.imageref import parse_image_ref

    return None if parse_image_ref(rest) else (
        f"{reference!r}: not a valid image reference after registry: (NAME[:TAG|@DIGEST])")


def _open_archive(rest: str, reference: str, scanner: Scanner, platform: str | None,
                  insecure: Sequence[str]) -> ScannedImage:
    from hullscan.image.sources.archive import open_archive
    from hullscan.image.sources.oci import split_path_tag

    path, tag = split_path_tag(rest)
    if not path.is_file():
        raise ImageError(f"{reference}: {path} is not a file")
    return open_archive(path, reference, scanner, tag, platform)


def _open_oci(rest: str, reference: str, scanner: Scanner, platform: str | None,
              insecure: Sequence[str]) -> ScannedImage:
    from hullscan.image.sources.oci import open_oci

    return open_oci(rest, reference, scanner, platform)


def _open_dir(rest: str, reference: str, scanner: Scanner, platform: str | None,
              insecure: Sequence[str]) -> ScannedImage:
    from hullscan.image.sources.directory import open_directory

    return open_directory(rest, reference, scanner)


def _open_daemon(rest: str, reference: str, scanner: Scanner, platform: str | None,
                 insecure: Sequence[str]) -> ScannedImage:
    from hullscan.image.sources.daemon import open_daemon

    return open_daemon(rest, reference, scanner, platform)


def _open_registry(rest: str, reference: str, scanner: Scanner, platform: str | None,
                   insecure: Sequence[str]) -> ScannedImage:
    from hullscan.image.sources.registry import RegistrySource

    source = RegistrySource(insecure_registries=tuple(insecure))
    return scan_image(source.open(rest, platform), scanner)


# kind (the text before the first ":") -> source; a bare NAME[:TAG] tries the daemon, then the
# registry
SOURCES: dict[str, Source] = {
    "docker-archive": Source("docker-archive:PATH", _path_problem("docker-archive", "file"),
                             _open_archive),
    "oci": Source("oci:PATH[:TAG]", _path_problem("oci", "file or folder"), _open_oci),
    "dir": Source("dir:PATH", _path_problem("dir", "folder"), _open_dir),
    "registry": Source("registry:NAME[:TAG|@DIGEST]", _registry_problem, _open_registry),
    "docker": Source("docker:NAME", _name_problem, _open_daemon),
}
FORMS = (*(s.form for s in SOURCES.values()), "NAME[:TAG] (the daemon, else the registry)")


def reference_problem(reference: str) -> str | None:
    """Why `reference` cannot name an image, checked before anything runs: a usage error
    (exit 2), not a scan that failed (None: it can). A path that does not exist, an empty
    path or name, or a form hullscan does not read."""
    from hullscan.core.imageref import parse_image_ref

    forms = f"name the image with one of: {', '.join(FORMS)}"
    kind, sep, rest = reference.partition(":")
    if sep and kind in SOURCES:
        return SOURCES[kind].problem(rest, reference)
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
    if sep and kind in SOURCES:
        return SOURCES[kind].open(rest, reference, scanner, platform, insecure_registries)
    if not reference or reference.startswith("-") or Path(reference).exists():
        raise ImageError(f"{reference!r}: name the image with one of: {', '.join(FORMS)}")
    from hullscan.image.sources.daemon import daemon_available, open_daemon

    if daemon_available():
        try:
            return open_daemon(reference, reference, scanner, platform)
        except ImageError as exc:
            log.info("%s: not in the local Docker daemon (%s): trying the registry",
                     reference, exc)
    return _open_registry(reference, reference, scanner, platform, insecure_registries)
