"""Images built by the tests, without Docker: layers as tar archives written in memory, and the
three ways images are stored on disk (docker save's legacy layout, Docker >= 25's OCI layout in
a tar, an OCI layout folder)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Layer:
    """Files of one layer. Values: bytes (a file), ("symlink", target), ("hardlink", target),
    ("dir",), ("whiteout",) for path `.../.wh.name` style deletion of `path`, ("opaque",) for
    the folder `path`, ("device",), or (bytes, mode) for a file with a mode."""

    files: Mapping[str, Any]
    created_by: str = ""
    gzip: bool = True

    def tar(self) -> bytes:
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path, value in self.files.items():
                add(tar, path, value)
        return out.getvalue()

    def blob(self) -> bytes:
        raw = self.tar()
        return gzip.compress(raw, mtime=0) if self.gzip else raw


def add(tar: tarfile.TarFile, path: str, value: Any) -> None:
    info = tarfile.TarInfo(path)
    info.mtime = 0
    if isinstance(value, bytes | str):
        data = value.encode() if isinstance(value, str) else value
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
        return
    kind = value[0]
    if isinstance(kind, bytes):
        info.size = len(kind)
        info.mode = value[1]
        tar.addfile(info, io.BytesIO(kind))
    elif kind == "symlink":
        info.type = tarfile.SYMTYPE
        info.linkname = value[1]
        tar.addfile(info)
    elif kind == "hardlink":
        info.type = tarfile.LNKTYPE
        info.linkname = value[1]
        tar.addfile(info)
    elif kind == "dir":
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
    elif kind == "whiteout":
        folder, _, name = path.rpartition("/")
        info.name = f"{folder}/.wh.{name}" if folder else f".wh.{name}"
        tar.addfile(info, io.BytesIO(b""))
    elif kind == "opaque":
        info.name = f"{path.rstrip('/')}/.wh..wh..opq"
        tar.addfile(info, io.BytesIO(b""))
    elif kind == "device":
        info.type = tarfile.CHRTYPE
        info.devmajor, info.devminor = 1, 3
        tar.addfile(info)
    else:
        raise ValueError(kind)


@dataclass
class TestImage:
    __test__ = False  # not a pytest test class
    layers: Sequence[Layer]
    config: dict[str, Any] = field(default_factory=dict)  # the "config" section (User, Env...)
    os: str = "linux"
    architecture: str = "amd64"
    empty_history: Sequence[tuple[int, str]] = ()  # (position, created_by) of empty layers

    def blobs(self) -> list[bytes]:
        return [layer.blob() for layer in self.layers]

    def config_json(self, blobs: Sequence[bytes] | None = None) -> bytes:
        blobs = blobs if blobs is not None else self.blobs()
        diff_ids = [sha(layer.tar()) for layer in self.layers]
        history: list[dict[str, Any]] = [
            {"created_by": layer.created_by or f"layer {i}"} for i, layer in enumerate(self.layers)
        ]
        for position, created_by in self.empty_history:
            history.insert(position, {"created_by": created_by, "empty_layer": True})
        document = {
            "architecture": self.architecture, "os": self.os,
            "config": self.config, "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }
        return json.dumps(document, sort_keys=True).encode()

    def manifest(self, blobs: Sequence[bytes], config: bytes) -> bytes:
        document = {
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": sha(config), "size": len(config)},
            "layers": [{"mediaType": LAYER_GZIP if layer.gzip else LAYER_TAR,
                        "digest": sha(blob), "size": len(blob)}
                       for layer, blob in zip(self.layers, blobs, strict=True)],
        }
        return json.dumps(document, sort_keys=True).encode()


def _write_tar(path: Path, members: Sequence[tuple[str, bytes]], compress: bool = False) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    data = raw.getvalue()
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)


def docker_archive_legacy(image: TestImage, path: Path, tag: str = "app:1",
                          compress: bool = False, corrupt_layer: int | None = None,
                          drop_layer: int | None = None) -> Path:
    """`docker save` before Docker 25: <id>/layer.tar (uncompressed), <config>.json,
    manifest.json with Config/RepoTags/Layers; layers stored before the manifest."""
    tars = [layer.tar() for layer in image.layers]
    config = image.config_json()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    members: list[tuple[str, bytes]] = []
    layer_paths = []
    for i, data in enumerate(tars):
        folder = hashlib.sha256(data).hexdigest()
        layer_paths.append(f"{folder}/layer.tar")
        if i == drop_layer:
            continue
        if i == corrupt_layer:
            data = data[:-1024] + b"\x01" * 1024
        members.append((f"{folder}/layer.tar", data))
    members.append((config_name, config))
    members.append(("manifest.json", json.dumps(
        [{"Config": config_name, "RepoTags": [tag], "Layers": layer_paths}]).encode()))
    _write_tar(path, members, compress)
    return path


def docker_archive_oci(image: TestImage, path: Path, tag: str = "app:1") -> Path:
    """`docker save` of Docker >= 25: an OCI layout (blobs/sha256, index.json, oci-layout)
    plus the legacy manifest.json pointing into blobs/."""
    blobs = image.blobs()
    config = image.config_json(blobs)
    manifest = image.manifest(blobs, config)
    members = [(f"blobs/sha256/{sha(b)[7:]}", b) for b in (*blobs, config, manifest)]
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": sha(manifest), "size": len(manifest),
                            "annotations": {
                                "io.containerd.image.name": f"docker.io/{tag}",
                                "org.opencontainers.image.ref.name": tag.split(":")[-1]}}]}
    members += [
        ("index.json", json.dumps(index).encode()),
        ("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'),
        ("manifest.json", json.dumps([{
            "Config": f"blobs/sha256/{sha(config)[7:]}", "RepoTags": [tag],
            "Layers": [f"blobs/sha256/{sha(b)[7:]}" for b in blobs]}]).encode()),
    ]
    _write_tar(path, members)
    return path


def oci_layout(images: Mapping[str, TestImage], folder: Path, platforms: bool = False,
               attestation: bool = False) -> Path:
    """An OCI image layout folder; one manifest per tag, or (platforms=True) one index whose
    manifests are the images keyed "os/arch[/variant]", optionally with an attestation."""
    blobs_dir = folder / "blobs" / "sha256"
    blobs_dir.mkdir(parents=True, exist_ok=True)

    def put(data: bytes) -> str:
        digest = sha(data)
        (blobs_dir / digest[7:]).write_bytes(data)
        return digest

    descriptors = []
    for key, image in images.items():
        blobs = image.blobs()
        for blob in blobs:
            put(blob)
        config = image.config_json(blobs)
        put(config)
        manifest = image.manifest(blobs, config)
        descriptor: dict[str, Any] = {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": put(manifest), "size": len(manifest),
        }
        if platforms:
            os_name, arch, *variant = key.split("/")
            descriptor["platform"] = {"os": os_name, "architecture": arch}
            if variant:
                descriptor["platform"]["variant"] = variant[0]
        else:
            descriptor["annotations"] = {"org.opencontainers.image.ref.name": key}
        descriptors.append(descriptor)
    if attestation:
        statement = b'{"_type": "https://in-toto.io/Statement/v0.1"}'
        descriptors.append({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": put(statement), "size": len(statement),
            "platform": {"os": "unknown", "architecture": "unknown"},
            "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
        })
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": descriptors}
    if platforms:
        nested = json.dumps(index).encode()
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
                                "digest": put(nested), "size": len(nested),
                                "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
    (folder / "index.json").write_text(json.dumps(index))
    (folder / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return folder


def dpkg_status(*packages: tuple[str, str, str | None]) -> str:
    """A dpkg status file: (name, version, source or None)."""
    stanzas = []
    for name, version, source in packages:
        lines = [f"Package: {name}", "Status: install ok installed", "Architecture: amd64",
                 f"Version: {version}"]
        if source:
            lines.insert(2, f"Source: {source}")
        stanzas.append("\n".join(lines))
    return "\n\n".join(stanzas) + "\n"


def apk_installed(*packages: tuple[str, str, str, Sequence[str]]) -> str:
    """lib/apk/db/installed: (name, version, origin, files)."""
    stanzas = []
    for name, version, origin, files in packages:
        lines = ["C:Q1abc=", f"P:{name}", f"V:{version}", "A:x86_64", f"o:{origin}"]
        folders: dict[str, list[str]] = {}
        for file in files:
            folder, _, base = file.rpartition("/")
            folders.setdefault(folder, []).append(base)
        for folder, bases in folders.items():
            lines.append(f"F:{folder}")
            lines += [f"R:{b}" for b in bases]
        stanzas.append("\n".join(lines))
    return "\n\n".join(stanzas) + "\n"


DEBIAN_OS_RELEASE = (
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
    'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'
)
ALPINE_OS_RELEASE = (
    'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n'
)
