"""Installed PHP packages: Composer's `vendor/composer/installed.json`, in both shapes (Composer
1: a list of packages; Composer 2: `{"packages": [...]}`), read by the composer.lock reader
(same version rules: a leading `v` dropped, development branches not audited) with the line of
each entry."""

from __future__ import annotations

from hullscan.deps.lockfiles import LockfileError, read_data
from hullscan.deps.lockfiles.composer import read_composer_lock
from hullscan.packages.interface import Extraction, Package, ScanInput, one_line
from hullscan.packages.purl import purl_for

MAX_INSTALLED_BYTES = 16 * 1024 * 1024


class ComposerInstalledExtractor:
    name = "composer-installed"
    max_bytes = MAX_INSTALLED_BYTES
    in_repository = False  # vendor/ is installed output; composer.lock is what the repo pins
    in_image = True

    def file_required(self, path: str, size: int | None = None, mode: int | None = None) -> bool:
        return (path == "vendor/composer/installed.json"
                or path.endswith("/vendor/composer/installed.json")) and (size is None or size > 0)

    def extract(self, scan: ScanInput) -> Extraction:
        if len(scan.data) > self.max_bytes:
            return Extraction(problems=(f"{scan.path}: over {self.max_bytes:,} bytes: not read",))
        data = scan.data.removeprefix(b"\xef\xbb\xbf")
        if data.lstrip()[:1] == b"[":  # Composer 1: the list itself, kept on its lines
            data = b'{"packages": ' + data + b"}"
        try:
            result = read_data(data, read_composer_lock)
        except LockfileError as exc:
            at = f":{exc.line}" if exc.line else ""
            return Extraction(problems=(f"{scan.path}{at}: cannot read: {one_line(exc)}",))
        packages = tuple(
            Package(d.package.name, d.package.version, "Packagist",
                    purl_for("Packagist", d.package.name, d.package.version), scan.path, d.line)
            for d in result.dependencies)
        problems = tuple(f"{scan.path}:{line}: {name} cannot be audited: {reason}"
                         for name, line, reason in (*result.unpinned, *result.unorderable))
        return Extraction(packages, problems)
