"""The secrets checker: which files it reads and how it reports what it skipped."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from hullscan.checkers.interface import CheckContext
from hullscan.checkers.secrets.detect_secrets import DETECT_SECRETS_URI, Engine, ds_version
from hullscan.checkers.secrets.rules import NAME
from hullscan.checkers.secrets.scan import scan_text
from hullscan.core.model import CheckerResult, Finding, Notification, NotificationLevel, ToolInfo
from hullscan.core.textfile import UnreadableFile
from hullscan.discover import Target

log = logging.getLogger("hullscan.secrets")

_BINARY_WORDS = (
    ".png .jpg .jpeg .gif .bmp .ico .webp .tif .tiff .psd .pdf .zip .gz .tgz .bz2 .xz .zst .7z "
    ".rar .tar .jar .war .ear .class .so .dylib .dll .exe .o .a .lib .bin .iso .dmg .img .whl "
    ".egg .pyc .pyo .woff .woff2 .ttf .otf .eot .mp3 .mp4 .m4a .mov .avi .webm .wav .flac .ogg "
    ".wasm .sqlite .sqlite3 .db .parquet .avro .pkl .npy .npz .h5 .onnx .pt .deb .rpm .apk "
    ".keystore .jks .p12 .pfx .der"
)
BINARY_EXTENSIONS = frozenset(_BINARY_WORDS.split())
LOCK_FILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock",
    "Pipfile.lock", "uv.lock", "pdm.lock", "Cargo.lock", "Gemfile.lock", "composer.lock",
    "go.sum", "packages.lock.json", "gradle.lockfile", "mix.lock", "pubspec.lock",
    "flake.lock", "bun.lock", "conda-lock.yml", "Podfile.lock",
})
MINIFIABLE = frozenset({".js", ".mjs", ".cjs", ".css", ".map"})
MINIFIED_LINE = 1000


class SecretsChecker:
    name = NAME
    description = "Secrets in any text file: detect-secrets' plugins and hullscan's patterns"

    def applies(self, target: Target) -> bool:
        return target.path.suffix.lower() not in BINARY_EXTENSIONS

    def check(self, targets: Sequence[Target], context: CheckContext) -> CheckerResult:
        notes: list[Notification] = []
        successful = True
        tools: list[ToolInfo] = []
        engine: Engine | None = None
        try:
            engine = Engine()
            tools.append(ToolInfo("detect-secrets", ds_version(), DETECT_SECRETS_URI))
        except Exception as exc:  # missing or broken: hullscan's own patterns still run
            successful = False
            notes.append(Notification(
                NAME, NotificationLevel.ERROR,
                f"detect-secrets is not usable ({type(exc).__name__}: install hullscan[secrets]);"
                " only hullscan's own patterns ran",
            ))
        skipped: dict[str, list[str]] = {}
        findings: list[Finding] = []
        scanned: list[str] = []
        for target in targets:
            reason, text = _load(target, context.config.max_file_size)
            if reason is not None:
                skipped.setdefault(reason, []).append(target.rel)
                continue
            assert text is not None
            scanned.append(target.rel)
            findings.extend(scan_text(target.rel, text, engine))
        for reason, paths in skipped.items():
            level = NotificationLevel.WARNING if reason == "unreadable" else NotificationLevel.NOTE
            plural = "" if len(paths) == 1 else "s"
            noun = {"binary": "binary file", "lock": "lock file", "minified": "minified file",
                    "size": "file over the size limit", "encoding": "non-UTF-8 file",
                    "unreadable": "unreadable file"}[reason]
            noun = noun.replace("file", f"file{plural}", 1)
            sample = ", ".join(paths[:3]) + (", ..." if len(paths) > 3 else "")
            notes.append(Notification(NAME, level, f"skipped {len(paths)} {noun} ({sample})"))
        return CheckerResult(
            checker=NAME, findings=tuple(findings), notifications=tuple(notes),
            successful=successful, tools=tuple(tools),
            files_scanned=len(scanned), paths=tuple(scanned),  # skipped files are not checked
        )


def _load(target: Target, max_size: int) -> tuple[str | None, str | None]:
    """(skip reason, None) or (None, text)."""
    path: Path = target.path
    name = path.name
    suffix = path.suffix.lower()
    if suffix in BINARY_EXTENSIONS:
        return "binary", None
    if name in LOCK_FILES or name.endswith(".lock"):
        return "lock", None
    if name.endswith((".min.js", ".min.css", ".min.mjs")):
        return "minified", None
    try:
        text = target.text(max_size)
    except UnreadableFile as exc:
        return exc.why, None
    if suffix in MINIFIABLE and any(len(line) > MINIFIED_LINE for line in text.splitlines()):
        return "minified", None
    return None, text
