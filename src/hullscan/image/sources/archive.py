"""`docker-archive:PATH` (`docker save`, plain or gzip, the legacy layout with manifest.json and
Docker >= 25's OCI layout inside the tar) and `oci:ARCHIVE.tar`: read in ONE pass, so a pipe
from `docker save` works as well as a file. Small JSON members (manifests, configs, index) are
kept; every member that is a layer is scanned as it goes by; afterwards the manifest says which
scans are the image's layers, in which order, and what their digests must be."""

from __future__ import annotations

import io
import posixpath
import re
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from hullscan.image.layers import (
    CHUNK,
    LayerProblem,
    LayerScan,
    Prefixed,
    Scanner,
    iter_members,
    open_tar,
)
from hullscan.image.manifest import (
    MAX_JSON,
    check_digest,
    diff_ids,
    layer_infos,
    load_json,
    parse_config,
    resolve_index,
)
from hullscan.image.model import ImageError
from hullscan.image.sources.base import ScannedImage

_BLOB = re.compile(r"^blobs/sha256/([0-9a-f]{64})$")
_TAR_MAGIC = b"ustar"
_NAMED_JSON = ("manifest.json", "index.json", "repositories", "oci-layout")
# every JSON-looking member is kept until the manifest says which matter: at most this much
MAX_JSON_TOTAL = 8 * MAX_JSON


def _looks_like_layer(name: str, head: bytes) -> bool:
    if head.startswith((b"\x1f\x8b", b"\x28\xb5\x2f\xfd")):
        return True
    if len(head) >= 262 and head[257:262] == _TAR_MAGIC:
        return True
    return name.endswith("layer.tar")


def read_archive(stream: IO[bytes], reference: str, scanner: Scanner,
                 tag: str | None = None, platform: str | None = None) -> ScannedImage:
    jsons: dict[str, bytes] = {}
    scans: dict[str, LayerScan] = {}
    kept = 0
    try:
        # not tarfile's "r|*": its gzip stream buffer decompresses a whole read at once (a
        # bomb) and copies what remains on every header (quadratic on many small members)
        with open_tar(stream, "") as tar:
            for member in iter_members(tar):
                if not member.isreg():
                    continue
                name = posixpath.normpath(member.name.lstrip("/"))
                if name.startswith("../"):
                    continue
                extracted = tar.extractfile(member)
                if extracted is None:
                    continue
                head = extracted.read(512)
                if head[:1] in (b"{", b"[") or name in _NAMED_JSON:
                    if member.size > MAX_JSON and name in _NAMED_JSON[:2]:
                        raise ImageError(f"{reference}: {name}: larger than {MAX_JSON:,} bytes")
                    if member.size <= MAX_JSON:
                        kept += member.size
                        if kept > MAX_JSON_TOTAL:
                            raise ImageError(f"{reference}: more than {MAX_JSON_TOTAL:,} bytes "
                                             "of JSON documents: not an image archive")
                        jsons[name] = head + extracted.read(MAX_JSON)
                    continue
                if _looks_like_layer(name, head):
                    label = f"{reference}: {name}"
                    blob = io.BufferedReader(Prefixed(head, extracted), CHUNK)
                    scans[name] = scanner.scan_tar(blob, -1, label)
    except (tarfile.TarError, EOFError, OSError, LayerProblem) as exc:
        if not jsons:
            raise ImageError(f"{reference}: not a readable image archive: {exc}") from None
        truncated = f"{reference}: the archive is truncated or corrupt: {exc}"
    else:
        truncated = ""
    image = _resolve(jsons, scans, reference, tag, platform)
    if truncated:
        image = ScannedImage(image.reference, image.config, image.layers, image.scans,
                             image.digest, (*image.problems, truncated))
    return image


def _resolve(jsons: Mapping[str, bytes], scans: Mapping[str, LayerScan], reference: str,
             tag: str | None, platform: str | None) -> ScannedImage:
    if "manifest.json" in jsons:
        entries = load_json(jsons["manifest.json"], f"{reference}: manifest.json")
        if not isinstance(entries, list) or not entries:
            raise ImageError(f"{reference}: manifest.json lists no image")
        entry = entries[0]
        if tag:
            tagged = [e for e in entries if any(t == tag or t.endswith(f":{tag}")
                                                for t in e.get("RepoTags") or [])]
            if not tagged:
                raise ImageError(f"{reference}: no image tagged {tag!r} in the archive")
            entry = tagged[0]
        config_path = str(entry.get("Config") or "")
        layer_paths = [str(p) for p in entry.get("Layers") or []]
        config_data = _member(jsons, config_path, reference, "configuration")
        _verify_named_blob(config_path, config_data, reference)
        config = parse_config(load_json(config_data, f"{reference}: {config_path}"))
        diff = diff_ids(config)
        descriptors: list[dict[str, Any]] = []
        for i, path in enumerate(layer_paths):
            match = _BLOB.match(path)
            digest = f"sha256:{match.group(1)}" if match else (diff[i] if i < len(diff) else "")
            descriptors.append({"digest": digest, "mediaType": "", "path": path})
        return _assemble(reference, config, descriptors, scans, None)
    if "index.json" in jsons:
        index = load_json(jsons["index.json"], f"{reference}: index.json")
        digest, config, listed = resolve_index(
            index, lambda blob, what: _blob(jsons, blob, reference, what), reference, tag,
            platform,
        )
        layers = [dict(d, path=f"blobs/sha256/{str(d.get('digest', ''))[7:]}") for d in listed]
        return _assemble(reference, config, layers, scans, digest)
    raise ImageError(f"{reference}: neither manifest.json nor index.json: not an image archive")


def _member(jsons: Mapping[str, bytes], path: str, reference: str, what: str) -> bytes:
    data = jsons.get(posixpath.normpath(path)) if path else None
    if data is None:
        raise ImageError(f"{reference}: the manifest names a {what} {path!r} that is not in "
                         "the archive")
    return data


def _blob(jsons: Mapping[str, bytes], digest: str, reference: str, what: str) -> bytes:
    if not digest.startswith("sha256:"):
        raise ImageError(f"{reference}: {what} digest {digest!r} is not sha256")
    data = _member(jsons, f"blobs/sha256/{digest[7:]}", reference, what)
    check_digest(data, digest, f"{reference}: {what} {digest[:19]}")
    return data


def _verify_named_blob(path: str, data: bytes, reference: str) -> None:
    match = _BLOB.match(posixpath.normpath(path))
    legacy = re.match(r"^([0-9a-f]{64})\.json$", path)
    found = match or legacy
    if found:
        check_digest(data, f"sha256:{found.group(1)}", f"{reference}: configuration")


def _assemble(reference: str, config: Any, descriptors: list[dict[str, Any]],
              scans: Mapping[str, LayerScan], digest: str | None) -> ScannedImage:
    layers = layer_infos(config, descriptors)
    ordered: list[LayerScan] = []
    problems: list[str] = []
    for layer, descriptor in zip(layers, descriptors, strict=True):
        path = posixpath.normpath(str(descriptor["path"]))
        label = f"layer {layer.index + 1} ({path})"
        scan = scans.get(path)
        if scan is None:
            problems.append(f"{reference}: {label}: the manifest names a blob that is not in "
                            "the archive; layers from here on are not used")
            break
        if layer.digest and scan.digest != layer.digest:
            problems.append(f"{reference}: {label}: digest mismatch: the manifest says "
                            f"{layer.digest[:19]}…, the blob is {scan.digest[:19]}…; layers "
                            "from here on are not used")
            break
        ordered.append(scan)
        if not scan.complete:
            break
    return ScannedImage(reference, config, layers, tuple(ordered), digest, tuple(problems))


def open_archive(path: Path, reference: str, scanner: Scanner, tag: str | None = None,
                 platform: str | None = None) -> ScannedImage:
    try:
        with open(path, "rb") as handle:
            return read_archive(handle, reference, scanner, tag, platform)
    except OSError as exc:  # opening it (read errors inside become problems)
        raise ImageError(f"{reference}: cannot read {path}: {exc.strerror or exc}") from None
