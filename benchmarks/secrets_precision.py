"""Precision of the secrets checker on real repositories, for labelling by hand.

Runs `hullscan secrets` over each repository given (checked out by you; nothing of theirs is
stored in the project) and prints, per repository and in total, the findings per rule and
severity, then a sample of findings per rule to label. A sample line never shows a secret: it
gives the file and line, the key name and kind, and the value's *shape* (A upper, a lower,
9 digit, other characters kept, as `Aaaaa9999!`), which is enough to tell a sentence, an
identifier or a placeholder from a generated key.

    .venv/bin/python benchmarks/secrets_precision.py PATH [PATH ...] [--samples N] [--seed S]
        [--rule HS210] [--labels FILE]

--labels FILE: lines `REPO/PATH:LINE RULE tp|fp` (a repository's folder name first, as the
samples print them); the script prints the precision of each rule over the labelled findings
it still reports, and how many labelled true positives it no longer reports (lost).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path


def shape(value: str, limit: int = 24) -> str:
    """`Tr0ub4dor` -> `Aa9aa9aaa`: classes of characters, never the characters."""
    out = []
    for char in value[:limit]:
        if char.isupper():
            out.append("A")
        elif char.islower():
            out.append("a")
        elif char.isdigit():
            out.append("9")
        elif char.isspace():
            out.append("_")
        else:
            out.append("~" if char.isalnum() else char)
    return "".join(out) + ("..." if len(value) > limit else "")


def scan(repo: Path) -> list[dict[str, object]]:
    exe = Path(sys.executable).with_name("hullscan")
    run = subprocess.run(
        [str(exe), "secrets", ".", "--format", "json", "--fail-on", "never", "-q"],
        cwd=repo, capture_output=True, text=True, check=False,
    )
    if run.returncode not in (0, 1, 3) or not run.stdout.strip():
        raise SystemExit(f"{repo}: hullscan secrets failed (exit {run.returncode}): "
                         f"{run.stderr.strip()[:300]}")
    findings: list[dict[str, object]] = json.loads(run.stdout)["findings"]
    return findings


def value_shape(repo: Path, finding: dict[str, object]) -> str:
    location = finding["location"]
    assert isinstance(location, dict)
    try:
        lines = (repo / str(location["path"])).read_text(errors="replace").splitlines()
        line = lines[int(location["start_line"]) - 1]
    except (OSError, IndexError, ValueError):
        return "?"
    column = int(location.get("start_column") or 1) - 1
    quote = line[column - 1] if column > 0 and line[column - 1] in "\"'`" else None
    rest = line[column:]
    if quote is not None:  # a quoted value may hold spaces: up to its closing quote
        return shape(rest.split(quote, 1)[0])
    return shape(rest.split()[0].rstrip(",;") if rest.split() else "")


def read_labels(path: Path | None) -> dict[tuple[str, str], bool]:
    labels: dict[tuple[str, str], bool] = {}
    if path is None:
        return labels
    for raw in path.read_text().splitlines():
        parts = raw.split()
        if len(parts) >= 3 and not raw.startswith("#"):
            labels[(parts[0], parts[1])] = parts[2].lower() == "tp"
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--rule", help="only this rule's samples (default: every rule)")
    parser.add_argument("--labels", type=Path)
    args = parser.parse_args(argv)
    labels = read_labels(args.labels)
    total: Counter[str] = Counter()
    severities: dict[str, Counter[str]] = defaultdict(Counter)
    by_rule: dict[str, list[tuple[str, dict[str, object], Path]]] = defaultdict(list)
    print(f"{'repository':28} {'findings':>8}  per rule")
    for repo in args.repos:
        findings = scan(repo.resolve())
        counts: Counter[str] = Counter()
        for finding in findings:
            rule = str(finding["rule"]["id"])  # type: ignore[index]
            location = finding["location"]
            assert isinstance(location, dict)
            where = f"{repo.name}/{location['path']}:{location['start_line']}"
            counts[rule] += 1
            severities[rule][str(finding["severity"])] += 1
            by_rule[rule].append((where, finding, repo))
        total.update(counts)
        per_rule = ", ".join(f"{r} {n}" for r, n in sorted(counts.items()))
        print(f"{repo.name:28} {sum(counts.values()):>8}  {per_rule}")
    print(f"{'total':28} {sum(total.values()):>8}  "
          + ", ".join(f"{r} {n}" for r, n in sorted(total.items())))
    for rule in sorted(severities):
        print(f"  {rule} severities: " + ", ".join(
            f"{s} {n}" for s, n in sorted(severities[rule].items())))
    rng = random.Random(args.seed)
    for rule, items in sorted(by_rule.items()):
        if args.rule and rule != args.rule:
            continue
        sample = items if len(items) <= args.samples else rng.sample(items, args.samples)
        print(f"\n{rule}: {len(sample)} of {len(items)} (label as `WHERE {rule} tp|fp`)")
        for where, finding, repo in sorted(sample, key=lambda s: s[0]):
            mark = {True: "tp", False: "fp", None: "--"}[labels.get((where, rule))]
            message = str(finding["message"]).split(":")[0]
            print(f"  [{mark}] {where}  {finding['severity']}  {message}  "
                  f"shape {value_shape(repo.resolve(), finding)}")
    if labels:
        print("\nlabelled precision (findings still reported):")
        reported = {(w, r) for r, items in by_rule.items() for w, _, _ in items}
        for rule in sorted({r for _, r in labels}):
            seen = [labels[k] for k in labels if k[1] == rule and k in reported]
            lost = [k for k in labels if k[1] == rule and labels[k] and k not in reported]
            if seen:
                print(f"  {rule}: {sum(seen)}/{len(seen)} true = "
                      f"{100 * sum(seen) / len(seen):.0f} %; labelled true positives no "
                      f"longer reported: {len(lost)}")
            for where, _ in lost[:10]:
                print(f"    lost: {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
