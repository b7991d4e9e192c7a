"""hullscan image against the floor of listing the same layers with `tar -tzf`, in the same run.

Builds, in a temporary folder, a large image as a docker-archive with the OCI layout inside
(Docker >= 25's `docker save`): five gzip layers (base OS with a dpkg status of 400 packages,
apt packages, pip dist-info folders, node_modules, the application), tens of thousands of files,
about --size-mb MiB uncompressed; file contents are seeded random bytes (binaries) and random
text (compressible like source), so gzip costs what it costs on a real image. Then measures:

  (a) the floor: `tar -tzf BLOB` for each layer blob (the blob files the archive was built
      from, byte for byte its members; written before anything is timed), summed;
  (b) `hullscan image docker-archive:PATH --offline --format json -o /dev/null` (a subprocess;
      median of --runs) and its peak RSS (getrusage(RUSAGE_CHILDREN) in a small parent);
  (c) matching 1,000 Debian:12 packages against a 50,000-record local OSV database
      (records from benchmarks/osv.py plus Debian:12 ones) with hullscan.vuln.engine.audit.
      The image scan in (b) uses this database too.

Targets: (b) <= 1.5x (a); peak RSS < 300 MB; (c) under 1 s. The ratio target is for the full
size: in a --quick run hullscan's fixed costs (start-up, matching some 2,000 packages, writing
670 findings: about half a second) dominate.

Usage: python benchmarks/image.py [--size-mb N] [--quick] [--runs N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from hullscan.vuln.engine import audit
from hullscan.vuln.interface import PackageRef
from hullscan.vuln.local_db import LocalDatabase

SEED = 20261122
MIB = 1024 * 1024
DEB_PACKAGES = 400
PY_PACKAGES = 150
NODE_PACKAGES = 1500
RECORDS = 50_000
DEB_RECORDS = 20_000  # of RECORDS; the rest are benchmarks/osv.py's records
DEB_NAMES = 8000  # Debian source package names the Debian records spread over
MATCHED = 1000
_WORDS = ("ssl", "z", "xml2", "curl", "ffi", "gmp", "idn", "krb5", "lzma", "pcre", "png",
          "sqlite", "tiff", "uuid", "yaml", "zstd", "acl", "attr", "bz2", "cap", "crypt")
_ALPHABET = b"etaoinshrdlucmfwypvbgkjqxz      etaoin\n\n.,;()=_{}ETAOINS0123456789"
_TEXT = bytes(_ALPHABET[i % len(_ALPHABET)] for i in range(256))
_OS_RELEASE = (b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
               b'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\n'
               b'ID=debian\n')


def _load_osv_benchmark() -> ModuleType:
    """benchmarks/osv.py (its synthetic records), imported by path."""
    path = Path(__file__).with_name("osv.py")
    spec = importlib.util.spec_from_file_location("hullscan_bench_osv", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def deb_name(index: int) -> str:
    return f"lib{_WORDS[index % len(_WORDS)]}{index}"


def deb_version(minor: int) -> str:
    return f"1.{minor}-1"


# --- the image ------------------------------------------------------------------------------


class _HashingWriter(io.RawIOBase):
    """Counts and hashes what is written through it."""

    def __init__(self, target: IO[bytes]) -> None:
        self._target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.digest.update(view)
        self.size += len(view)
        self._target.write(view)
        return len(view)


@dataclass(frozen=True)
class BuiltLayer:
    path: Path  # the gzip blob
    digest: str  # sha256 of the blob
    diff_id: str  # sha256 of the uncompressed tar
    size: int  # blob bytes
    uncompressed: int
    files: int
    created_by: str


class _LayerWriter:
    def __init__(self, tar: tarfile.TarFile, rng: random.Random, budget: int) -> None:
        self.tar = tar
        self.rng = rng
        self.budget = budget
        self.written = 0
        self.files = 0

    def add(self, path: str, data: bytes, mode: int = 0o644) -> None:
        info = tarfile.TarInfo(path)
        info.size = len(data)
        info.mode = mode
        info.mtime = 1_700_000_000
        self.tar.addfile(info, io.BytesIO(data))
        self.written += len(data) + 512
        self.files += 1

    def text(self, size: int) -> bytes:
        return self.rng.randbytes(size).translate(_TEXT)

    def binary(self, size: int) -> bytes:
        return self.rng.randbytes(size)

    def fill(self, prefix: str, share: float = 1.0) -> None:
        """Random files under `prefix` until this layer's budget (times `share`) is used:
        mostly small text files, some medium ones, a few large binaries."""
        target = self.budget * share
        n = 0
        while self.written < target:
            left = int(target - self.written)
            roll = self.rng.random()
            if roll < 0.003:
                size, binary, mode = self.rng.randrange(MIB, 16 * MIB), True, 0o755
            elif roll < 0.13:
                size, binary, mode = self.rng.randrange(12_000, 256_000), roll < 0.07, 0o644
            else:
                size, binary, mode = self.rng.randrange(512, 12_000), False, 0o644
            size = max(1, min(size, left))
            data = self.binary(size) if binary else self.text(size)
            self.add(f"{prefix}/d{n // 200:03d}/f{n:06d}.{'so' if binary else 'txt'}", data,
                     mode)
            n += 1


def _dpkg_status(indexes: range) -> bytes:
    stanzas = []
    for i in indexes:
        name = deb_name(i)
        source = f"Source: {deb_name(i + 10_000)}\n" if i % 3 == 0 else ""
        stanzas.append(f"Package: {name}\nStatus: install ok installed\nPriority: optional\n"
                       f"Architecture: amd64\n{source}Version: {deb_version(i % 25)}\n"
                       f"Description: package {name}\n synthetic\n")
    return "\n".join(stanzas).encode()


def _base(w: _LayerWriter) -> None:
    w.add("etc/os-release", _OS_RELEASE)
    w.add("etc/debian_version", b"12.5\n")
    w.add("var/lib/dpkg/status", _dpkg_status(range(0, 250)))
    for i in range(250):
        w.add(f"var/lib/dpkg/info/{deb_name(i)}.list",
              "".join(f"/usr/lib/{deb_name(i)}/f{j}\n" for j in range(20)).encode())
        w.add(f"usr/share/doc/{deb_name(i)}/copyright", w.text(1500))
    w.fill("usr/lib/x86_64-linux-gnu")


def _apt(w: _LayerWriter) -> None:
    w.add("var/lib/dpkg/status", _dpkg_status(range(0, DEB_PACKAGES)))
    for i in range(250, DEB_PACKAGES):
        w.add(f"var/lib/dpkg/info/{deb_name(i)}.list",
              "".join(f"/usr/lib/{deb_name(i)}/f{j}\n" for j in range(20)).encode())
        w.add(f"usr/share/doc/{deb_name(i)}/copyright", w.text(1500))
    w.fill("usr/lib/apt-installed")


def _pip(w: _LayerWriter) -> None:
    site = "usr/local/lib/python3.11/site-packages"
    for i in range(PY_PACKAGES):
        name, version = f"package-{i}", f"1.{i % 25}.0"
        module = name.replace("-", "_")
        info = f"{site}/{module}-{version}.dist-info"
        w.add(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                                  f"Summary: synthetic\n\n".encode() + w.text(2000))
        files = [f"{module}/__init__.py", f"{module}/core.py", f"{module}/util.py"]
        w.add(f"{info}/RECORD", "".join(f"{f},sha256=x,100\n" for f in files).encode())
        w.add(f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\n")
        w.add(f"{info}/INSTALLER", b"pip\n")
        for file in files:
            w.add(f"{site}/{file}", w.text(w.rng.randrange(500, 20_000)))
    w.fill(f"{site}/bigpkg")


def _npm(w: _LayerWriter) -> None:
    for i in range(NODE_PACKAGES):
        name = f"package-{i}" if i % 10 else f"@scope{i % 7}/package-{i}"
        folder = f"app/node_modules/{name}"
        manifest = {"name": name, "version": f"1.{i % 25}.0", "main": "index.js",
                    "license": "MIT", "description": "synthetic"}
        w.add(f"{folder}/package.json", json.dumps(manifest, indent=2).encode())
        w.add(f"{folder}/index.js", w.text(w.rng.randrange(300, 6000)))
        w.add(f"{folder}/lib/impl.js", w.text(w.rng.randrange(300, 12_000)))
    w.fill("app/node_modules/.cache")


def _app(w: _LayerWriter) -> None:
    w.add("app/package.json", b'{"name": "app", "version": "1.0.0", "private": true}')
    w.fill("app/dist")


LAYERS: tuple[tuple[str, float, Callable[[_LayerWriter], None]], ...] = (
    ("/bin/sh -c #(nop) ADD file:rootfs.tar.gz in /", 0.15, _base),
    ("RUN /bin/sh -c apt-get update && apt-get install -y ...", 0.20, _apt),
    ("RUN /bin/sh -c pip install -r requirements.txt", 0.20, _pip),
    ("RUN /bin/sh -c npm ci", 0.25, _npm),
    ("COPY . /app", 0.20, _app),
)


def build_layer(folder: Path, index: int, total: int) -> BuiltLayer:
    created_by, share, fill = LAYERS[index]
    path = folder / f"layer{index}.tar.gz"
    rng = random.Random(SEED + index)
    with open(path, "wb") as raw:
        compressed = _HashingWriter(raw)
        with gzip.GzipFile(fileobj=compressed, mode="wb", compresslevel=6, mtime=0) as gz:
            uncompressed = _HashingWriter(gz)  # type: ignore[arg-type]
            with tarfile.open(fileobj=uncompressed, mode="w|", format=tarfile.PAX_FORMAT,
                              bufsize=MIB) as tar:
                writer = _LayerWriter(tar, rng, int(total * share))
                fill(writer)
    return BuiltLayer(path, "sha256:" + compressed.digest.hexdigest(),
                      "sha256:" + uncompressed.digest.hexdigest(), compressed.size,
                      uncompressed.size, writer.files, created_by)


def build_archive(folder: Path, total: int) -> tuple[Path, list[BuiltLayer]]:
    with ProcessPoolExecutor(max_workers=min(len(LAYERS), os.cpu_count() or 1)) as pool:
        layers = list(pool.map(build_layer, [folder] * len(LAYERS), range(len(LAYERS)),
                               [total] * len(LAYERS)))
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"User": "app", "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]},
        "history": [{"created_by": layer.created_by} for layer in layers],
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": _sha(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer.digest, "size": layer.size} for layer in layers],
    }).encode()
    index = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": _sha(manifest), "size": len(manifest),
                       "annotations": {"io.containerd.image.name": "docker.io/library/big:1",
                                       "org.opencontainers.image.ref.name": "1"}}],
    }).encode()
    legacy = json.dumps([{"Config": f"blobs/sha256/{_sha(config)[7:]}",
                          "RepoTags": ["big:1"],
                          "Layers": [f"blobs/sha256/{layer.digest[7:]}" for layer in layers]}])
    archive = folder / "image.tar"
    with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
        for layer in layers:
            tar.add(layer.path, arcname=f"blobs/sha256/{layer.digest[7:]}")
        for data in (config, manifest):
            _add_bytes(tar, f"blobs/sha256/{_sha(data)[7:]}", data)
        _add_bytes(tar, "index.json", index)
        _add_bytes(tar, "manifest.json", legacy.encode())
        _add_bytes(tar, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
    return archive, layers


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1_700_000_000
    tar.addfile(info, io.BytesIO(data))


# --- the OSV database -----------------------------------------------------------------------


def debian_record(index: int, rng: random.Random) -> dict[str, object]:
    fixed = rng.randrange(1, 20)
    return {
        "schema_version": "1.6.0",
        "id": f"DEBIAN-CVE-2026-{index:05d}",
        "modified": "2026-01-01T00:00:00Z",
        "aliases": [f"CVE-2026-{index + 50_000:05d}"],
        "summary": f"synthetic Debian advisory {index}",
        "affected": [{
            "package": {"ecosystem": "Debian:12", "name": deb_name(rng.randrange(DEB_NAMES))},
            "ranges": [{"type": "ECOSYSTEM", "events": [
                {"introduced": "0"}, {"fixed": deb_version(fixed)}]}],
            "ecosystem_specific": {"urgency": rng.choice(["low", "medium", "high"])},
        }],
    }


def records(osv: ModuleType, rng: random.Random) -> Iterator[dict[str, Any]]:
    for index in range(DEB_RECORDS):
        yield debian_record(index, rng)
    for index in range(RECORDS - DEB_RECORDS):
        yield osv.record(index, rng)


def build_database(folder: Path) -> tuple[Path, float]:
    osv = _load_osv_benchmark()
    rng = random.Random(SEED)
    dump = folder / "all.zip"
    with zipfile.ZipFile(dump, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in records(osv, rng):
            archive.writestr(f"{item['id']}.json", json.dumps(item))
    path = folder / "osv.sqlite3"
    database = LocalDatabase(path)
    start = time.perf_counter()
    database.import_path(dump)
    imported = time.perf_counter() - start
    database.close()
    return path, imported


def match_debian(path: Path) -> tuple[float, int]:
    rng = random.Random(SEED + 1)
    refs = list(dict.fromkeys(
        PackageRef("Debian:12", deb_name(rng.randrange(DEB_NAMES)), deb_version(rng.randrange(25)))
        for _ in range(MATCHED * 2)))[:MATCHED]
    database = LocalDatabase(path)
    try:
        start = time.perf_counter()
        result = audit(refs, database)
        elapsed = time.perf_counter() - start
    finally:
        database.close()
    return elapsed, len(result.advisories)


# --- measuring ------------------------------------------------------------------------------


# A tiny parent for each measured run: a child's ru_maxrss starts from its parent's RSS at
# fork (the kernel carries the high-water mark over exec), and this script's own is large.
_MEASURE = """\
import os, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(f"measured {elapsed} {peak}", file=sys.stderr)
sys.exit(code)
"""


def run_measured(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, int]:
    """Seconds, exit code and peak RSS (bytes) of one run of `argv`."""
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *argv], cwd=cwd, env=env,
                          stderr=subprocess.PIPE, text=True, check=False)
    lines = proc.stderr.strip().splitlines()
    _label, elapsed, peak = lines[-1].split()
    if proc.returncode not in (0, 1):
        print(f"  ! exited {proc.returncode}: {' '.join(lines[:-1])[:500]}")
    return float(elapsed), proc.returncode, int(peak)


def floor(blobs: list[Path]) -> float:
    start = time.perf_counter()
    for blob in blobs:
        subprocess.run(["tar", "-tzf", str(blob)], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="uncompressed image size")
    parser.add_argument("--quick", action="store_true", help="a 64 MiB smoke run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    size_mb = 64 if args.quick else args.size_mb
    with tempfile.TemporaryDirectory(prefix="hullscan-bench-image-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)

        db_path, imported = build_database(folder)
        print(f"OSV database: {RECORDS:,} records ({DEB_RECORDS:,} Debian:12) imported in "
              f"{imported:.1f} s")
        match_times = []
        for _ in range(3):
            elapsed, vulnerable = match_debian(db_path)
            match_times.append(elapsed)
        match = statistics.median(match_times)
        print(f"(c) match {MATCHED:,} Debian:12 packages: median {match:.3f} s "
              f"({vulnerable} vulnerable) "
              f"[{'ok' if match < 1 else 'OVER'} target < 1 s]")

        start = time.perf_counter()
        archive, layers = build_archive(folder, size_mb * MIB)
        built = time.perf_counter() - start
        uncompressed = sum(layer.uncompressed for layer in layers)
        compressed = sum(layer.size for layer in layers)
        files = sum(layer.files for layer in layers)
        print(f"image: {len(layers)} gzip layers, {files:,} files, "
              f"{uncompressed / MIB:,.0f} MiB uncompressed, {compressed / MIB:,.0f} MiB "
              f"compressed; archive {archive.stat().st_size / MIB:,.0f} MiB; built in "
              f"{built:.0f} s")

        blobs = [layer.path for layer in layers]
        env = dict(os.environ, HULLSCAN_OSV_DB=str(db_path), HULLSCAN_OFFLINE="1", CI="true")
        env.pop("NO_COLOR", None)
        result = folder / "result.json"
        base = [sys.executable, "-m", "hullscan", "image", f"docker-archive:{archive}",
                "--offline", "--format", "json"]
        run_measured([*base, "-o", str(result)], folder, env)  # warm-up, and the result
        floors, scans, peaks = [], [], []
        for _ in range(args.runs):  # alternate, so both see the same machine state
            floors.append(floor(blobs))
            elapsed, _code, peak = run_measured([*base, "-o", os.devnull], folder, env)
            scans.append(elapsed)
            peaks.append(peak)
        report = json.loads(result.read_text("utf-8"))
        checker = report["checkers"][0]
        print(f"hullscan found {report['summary']['findings']:,} findings, read "
              f"{checker['files_scanned']:,} entries; successful={checker['successful']}")
        f, s, peak = statistics.median(floors), statistics.median(scans), max(peaks)
        print(f"(a) floor, tar -tzf per blob: median {f:.2f} s  "
              f"({', '.join(f'{x:.2f}' for x in floors)})")
        print(f"(b) hullscan image:          median {s:.2f} s  "
              f"({', '.join(f'{x:.2f}' for x in scans)}); peak RSS {peak / MIB:.0f} MiB")
        ratio = s / f
        print(f"ratio {ratio:.2f}x [{'ok' if ratio <= 1.5 else 'OVER'} target <= 1.5x]; "
              f"peak RSS {peak / MIB:.0f} MiB [{'ok' if peak < 300e6 else 'OVER'} "
              f"target < 300 MB]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
