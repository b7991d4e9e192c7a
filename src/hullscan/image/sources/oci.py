"""`oci:PATH[:TAG]`: an OCI image layout, as a folder (read blob by blob) or as a tar (read in
one pass by the archive reader). Nested indexes are followed, attestation manifests skipped,
the platform chosen like a registry pull; every blob's digest is checked."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import IO

from hullscan.image.layers import Scanner
from hullscan.image.manifest import (
    MAX_JSON,
    check_digest,
    layer_infos,
    load_json,
    resolve_index,
)
from hullscan.image.model import Image, ImageError, LayerInfo
from hullscan.image.sources.archive import open_archive
from hullscan.image.sources.base import ScannedImage, scan_image


def split_path_tag(text: str) -> tuple[Path, str | None]:
    """`PATH[:TAG]`: the whole text when it names something that exists, else the part before
    the last ':' with the rest as the tag."""
    if Path(text).exists() or ":" not in text:
        return Path(text), None
    path, _, tag = text.rpartition(":")
    return Path(path), tag or None


def open_oci(text: str, reference: str, scanner: Scanner,
             platform: str | None) -> ScannedImage:
    path, tag = split_path_tag(text)
    if path.is_file():
        return open_archive(path, reference, scanner, tag, platform)
    if not (path / "index.json").is_file():
        raise ImageError(f"{reference}: {path} is not an OCI image layout (no index.json)")
    return scan_image(_layout_image(path, reference, tag, platform), scanner)


def _blob_path(folder: Path, digest: str, reference: str) -> Path:
    algorithm, _, hexdigest = digest.partition(":")
    if algorithm != "sha256" or len(hexdigest) != 64 or not all(
            c in "0123456789abcdef" for c in hexdigest):
        raise ImageError(f"{reference}: unsupported or malformed digest {digest!r}")
    return folder / "blobs" / "sha256" / hexdigest


def _open_regular(path: Path, reference: str, what: str) -> IO[bytes]:
    """A blob that is a regular file of the layout: a link to /dev/zero or a fifo would never
    end (or never open)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise ImageError(f"{reference}: the {what} {path.name[:12]}… is missing") from None
    except OSError as exc:
        raise ImageError(f"{reference}: cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ImageError(f"{reference}: the {what} {path.name[:12]}… is not a regular file")
    try:
        return open(path, "rb")
    except OSError as exc:
        raise ImageError(f"{reference}: cannot read {path}: {exc.strerror or exc}") from None


def _read_document(path: Path, reference: str, what: str) -> bytes:
    with _open_regular(path, reference, what) as handle:
        data = handle.read(MAX_JSON + 1)
    if len(data) > MAX_JSON:
        raise ImageError(f"{reference}: {what}: larger than {MAX_JSON:,} bytes")
    return data


def _read_blob(folder: Path, digest: str, reference: str, what: str) -> bytes:
    data = _read_document(_blob_path(folder, digest, reference), reference, f"{what} blob")
    check_digest(data, digest, f"{reference}: {what} {digest[:19]}…")
    return data


def _layout_image(folder: Path, reference: str, tag: str | None,
                  platform: str | None) -> Image:
    index = load_json(_read_document(folder / "index.json", reference, "index.json"),
                      f"{reference}: index.json")
    digest, config, descriptors = resolve_index(
        index, lambda blob, what: _read_blob(folder, blob, reference, what), reference, tag,
        platform,
    )
    layers = layer_infos(config, descriptors)

    def open_layer(layer: LayerInfo) -> IO[bytes]:
        return _open_regular(_blob_path(folder, layer.digest, reference), reference,
                             "layer blob")

    return Image(reference, config, layers, open_layer, digest)
