"""What every image source hands the image checker: the configuration, the layers in order, and
each layer already scanned (sources that can only stream their input once scan layers in the
order they arrive; the walk applies them in layer order afterwards)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hullscan.image.layers import LayerScan, Scanner
from hullscan.image.model import Image, ImageConfig, LayerInfo


@dataclass(frozen=True)
class ScannedImage:
    reference: str
    config: ImageConfig
    layers: tuple[LayerInfo, ...]
    scans: tuple[LayerScan, ...]  # one per layer, in order; fewer when a layer was bad
    digest: str | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)


def scan_image(image: Image, scanner: Scanner) -> ScannedImage:
    """Scan the layers of an image whose blobs can be opened one by one (registry, OCI folder),
    verifying each blob's digest. A bad layer stops the walk there: what came before is kept."""
    scans: list[LayerScan] = []
    problems: list[str] = []
    for layer in image.layers:
        label = f"layer {layer.index + 1} ({layer.digest[:19]})"
        try:
            stream = image.open_layer(layer)
        except Exception as exc:  # ImageError from the source; one line
            problems.append(f"{label}: {exc}")
            break
        with stream:
            scan = scanner.scan_tar(stream, layer.index, label)
        if image.verify_digests and layer.digest and scan.digest != layer.digest:
            problems.append(f"{label}: digest mismatch: the manifest says {layer.digest[:19]}…, "
                            f"the blob is {scan.digest[:19]}…; layers from here on are not used")
            break
        scans.append(scan)
        if not scan.complete:
            break
    return ScannedImage(image.reference, image.config, image.layers, tuple(scans),
                        image.digest, tuple(problems))
