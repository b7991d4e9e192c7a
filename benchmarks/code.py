"""hullscan code against raw bandit on the same generated tree, in the same run.

Generates a tree of ~2,000 Python files (a third of them with problems bandit reports: shell
injection, eval, pickle, weak hashes, hardcoded passwords, string-built SQL), then times,
alternating:
  - raw `bandit -r TREE -f json -q`
  - `hullscan code TREE --format json` (bandit in process, plus discovery, policy and output)
and prints the medians and the ratio. Target: at most 1.1x raw bandit.

Usage: python benchmarks/code.py [--files N] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sysconfig
import tempfile
import time
from pathlib import Path

CLEAN = '''"""Module {n}."""

import json


def load_{n}(text: str) -> dict:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("expected an object")
    return {{key: value for key, value in data.items() if key != "debug"}}


class Service{n}:
    def __init__(self, name: str) -> None:
        self.name = name

    def describe(self) -> str:
        return f"service {{self.name}} ({n})"
'''
BAD = '''"""Module {n}, with problems."""

import hashlib
import pickle
import subprocess


def run_{n}(cmd: str, blob: bytes, user: str, cursor) -> object:
    subprocess.call(cmd, shell=True)
    value = eval(cmd)
    obj = pickle.loads(blob)
    digest = hashlib.md5(blob).hexdigest()
    password = "hunter{n}"
    cursor.execute("SELECT * FROM users WHERE name = '%s'" % user)
    return value, obj, digest, password
'''


def generate(root: Path, files: int) -> None:
    for n in range(files):
        folder = root / f"pkg{n // 50}"
        folder.mkdir(parents=True, exist_ok=True)
        template = BAD if n % 3 == 0 else CLEAN
        (folder / f"mod{n}.py").write_text(template.format(n=n), encoding="utf-8")


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr[-2000:]!r}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    scripts = Path(sysconfig.get_path("scripts"))
    bandit, hullscan = str(scripts / "bandit"), str(scripts / "hullscan")
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        generate(tree, args.files)
        print(f"tree: {args.files} Python files under {tree}")
        raw: list[float] = []
        ours: list[float] = []
        for _ in range(args.runs):  # alternate, so both see the same machine state
            raw.append(timed([bandit, "-r", "tree", "-f", "json", "-q"], Path(tmp)))
            ours.append(timed([hullscan, "code", "tree", "--format", "json", "-q",
                               "--fail-on", "never"], Path(tmp)))
        raw_median, our_median = statistics.median(raw), statistics.median(ours)
        print(f"raw bandit -r -f json: median {raw_median:.2f} s  {[round(t, 2) for t in raw]}")
        print(f"hullscan code:         median {our_median:.2f} s  {[round(t, 2) for t in ours]}")
        ratio = our_median / raw_median
        verdict = "ok" if ratio <= 1.1 else "OVER TARGET"
        print(f"ratio: {ratio:.2f}x (target <= 1.1x): {verdict}")


if __name__ == "__main__":
    main()
