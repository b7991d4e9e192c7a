"""Hostile images through the real CLI: entries that leave the image root, links and hard links
to the host, devices and fifos, decompression bombs, digests that do not match, missing blobs,
truncated layers and archives, a million tiny files, index loops and huge manifests.

Each run must end with a clear one-line error or notification (never a traceback), in bounded
time and memory, write nothing outside the files asked for (no entry is ever extracted), and
keep the findings already made (a key in layer 1 is reported when layer 2 is corrupt)."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import random
import secrets
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Repo, Run, hullscan_exe, run_subprocess
from image_builder import (
    DEBIAN_OS_RELEASE,
    Layer,
    TestImage,
    docker_archive_legacy,
    docker_archive_oci,
    dpkg_status,
    oci_layout,
    sha,
)

from hullscan.image.manifest import MAX_JSON
from hullscan.vuln.local_db import LocalDatabase

Hullscan = Callable[..., Run]

KEY = (b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
       b"-----END OPENSSH PRIVATE KEY-----\n")
DOCKERFILE = "FROM debian:12\nRUN add-key\nRUN add-more\nUSER app\n"
SECONDS = 30.0  # an in-process run, whatever the image does
PEAK_BYTES = 300 * 1000 * 1000
OPENSSL = ("libssl3", "3.0.11-1~deb12u2", "openssl")
# --- what a subprocess run costs: peak RSS of hullscan alone, printed last on stderr
MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
    "print(f'peak-rss {peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


# --- building hostile layers and archives -----------------------------------------------------


def entry(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", link: str = "",
          mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)  # written as given: no leading / stripped, no .. resolved
    info.type = kind
    info.mode = mode
    info.mtime = 0
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = 8, 0
    return info, data


@dataclass
class Entries(Layer):
    """A layer of raw tar entries, exactly as given."""

    entries: Sequence[tuple[tarfile.TarInfo, bytes]] = ()

    def tar(self) -> bytes:
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for info, data in self.entries:
                tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
        return out.getvalue()


def key_layer() -> Layer:
    return Layer({"etc/os-release": DEBIAN_OS_RELEASE, "root/.ssh/id_rsa": KEY}, "RUN add-key")


def tar_bytes(members: Iterable[tuple[str, bytes]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def write_tar(path: Path, members: Iterable[tuple[str, bytes]]) -> Path:
    path.write_bytes(tar_bytes(members))
    return path


def cut_inside(path: Path, members: Sequence[tuple[str, bytes]], name: str) -> Path:
    """The archive of `members`, cut half way through the data of member `name`."""
    whole = tar_bytes(members)
    data = dict(members)[name]
    path.write_bytes(whole[:whole.index(data) + len(data) // 2])
    return path


def ustar_header(name: bytes, size: int, kind: bytes = tarfile.REGTYPE) -> bytes:
    header = bytearray(512)
    header[:len(name)] = name
    header[100:108] = b"0000644\0"
    header[108:124] = b"0000000\0" * 2
    header[124:136] = b"%011o\0" % size
    header[136:148] = b"00000000000\0"
    header[148:156] = b" " * 8
    header[156:157] = kind
    header[257:265] = b"ustar\x0000"
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def write_tiny_files_tar(path: Path, count: int, last: Sequence[tuple[str, bytes]] = ()
                         ) -> None:
    """A gzip tar of `count` zero-byte files, written as a stream of ready-made headers
    (tarfile would take longer than the scan), then `last` as ordinary files."""
    template = bytearray(ustar_header(b"", 0))
    template[148:156] = b" " * 8
    base = sum(template)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1,
                                                 mtime=0) as out:
        batch: list[bytes | bytearray] = []
        for i in range(count):
            name = b"srv/data/d%04d/f%07d" % (i // 1000, i)
            header = template.copy()
            header[:len(name)] = name
            header[148:156] = b"%06o\0 " % (base + sum(name))
            batch.append(header)
            if len(batch) == 8192:
                out.write(b"".join(batch))
                batch.clear()
        out.write(b"".join(batch))
        for name_text, data in last:
            out.write(ustar_header(name_text.encode(), len(data)) + data
                      + b"\0" * (-len(data) % 512))
        out.write(b"\0" * 1024)


def oci_members(image: TestImage, stored: dict[int, bytes] | None = None,
                blobs: list[bytes] | None = None) -> tuple[list[tuple[str, bytes]],
                                                            list[tuple[str, bytes]]]:
    """The metadata and the layer members of Docker >= 25's `docker save` (OCI layout plus
    manifest.json). `blobs` are the layer blobs the manifest names (default: the image's);
    `stored` replaces what is stored under a layer's name."""
    blobs = blobs if blobs is not None else image.blobs()
    config = image.config_json(blobs)
    manifest = image.manifest(blobs, config)
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": sha(manifest), "size": len(manifest)}]}
    legacy = [{"Config": f"blobs/sha256/{sha(config)[7:]}", "RepoTags": ["app:1"],
               "Layers": [f"blobs/sha256/{sha(b)[7:]}" for b in blobs]}]
    metadata = [
        (f"blobs/sha256/{sha(config)[7:]}", config),
        (f"blobs/sha256/{sha(manifest)[7:]}", manifest),
        ("index.json", json.dumps(index).encode()),
        ("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'),
        ("manifest.json", json.dumps(legacy).encode()),
    ]
    layers = [(f"blobs/sha256/{sha(b)[7:]}", (stored or {}).get(i, b))
              for i, b in enumerate(blobs)]
    return metadata, layers


def image_with(*layers: Layer) -> TestImage:
    return TestImage(list(layers), config={"User": "app"})


# --- running and checking ---------------------------------------------------------------------


def tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.relative_to(folder).parts[0] != ".git"}


def scan(hullscan: Hullscan, repo: Repo, ref: str = "docker-archive:app.tar", *,
         sarif: bool = False, seconds: float = SECONDS) -> Run:
    """The image subcommand as a user runs it, checked for what every hostile image must
    leave true: no traceback, bounded time, one line per notification, no file written in
    the repository but the outputs asked for."""
    before = tree(repo.root)
    args = ["image", ref, "--dockerfile", "Dockerfile", "--offline", "--format", "json"]
    if sarif:
        args += ["--sarif", "out.sarif"]
    start = time.monotonic()
    run = hullscan(*args, cwd=repo.root)
    elapsed = time.monotonic() - start
    assert elapsed < seconds, f"{ref}: {elapsed:.1f} s"
    assert "Traceback" not in run.err, run.err
    assert tree(repo.root) == before | ({"out.sarif"} if sarif else set())
    for note in run.json()["notifications"]:
        assert "\n" not in note["message"] and len(note["message"]) < 1000, note
    return run


def error_lines(run: Run) -> list[str]:
    return [line for line in run.err.splitlines() if line.startswith("hullscan: error")]


def one_error(run: Run, *phrases: str) -> str:
    """The stderr line that says it all (each phrase in the same line)."""
    matching = [line for line in error_lines(run) if all(p in line for p in phrases)]
    assert matching, (phrases, run.err)
    return matching[0]


def rules(run: Run) -> dict[str, dict[str, Any]]:
    return {f["rule"]["id"]: f for f in run.json()["findings"]}


def assert_key_kept(run: Run) -> None:
    key = rules(run)["HS303"]
    assert key["properties"]["imagePath"] == "root/.ssh/id_rsa"
    assert key["properties"]["layer"] == 1


def measured(repo: Repo, *args: str, timeout: float = 120) -> tuple[Run, float, int]:
    """`python -m hullscan image ...` in a subprocess (as `scan` checks it): its run, seconds
    and peak RSS. Time is bounded by the subprocess's timeout (a hang fails the test); the
    seconds are printed, not asserted: speed targets live in benchmarks/, and a timed
    assertion fails on a loaded machine."""
    before = tree(repo.root)
    start = time.monotonic()
    run = run_subprocess([sys.executable, "-c", MEASURE, *hullscan_exe(), "image", *args],
                         cwd=repo.root, timeout=timeout)
    elapsed = time.monotonic() - start
    last = run.err.rstrip().splitlines()[-1]
    assert last.startswith("peak-rss "), run.err
    assert "Traceback" not in run.err, run.err
    assert tree(repo.root) == before
    print(f"{args[0]}: {elapsed:.1f} s, peak RSS {int(last.split()[1]) / 1e6:.0f} MB")
    return run, elapsed, int(last.split()[1])


@pytest.fixture
def repo_with_dockerfile(repo: Repo) -> Repo:
    repo.write("Dockerfile", DOCKERFILE)
    repo.commit()
    return repo


@pytest.fixture
def osv_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Debian:12 records for openssl (the images' libssl3) and for a package only a host file
    read by mistake would list."""
    folder = tmp_path / "osv"
    folder.mkdir()
    for osv_id, name in (("DSA-7001-1", "openssl"), ("DSA-7002-1", "baitpkg")):
        record = {"schema_version": "1.6.0", "id": osv_id, "modified": "2026-01-01T00:00:00Z",
                  "summary": f"{name} issue",
                  "affected": [{"package": {"ecosystem": "Debian:12", "name": name},
                                "ranges": [{"type": "ECOSYSTEM", "events": [
                                    {"introduced": "0"}, {"fixed": "9.9.9-1"}]}]}]}
        (folder / f"{osv_id}.json").write_text(json.dumps(record))
    path = tmp_path / "osv.sqlite3"
    database = LocalDatabase(path)
    database.import_path(folder)
    database.close()
    monkeypatch.setenv("HULLSCAN_OSV_DB", str(path))
    return path


# --- entry names and links ----------------------------------------------------------------------


def test_absolute_entry_paths_are_read_inside_the_image(
    hullscan: Hullscan, repo_with_dockerfile: Repo, osv_db: Path
) -> None:
    repo = repo_with_dockerfile
    layer = Layer({"/etc/os-release": DEBIAN_OS_RELEASE,
                   "/var/lib/dpkg/status": dpkg_status(OPENSSL),
                   "//root/.ssh/id_rsa": KEY}, "RUN add-key")
    docker_archive_oci(image_with(layer), repo.root / "app.tar")
    run = scan(hullscan, repo)
    assert run.code == 1
    found = rules(run)
    assert found["DSA-7001-1"]["properties"]["ecosystem"] == "Debian:12"  # os-release was read
    assert found["DSA-7001-1"]["properties"]["imagePath"] == "var/lib/dpkg/status"
    assert found["HS303"]["properties"]["imagePath"] == "root/.ssh/id_rsa"
    assert not error_lines(run)
    assert "no ecosystem" not in run.err


def test_entries_that_leave_the_root_are_skipped_and_nothing_is_written(
    hullscan: Hullscan, repo_with_dockerfile: Repo, tmp_path: Path
) -> None:
    repo = repo_with_dockerfile
    token = secrets.token_hex(6)
    escaping = [f"../../escape-{token}.txt", f"app/../../escape-{token}-2.txt",
                f"./../escape-{token}-3", "../" * 12 + f"tmp/escape-{token}-deep",
                f"..\\..\\escape-{token}-4"]
    layer = Entries({}, "RUN add-key", entries=[
        *(entry(name, data=b"escaped\n") for name in escaping),
        entry(f"/tmp/escape-{token}", data=b"inside the image\n"),  # absolute: inside
        entry(f"../../escape-{token}-dir", tarfile.DIRTYPE, mode=0o755),
        entry("root/.ssh/id_rsa", data=KEY),
    ])
    docker_archive_oci(image_with(layer), repo.root / "app.tar")
    run = scan(hullscan, repo, sarif=True)
    assert run.code == 3  # fail closed: a hostile layer is an error, not a clean scan
    line = one_error(run, "leaves the image root: ignored", f"escape-{token}")
    assert "blobs/sha256/" in line  # names the layer
    one_error(run, "6 entries leave the image root")
    assert_key_kept(run)
    leftovers = [p for p in tmp_path.parent.rglob(f"*{token}*")]
    for base in {Path("/tmp"), Path(tempfile.gettempdir()), tmp_path.parent.parent, Path("/"),
                 Path.home()}:
        leftovers += [p for p in base.iterdir() if token in p.name]
    assert not leftovers


def test_links_to_the_host_are_never_followed(
    hullscan: Hullscan, repo_with_dockerfile: Repo, tmp_path: Path, osv_db: Path
) -> None:
    repo = repo_with_dockerfile
    bait = tmp_path / "bait"  # what following a link on this machine would read
    bait.mkdir()
    (bait / "status").write_text(dpkg_status(("baitpkg", "1.0-1", None)))
    (bait / "id_rsa").write_bytes(KEY)
    climb = "../" * 20
    layer = Entries({}, "RUN add-key", entries=[
        entry("usr/lib/os-release", data=DEBIAN_OS_RELEASE.encode()),
        # resolved in the image as in a chroot: ../../.. stops at the image root
        entry("etc/os-release", tarfile.SYMTYPE, link=f"{climb}usr/lib/os-release"),
        entry("var/lib/dpkg/status.d/libssl3", data=dpkg_status(OPENSSL).encode()),
        entry("var/lib/dpkg/status", tarfile.SYMTYPE, link=f"{bait}/status"),
        entry("var/lib/dpkg/status.d/bait", tarfile.SYMTYPE, link=f"{climb}{bait}/status"),
        entry("root/.ssh/id_rsa", tarfile.SYMTYPE, link=f"{bait}/id_rsa"),
        entry("etc/passwd", tarfile.SYMTYPE, link="../../../etc/passwd"),
        entry("etc/shadow", tarfile.SYMTYPE, link="/etc/shadow"),
        entry("root/.ssh/id_ed25519", tarfile.LNKTYPE, link="../../../etc/passwd"),
        entry("root/.ssh/id_ecdsa", tarfile.LNKTYPE, link="/etc/shadow"),
        entry("root/.aws/credentials", tarfile.LNKTYPE, link=f"{climb}{bait}/id_rsa"),
        entry("var/lib/dpkg/status.d/hard", tarfile.LNKTYPE, link=f"{bait}/status"),
    ])
    docker_archive_oci(image_with(layer), repo.root / "app.tar")
    run = scan(hullscan, repo, sarif=True)
    assert run.code == 0, run.err  # the advisory has no severity: under fail_on
    # the image's own package, matched as Debian 12: etc/os-release resolved in the image
    assert set(rules(run)) == {"DSA-7001-1"}  # no baitpkg, no key: nothing read from the host
    assert "baitpkg" not in run.out + run.err
    assert "root:" not in run.out + run.err
    assert not error_lines(run)
    assert run.json()["checkers"][0]["successful"]


def test_devices_and_fifos_are_ignored(
    hullscan: Hullscan, repo_with_dockerfile: Repo, osv_db: Path
) -> None:
    repo = repo_with_dockerfile
    layer = Entries({}, "RUN add-key", entries=[
        entry("dev/null", tarfile.CHRTYPE, mode=0o666),
        entry("dev/sda", tarfile.BLKTYPE, mode=0o660),
        # named like files inventories read: nothing is opened or read
        entry("etc/os-release", tarfile.CHRTYPE),
        entry("var/lib/dpkg/status", tarfile.FIFOTYPE),
        entry("root/.ssh/id_rsa", tarfile.FIFOTYPE, mode=0o600),
        entry("root/.ssh/id_ed25519", tarfile.BLKTYPE, mode=0o600),
        entry("usr/lib/os-release", data=DEBIAN_OS_RELEASE.encode()),
    ])
    docker_archive_oci(image_with(layer), repo.root / "app.tar")
    run = scan(hullscan, repo, sarif=True)
    assert run.code == 0, run.err
    assert not run.json()["findings"]
    assert not error_lines(run)
    assert run.json()["checkers"][0]["files_scanned"] == 7


# --- bombs and sizes ----------------------------------------------------------------------------


def test_decompression_bomb_stops_at_the_configured_size(
    hullscan: Hullscan, repo_with_dockerfile: Repo
) -> None:
    repo = repo_with_dockerfile
    repo.write(".hullscan.yaml", "checkers:\n  image:\n    max_layer_size: 1MB\n")
    repo.commit()
    bomb = Layer({"opt/zeros.bin": b"\0" * (64 * 1024 * 1024),
                  "root/.ssh/id_ed25519": KEY}, "RUN add-more")
    image = image_with(key_layer(), bomb)
    blobs = image.blobs()
    assert len(blobs[1]) < 1024 * 1024  # a small gzip ...
    docker_archive_oci(image, repo.root / "app.tar")
    run = scan(hullscan, repo, seconds=15)
    assert run.code == 3
    line = one_error(run, "expands past 1,048,576 bytes", "max_layer_size")
    assert "blobs/sha256/" in line
    assert_key_kept(run)  # ... and the layer before it still counts
    assert "id_ed25519" not in run.out  # nothing after the cap is trusted


@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.GNUTYPE_LONGNAME])
def test_huge_tar_metadata_entry_is_refused_in_bounded_memory(
    repo_with_dockerfile: Repo, tmp_path: Path, kind: bytes
) -> None:
    """A pax header (or GNU long name) claiming 512 MiB: tarfile would read it whole into
    memory (a 500 KB gzip costing gigabytes); Go's archive/tar refuses over 1 MiB, so do we."""
    repo = repo_with_dockerfile
    size = 512 * 1024 * 1024
    blob = tmp_path / "bomb.tar.gz"
    with open(blob, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(ustar_header(b"././@PaxHeader" if kind == tarfile.XHDTYPE
                               else b"././@LongLink", size, kind))
        zeros = b"\0" * (8 * 1024 * 1024)
        for _ in range(size // len(zeros)):
            out.write(zeros)
        out.write(ustar_header(b"etc/hostname", 0) + b"\0" * 1024)
    first = key_layer()
    image = image_with(first, Layer({}, "RUN add-more"))
    stored = blob.read_bytes()
    metadata, layers = oci_members(image, blobs=[first.blob(), stored])
    write_tar(repo.root / "app.tar", [*layers, *metadata])
    run, _, peak = measured(repo, "docker-archive:app.tar", "--dockerfile", "Dockerfile",
                                  "--offline", "--format", "json")
    assert run.code == 3, run.err
    assert "tar metadata entry" in run.err and f"{size:,} bytes" in run.err
    assert_key_kept(run)
    assert peak < PEAK_BYTES, f"peak RSS {peak / 1e6:.0f} MB"


def test_a_million_tiny_files_in_bounded_time_and_memory(
    repo_with_dockerfile: Repo, tmp_path: Path, osv_db: Path
) -> None:
    repo = repo_with_dockerfile
    count = 1_000_000
    blob_path = tmp_path / "tiny.tar.gz"
    write_tiny_files_tar(blob_path, count, last=[("root/.ssh/id_rsa", KEY)])
    blob = blob_path.read_bytes()
    first = Layer({"etc/os-release": DEBIAN_OS_RELEASE}, "RUN add-key")
    image = image_with(first, Layer({}, "RUN add-more"))
    metadata, layers = oci_members(image, blobs=[first.blob(), blob])
    write_tar(repo.root / "app.tar", [*metadata, *layers])
    run, _, peak = measured(repo, "docker-archive:app.tar", "--dockerfile", "Dockerfile",
                                  "--offline", "--format", "json", timeout=300)
    assert run.code == 1, run.err  # the key after a million entries is found
    key = rules(run)["HS303"]
    assert key["properties"] == {"image": "docker-archive:app.tar",
                                 "imagePath": "root/.ssh/id_rsa", "layer": 2}
    assert run.json()["checkers"][0]["files_scanned"] == count + 2
    assert peak < PEAK_BYTES, f"peak RSS {peak / 1e6:.0f} MB"


def test_many_whiteouts_over_many_packages_stay_linear(
    hullscan: Hullscan, repo_with_dockerfile: Repo, tmp_path: Path
) -> None:
    """Whiteouts are applied by looking up each kept path's folders, not by comparing every
    whiteout with every path (200,000 x 20,000 would take minutes)."""
    repo = repo_with_dockerfile
    packages = {f"app/node_modules/p{i}/package.json":
                json.dumps({"name": f"p{i}", "version": "1.0.0"}) for i in range(20_000)}
    blob_path = tmp_path / "whiteouts.tar.gz"
    write_tiny_files_tar(blob_path, 0, last=[
        *((f"tmp/gone{i}/.wh.x{i}", b"") for i in range(200_000)),
        ("app/node_modules/p7/.wh.package.json", b""),
        ("app/.wh.none", b""),
    ])
    first, second = Layer(packages, "RUN add-key"), Layer({}, "RUN add-more")
    image = image_with(first, second)
    metadata, layers = oci_members(image, blobs=[first.blob(), blob_path.read_bytes()])
    write_tar(repo.root / "app.tar", [*metadata, *layers])
    run = scan(hullscan, repo, seconds=45)
    assert run.code == 0, run.err
    assert run.json()["checkers"][0]["files_scanned"] == 20_000 + 200_002


def test_whiteouts_by_folder_lookup_remove_what_the_pairwise_rule_removes() -> None:
    """The lookup above against the rule it replaces: a whiteout removes its path and all
    below it, an opaque marker everything below its folder (the root's: everything)."""
    from hullscan.image.layers import LayerScan, compose
    from hullscan.image.model import FileVersion

    rng = random.Random(5)

    def path() -> str:
        return "/".join(rng.choice(["a", "b", "ab", ".wh"]) for _ in range(rng.randint(1, 4)))

    for _ in range(300):
        scans: list[LayerScan] = []
        expected: set[str] = set()
        for index in range(rng.randint(1, 4)):
            scan = LayerScan()
            scan.whiteouts = [path() for _ in range(rng.randint(0, 3))]
            scan.opaque = [path() if rng.random() > 0.1 else "" for _ in range(rng.randint(0, 2))]
            for name in {path() for _ in range(rng.randint(0, 8))}:
                scan.files[name] = FileVersion(name, index, b"")
            expected = {p for p in expected
                        if not any(p == w or p.startswith(w + "/") for w in scan.whiteouts)
                        and not any(not f or p.startswith(f + "/") for f in scan.opaque)}
            expected |= set(scan.files)
            scans.append(scan)
        assert compose(scans).view.final_paths() == sorted(expected)


# --- digests, missing blobs, truncation -------------------------------------------------------


def corrupt_second_layer_image() -> TestImage:
    return image_with(key_layer(), Layer({"var/lib/dpkg/status": dpkg_status(OPENSSL),
                                          "root/.ssh/id_ed25519": KEY}, "RUN add-more"))


def test_layer_digest_mismatch_names_the_layer_and_keeps_earlier_findings(
    hullscan: Hullscan, repo_with_dockerfile: Repo
) -> None:
    repo = repo_with_dockerfile
    image = corrupt_second_layer_image()
    other = Layer({"root/.ssh/id_ed25519": KEY, "etc/motd": "swapped"}).blob()
    metadata, layers = oci_members(image, stored={1: other})
    write_tar(repo.root / "app.tar", [*layers, *metadata])
    run = scan(hullscan, repo, sarif=True)
    assert run.code == 3
    digest = sha(image.blobs()[1])
    line = one_error(run, "layer 2 (", "digest mismatch", digest[:19])
    assert sha(other)[:19] in line
    assert_key_kept(run)
    assert "id_ed25519" not in run.out  # the swapped layer is not used

    folder = oci_layout({"1": image}, repo.root.parent / "layout")
    (folder / "blobs" / "sha256" / digest[7:]).write_bytes(other)
    run = scan(hullscan, repo, f"oci:{folder}:1")
    assert run.code == 3
    one_error(run, "layer 2 (sha256:", "digest mismatch")
    assert_key_kept(run)


@pytest.mark.parametrize("layout", ["legacy", "oci-in-tar"])
def test_manifest_naming_a_missing_blob(
    hullscan: Hullscan, repo_with_dockerfile: Repo, layout: str
) -> None:
    repo = repo_with_dockerfile
    image = corrupt_second_layer_image()
    if layout == "legacy":
        docker_archive_legacy(image, repo.root / "app.tar", drop_layer=1)
    else:
        metadata, layers = oci_members(image)
        write_tar(repo.root / "app.tar", [layers[0], *metadata])
    run = scan(hullscan, repo)
    assert run.code == 3
    one_error(run, "layer 2 (", "names a blob that is not in the archive")
    assert_key_kept(run)


def test_truncated_gzip_layer(hullscan: Hullscan, repo_with_dockerfile: Repo) -> None:
    """A layer whose gzip stream stops half way, named by its own digest (so only the
    truncation tells): one line, the layer before it kept."""
    repo = repo_with_dockerfile
    image = corrupt_second_layer_image()
    blobs = image.blobs()
    cut = blobs[1][: len(blobs[1]) // 2]
    metadata, layers = oci_members(image, blobs=[blobs[0], cut])
    write_tar(repo.root / "app.tar", [*layers, *metadata])
    run = scan(hullscan, repo)
    assert run.code == 3
    line = one_error(run, "truncated gzip data")
    assert "blobs/sha256/" + sha(cut)[7:] in line
    assert_key_kept(run)


def test_truncated_outer_archive(hullscan: Hullscan, repo_with_dockerfile: Repo) -> None:
    repo = repo_with_dockerfile
    image = corrupt_second_layer_image()
    metadata, layers = oci_members(image)
    # metadata first, then cut inside layer 2: what was read is reported, the rest is an error
    cut_inside(repo.root / "app.tar", [*metadata, *layers], layers[1][0])
    run = scan(hullscan, repo)
    assert run.code == 3
    one_error(run, "layer 2 (")
    one_error(run, "docker-archive:app.tar: the archive is truncated or corrupt")
    assert_key_kept(run)
    assert "id_ed25519" not in run.out

    # docker save's order (blobs first, manifests last): nothing to go on, one line
    cut_inside(repo.root / "app.tar", [*layers, *metadata], layers[1][0])
    run = scan(hullscan, repo)
    assert run.code == 3
    assert len(error_lines(run)) == 1
    one_error(run, "docker-archive:app.tar: not a readable image archive")


def test_oci_folder_with_a_missing_blob(hullscan: Hullscan, repo_with_dockerfile: Repo) -> None:
    repo = repo_with_dockerfile
    image = corrupt_second_layer_image()
    folder = oci_layout({"1": image}, repo.root.parent / "layout")
    blobs = folder / "blobs" / "sha256"
    (blobs / sha(image.blobs()[1])[7:]).unlink()
    run = scan(hullscan, repo, f"oci:{folder}:1")
    assert run.code == 3
    one_error(run, "layer 2 (sha256:", "blob", "is missing")
    assert_key_kept(run)

    config = image.config_json()
    (blobs / sha(config)[7:]).unlink()
    run = scan(hullscan, repo, f"oci:{folder}:1")
    assert run.code == 3
    assert len(error_lines(run)) == 1
    one_error(run, "the configuration blob", "is missing")


# --- manifests ----------------------------------------------------------------------------------


def nested_indexes(put: Callable[[bytes], str], target: str, depth: int) -> str:
    digest = target
    for _ in range(depth):
        index = json.dumps({"schemaVersion": 2,
                            "mediaType": "application/vnd.oci.image.index.v1+json",
                            "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
                                           "digest": digest, "size": 1}]}).encode()
        digest = put(index)
    return digest


def test_index_loops_and_deep_nesting_end_with_one_line(
    hullscan: Hullscan, repo_with_dockerfile: Repo, tmp_path: Path
) -> None:
    repo = repo_with_dockerfile
    folder = oci_layout({"1": image_with(key_layer())}, tmp_path / "layout")
    blobs = folder / "blobs" / "sha256"

    def put(data: bytes) -> str:
        (blobs / sha(data)[7:]).write_bytes(data)
        return sha(data)

    def index_json(digest: str) -> None:
        (folder / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest,
             "size": 1}]}))

    # an index that names itself: stored under the digest it names (which it cannot hash to)
    self_digest = "sha256:" + "ab" * 32
    (blobs / self_digest[7:]).write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": self_digest,
         "size": 1}]}))
    index_json(self_digest)
    run = scan(hullscan, repo, f"oci:{folder}", seconds=10)
    assert run.code == 3
    assert len(error_lines(run)) == 1
    one_error(run, "digest mismatch")

    # a loop of valid digests cannot exist; a long chain of nested indexes is cut short
    image_manifest = next(p for p in blobs.iterdir()
                          if b'"layers"' in p.read_bytes()[:4096])
    index_json(nested_indexes(put, f"sha256:{image_manifest.name}", 50))
    run = scan(hullscan, repo, f"oci:{folder}", seconds=10)
    assert run.code == 3
    assert len(error_lines(run)) == 1
    one_error(run, "nested too deeply")

    # the same in an archive (oci: tar, no manifest.json)
    members = [(p.relative_to(folder).as_posix(), p.read_bytes())
               for p in sorted(folder.rglob("*")) if p.is_file()]
    write_tar(repo.root / "app.tar", members)
    run = scan(hullscan, repo, "oci:app.tar", seconds=10)
    assert run.code == 3
    one_error(run, "nested too deeply")


def test_huge_manifests_are_refused(hullscan: Hullscan, repo_with_dockerfile: Repo,
                                    tmp_path: Path) -> None:
    repo = repo_with_dockerfile
    image = image_with(key_layer())
    padding = " " * (MAX_JSON + 1024)
    metadata, layers = oci_members(image)
    legacy = json.loads(dict(metadata)["manifest.json"])
    huge = json.dumps(legacy)[:-1] + padding + "]"
    members = [(n, huge.encode() if n == "manifest.json" else d) for n, d in metadata]
    write_tar(repo.root / "app.tar", [*layers, *members])
    run = scan(hullscan, repo)
    assert run.code == 3
    assert len(error_lines(run)) == 1
    one_error(run, "manifest.json", f"larger than {MAX_JSON:,} bytes")

    # an OCI folder: index.json, then a manifest blob
    folder = oci_layout({"1": image}, tmp_path / "layout")
    index = (folder / "index.json").read_text()
    (folder / "index.json").write_text(index[:-1] + padding + "}")
    run = scan(hullscan, repo, f"oci:{folder}")
    assert run.code == 3
    one_error(run, "index.json", f"larger than {MAX_JSON:,} bytes")

    blobs = folder / "blobs" / "sha256"
    manifest = next(p for p in blobs.iterdir() if b'"layers"' in p.read_bytes()[:4096])
    big = manifest.read_text()[:-1] + padding + "}"
    (blobs / sha(big.encode())[7:]).write_text(big)
    document = json.loads(index)
    document["manifests"][0]["digest"] = sha(big.encode())
    (folder / "index.json").write_text(json.dumps(document))
    run = scan(hullscan, repo, f"oci:{folder}:1")
    assert run.code == 3
    one_error(run, f"larger than {MAX_JSON:,} bytes")


def test_many_json_documents_are_bounded(repo_with_dockerfile: Repo) -> None:
    """Each JSON-looking member of an archive is kept until the manifest says which matter:
    40 of 8 MiB each (a few KB of gzip) must not all be held in memory."""
    repo = repo_with_dockerfile
    document = b'{"padding": "' + b" " * (MAX_JSON - 64) + b'"}'
    with tarfile.open(repo.root / "app.tar", "w:gz", compresslevel=1) as tar:
        for i in range(40):
            info = tarfile.TarInfo(f"blobs/sha256/{i:064x}")
            info.size = len(document)
            tar.addfile(info, io.BytesIO(document))
        metadata, layers = oci_members(image_with(key_layer()))
        for name, data in [*layers, *metadata]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert (repo.root / "app.tar").stat().st_size < 2 * 1024 * 1024
    run, _, peak = measured(repo, "docker-archive:app.tar", "--dockerfile", "Dockerfile",
                                  "--offline", "--format", "json")
    assert run.code == 3, run.err
    assert "JSON" in run.err and "Traceback" not in run.err
    assert peak < PEAK_BYTES, f"peak RSS {peak / 1e6:.0f} MB"


def test_an_archive_of_many_members_in_bounded_memory(repo_with_dockerfile: Repo,
                                                     tmp_path: Path) -> None:
    """The archive's own members are not remembered either (400,000 tiny ones before the
    image)."""
    repo = repo_with_dockerfile
    metadata, layers = oci_members(image_with(key_layer()))
    write_tiny_files_tar(repo.root / "app.tar", 400_000, last=[*layers, *metadata])
    run, _, peak = measured(repo, "docker-archive:app.tar", "--dockerfile", "Dockerfile",
                                  "--offline", "--format", "json")
    assert run.code == 1, run.err
    assert_key_kept(run)
    assert peak < 150 * 1000 * 1000, f"peak RSS {peak / 1e6:.0f} MB"


def zstd(data: bytes) -> bytes:
    zstandard = pytest.importorskip("zstandard")  # hullscan[image]
    compressed: bytes = zstandard.ZstdCompressor().compress(data)
    return compressed


COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda data: gzip.compress(data, 1, mtime=0),
    "bzip2": lambda data: bz2.compress(data, 1),
    "xz": lambda data: lzma.compress(data, preset=0),
    "zstd": zstd,
}


@pytest.mark.parametrize("compression", sorted(COMPRESS))
def test_compressed_archives_and_their_truncation(
    hullscan: Hullscan, repo_with_dockerfile: Repo, compression: str, osv_db: Path
) -> None:
    """`docker save | gzip` (or bzip2, xz, zstd, as `docker load` takes them): read; cut
    inside layer 2, what came before is kept."""
    repo = repo_with_dockerfile
    metadata, layers = oci_members(corrupt_second_layer_image())
    packed = COMPRESS[compression](tar_bytes([*metadata, *layers]))
    (repo.root / "app.tar").write_bytes(packed)
    run = scan(hullscan, repo)
    assert run.code == 1, run.err
    assert {f["properties"].get("imagePath") for f in run.json()["findings"]} >= {
        "root/.ssh/id_rsa", "root/.ssh/id_ed25519"}

    cut = tar_bytes([*metadata, *layers])
    cut = cut[:cut.index(layers[1][1]) + len(layers[1][1]) // 2]
    (repo.root / "app.tar").write_bytes(COMPRESS[compression](cut))
    run = scan(hullscan, repo)
    assert run.code == 3
    one_error(run, "layer 2 (")
    one_error(run, "docker-archive:app.tar: the archive is truncated or corrupt")
    assert_key_kept(run)
    assert "id_ed25519" not in run.out


def test_a_compressed_archive_bomb_is_read_a_chunk_at_a_time(repo_with_dockerfile: Repo) -> None:
    """A gzip archive with a 1 GiB member of zeros (5 MB of gzip) before the image: tarfile's
    own gzip stream would decompress each 1 MiB read whole (hundreds of MB at once) and copy
    what is left on every read; it is decompressed and skipped a chunk at a time."""
    repo = repo_with_dockerfile
    size = 1024 * 1024 * 1024
    metadata, layers = oci_members(image_with(key_layer()))
    with open(repo.root / "app.tar", "wb") as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as out:
        out.write(ustar_header(b"padding.bin", size))
        zeros = b"\0" * (8 * 1024 * 1024)
        for _ in range(size // len(zeros)):
            out.write(zeros)
        out.write(tar_bytes([*layers, *metadata]))
    assert (repo.root / "app.tar").stat().st_size < 8 * 1024 * 1024
    run, _, peak = measured(repo, "docker-archive:app.tar", "--dockerfile", "Dockerfile",
                                  "--offline", "--format", "json")
    assert run.code == 1, run.err
    assert_key_kept(run)
    assert peak < PEAK_BYTES, f"peak RSS {peak / 1e6:.0f} MB"


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_oci_layout_blobs_that_are_not_regular_files(hullscan: Hullscan,
                                                     repo_with_dockerfile: Repo,
                                                     target: str) -> None:
    """A layer blob or index.json linked to /dev/zero (or a fifo) would never end: refused."""
    import os

    from image_builder import oci_layout, sha

    repo = repo_with_dockerfile
    image = image_with(key_layer(), Layer({"etc/hostname": "x"}, "RUN echo x"))
    folder = oci_layout({"1": image}, repo.root.parent / "layout")
    blob = folder / "blobs" / "sha256" / sha(image.blobs()[1])[7:]
    blob.unlink()
    if target == "fifo":
        os.mkfifo(blob)
    else:
        blob.symlink_to(target)
    run = scan(hullscan, repo, f"oci:{folder}:1")
    assert run.code == 3
    one_error(run, "layer 2", "is not a regular file")
    assert_key_kept(run)
    (folder / "index.json").unlink()
    (folder / "index.json").symlink_to("/dev/zero")
    run = scan(hullscan, repo, f"oci:{folder}:1")
    assert run.code == 3
    one_error(run, "is not an OCI image layout (no index.json)")
