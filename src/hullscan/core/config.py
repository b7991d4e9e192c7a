""".hullscan.yaml: read with ruamel.yaml, validated against the JSON Schema shipped in the package.

Every error names the file, the line and the key. ruamel.yaml and jsonschema are imported only when
a configuration file exists, so a hook run without one starts fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from hullscan.core.errors import ConfigError
from hullscan.core.model import Severity

CONFIG_NAME = ".hullscan.yaml"
DEFAULT_MAX_FILE_SIZE = 1024 * 1024


@dataclass(frozen=True)
class IgnoreEntry:
    reason: str
    rule: str | None = None
    fingerprint: str | None = None
    paths: tuple[str, ...] = ()
    expires: dt.date | None = None
    line: int | None = None

    def describe(self) -> str:
        what = self.rule or f"fingerprint {self.fingerprint}"
        return f"ignore entry for {what}"


@dataclass(frozen=True)
class CheckerConfig:
    enabled: bool = True
    disable_rules: frozenset[str] = frozenset()
    # checker-specific keys (e.g. checkers.code.exclude_tests), as validated by the schema
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Config:
    path: str | None = None  # the file it came from (as given or found), None for defaults
    fail_on: str = "high"
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    trusted_registries: tuple[str, ...] | None = None
    severity: Mapping[str, Severity] = field(default_factory=dict)
    ignore: tuple[IgnoreEntry, ...] = ()
    checkers: Mapping[str, CheckerConfig] = field(default_factory=dict)
    # what an inline suppression a pull request adds does: require-reason, block or allow
    inline_ignores: str = "require-reason"
    # 1-based line of every key and list item, by dotted path ("exclude.0",
    # "checkers.deps.enabled"), so a finding about a setting can point at it
    lines: Mapping[str, int] = field(default_factory=dict, hash=False, compare=False)
    source: bytes | None = field(default=None, hash=False, compare=False)  # the file's bytes

    def line(self, *path: str | int) -> int:
        """The line of the deepest recorded key along `path` (1 when none)."""
        parts = [str(p) for p in path]
        while parts:
            found = self.lines.get(".".join(parts))
            if found is not None:
                return found
            parts.pop()
        return 1

    def checker(self, name: str) -> CheckerConfig:
        return self.checkers.get(name, CheckerConfig())

    @property
    def threshold(self) -> Severity | None:
        return None if self.fail_on == "never" else Severity.parse(self.fail_on)


def find_config(root: Path) -> Path | None:
    candidate = root / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(path: Path | None, display: str | None = None) -> Config:
    """Load and validate a configuration file; `None` gives the defaults."""
    if path is None:
        return Config()
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(name, f"cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(name, "not UTF-8 text") from exc
    data = _parse_yaml(text, name)
    if data is None:
        return Config(path=name, source=raw)
    _lower_severities(data)
    _validate(data, name)
    return replace(_build(data, name), lines=_all_lines(data), source=raw)


def _lower_severities(data: Any) -> None:
    """Severity names are case-insensitive, as on the command line: `fail_on: HIGH`, a
    `severity:` override `MEDIUM`."""
    if not isinstance(data, MutableMapping):
        return
    if isinstance(data.get("fail_on"), str):
        data["fail_on"] = data["fail_on"].strip().lower()
    overrides = data.get("severity")
    if isinstance(overrides, MutableMapping):
        for rule, value in list(overrides.items()):
            if isinstance(value, str):
                overrides[rule] = value.strip().lower()


def _all_lines(data: Any) -> dict[str, int]:
    """The line of every mapping key and list item of ruamel's round-trip `data`."""
    out: dict[str, int] = {}

    def walk(node: Any, prefix: str) -> None:
        lc = getattr(node, "lc", None)
        if isinstance(node, Mapping):
            for key in node:
                path = f"{prefix}{key}"
                with contextlib.suppress(KeyError, TypeError, AttributeError):
                    out[path] = lc.key(key)[0] + 1 if lc is not None else 1
                walk(node[key], f"{path}.")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                path = f"{prefix}{index}"
                with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
                    out[path] = lc.item(index)[0] + 1 if lc is not None else 1
                walk(item, f"{path}.")

    walk(data, "")
    return out


def _parse_yaml(text: str, name: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(name, f"invalid YAML: {reason}", line) from exc
    except YAMLError as exc:
        raise ConfigError(name, f"invalid YAML: {_one_line(str(exc))}") from exc


def _plain(node: Any) -> Any:
    """ruamel's round-trip nodes as plain JSON-like data (dates become ISO strings)."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_plain(v) for v in node]
    if isinstance(node, (dt.date, dt.datetime)):
        return node.isoformat()[:10]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return str(node)


def _schema() -> dict[str, Any]:
    text = resources.files("hullscan").joinpath("schema/config.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _validate(data: Any, name: str) -> None:
    import jsonschema

    plain = _plain(data)
    validator = jsonschema.Draft202012Validator(
        _schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(plain), key=lambda e: (list(map(str, e.path)), e.message))
    if not errors:
        return
    error = errors[0]
    path = list(error.absolute_path)
    key = ".".join(str(p) for p in path) or "(top level)"
    line = _line_of(data, path)
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = set(error.schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in allowed]
        if unknown:
            bad = unknown[0]
            line = _line_of(data, [*path, bad])
            where = f"{key}.{bad}" if path else bad
            hint = ", ".join(sorted(allowed)) if allowed else ""
            suffix = f" (allowed: {hint})" if hint else ""
            raise ConfigError(name, f"{where}: unknown key{suffix}", line)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        raise ConfigError(name, f"{key}: {error.message}", line)
    if error.validator == "anyOf" and path and path[0] == "ignore":
        raise ConfigError(name, f"{key}: an ignore entry needs 'rule' or 'fingerprint'", line)
    if error.validator == "pattern" and path and path[-1] == "expires":
        raise ConfigError(name, f"{key}: expected a date YYYY-MM-DD", line)
    raise ConfigError(name, f"{key}: {_one_line(error.message)}", line)


def _line_of(data: Any, path: Sequence[Any]) -> int | None:
    """1-based line of the deepest node along `path` that ruamel recorded a position for."""
    node = data
    line: int | None = None
    lc = getattr(node, "lc", None)
    if lc is not None and getattr(lc, "line", None) is not None:
        line = lc.line + 1
    for part in path:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, Mapping) and part in node:
                if lc is not None:
                    line = lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                if lc is not None:
                    line = lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgG]i?[bB]?|[bB])?\s*$")
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(value: int | str) -> int:
    if isinstance(value, int):
        return value
    m = _SIZE.match(value)
    if not m:
        raise ValueError(f"not a size: {value!r}")
    unit = (m.group(2) or "").lower()[:1]
    return int(float(m.group(1)) * _UNITS[unit])


def _build(data: Any, name: str) -> Config:
    plain = _plain(data)
    ignores: list[IgnoreEntry] = []
    for i, entry in enumerate(plain.get("ignore", [])):
        expires = None
        if "expires" in entry:
            try:
                expires = dt.date.fromisoformat(entry["expires"])
            except ValueError:
                line = _line_of(data, ["ignore", i, "expires"])
                raise ConfigError(name, f"ignore.{i}.expires: not a valid date", line) from None
        ignores.append(
            IgnoreEntry(
                reason=entry["reason"],
                rule=entry.get("rule"),
                fingerprint=entry.get("fingerprint"),
                paths=tuple(entry.get("paths", ())),
                expires=expires,
                line=_line_of(data, ["ignore", i]),
            )
        )
    checkers = {
        checker: CheckerConfig(
            enabled=settings.get("enabled", True),
            disable_rules=frozenset(settings.get("disable_rules", ())),
            options={k: v for k, v in settings.items() if k not in ("enabled", "disable_rules")},
        )
        for checker, settings in plain.get("checkers", {}).items()
    }
    registries = plain.get("trusted_registries")
    return Config(
        path=name,
        fail_on=plain.get("fail_on", "high"),
        exclude=tuple(plain.get("exclude", ())),
        max_file_size=parse_size(plain.get("max_file_size", DEFAULT_MAX_FILE_SIZE)),
        trusted_registries=tuple(registries) if registries is not None else None,
        severity={rule: Severity.parse(sev) for rule, sev in plain.get("severity", {}).items()},
        ignore=tuple(ignores),
        checkers=checkers,
        inline_ignores=plain.get("inline_ignores", "require-reason"),
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())
