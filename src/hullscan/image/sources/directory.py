"""`dir:PATH`: an unpacked root filesystem, read as one layer (no configuration, no history)."""

from __future__ import annotations

from pathlib import Path

from hullscan.image.layers import Scanner
from hullscan.image.model import ImageConfig, ImageError, LayerInfo
from hullscan.image.sources.base import ScannedImage


def open_directory(text: str, reference: str, scanner: Scanner) -> ScannedImage:
    root = Path(text)
    if not root.is_dir():
        raise ImageError(f"{reference}: {text} is not a folder")
    scan = scanner.scan_folder(root)
    layer = LayerInfo(index=0, digest="", media_type="dir", created_by=None)
    return ScannedImage(reference, ImageConfig(), (layer,), (scan,), None, tuple(scan.problems))
