"""Baseline files: today's findings, accepted explicitly, so a repository can adopt hullscan
without fixing everything first (`hullscan baseline write`, then `--baseline FILE`).

The file is reviewed like code: JSON with a count per rule and one finding per line, in a stable
order (path, rule, fingerprint), no timestamps. Findings are matched by content fingerprint, so
moving code does not make them new; secrets appear only masked (messages are already masked).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hullscan.core.errors import UsageError
from hullscan.core.model import Finding

BASELINE_VERSION = 1
DEFAULT_BASELINE = ".hullscan-baseline.json"
_KEY = "hullscan_baseline"


def _entry(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule.id,
        "path": finding.location.path,
        "line": finding.location.start_line,
        "severity": finding.severity.value,
        "fingerprint": finding.fingerprint,
        "message": finding.message,
    }


def render_baseline(findings: Iterable[Finding]) -> str:
    """The baseline of these findings (unsuppressed ones: suppressions already say why)."""
    chosen = sorted(
        (f for f in findings if not f.suppressed),
        key=lambda f: (f.location.path, f.rule.id, f.fingerprint),
    )
    counts = Counter(f.rule.id for f in chosen)
    lines = [
        "{",
        f'  "{_KEY}": {BASELINE_VERSION},',
        '  "note": "Findings accepted when hullscan was adopted. They are reported as unchanged '
        'and do not block; fix them and run `hullscan baseline write` again to shrink this '
        'file.",',
        f'  "total": {len(chosen)},',
        '  "counts": ' + json.dumps(dict(sorted(counts.items())), ensure_ascii=False) + ",",
        '  "findings": [',
    ]
    entries = [json.dumps(_entry(f), ensure_ascii=False) for f in chosen]
    lines.extend(f"    {entry}{',' if i < len(entries) - 1 else ''}"
                 for i, entry in enumerate(entries))
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def count_by_rule(findings: Iterable[Finding]) -> dict[str, int]:
    return dict(sorted(Counter(f.rule.id for f in findings if not f.suppressed).items()))


def load_baseline(path: str) -> frozenset[str]:
    """The fingerprints a baseline file accepts."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: baseline file not found (create it with "
                         "`hullscan baseline write`)") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f":{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise UsageError(f"{path}{where}: not a hullscan baseline (invalid JSON)") from None
    if not isinstance(data, dict) or data.get(_KEY) != BASELINE_VERSION:
        raise UsageError(
            f"{path}: not a hullscan baseline (expected \"{_KEY}\": {BASELINE_VERSION})"
        )
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise UsageError(f"{path}: not a hullscan baseline (\"findings\" must be a list)")
    fingerprints = set()
    for i, entry in enumerate(findings):
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str) or not fingerprint:
            raise UsageError(f"{path}: findings[{i}] has no fingerprint")
        fingerprints.add(fingerprint)
    return frozenset(fingerprints)
