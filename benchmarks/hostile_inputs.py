"""Do hullscan's own Dockerfile parser and rules stay linear on hostile input?

Builds adversarial Dockerfiles (one huge RUN line of repeated tokens, thousands of stages, ...)
at two sizes, times parse + rules + redaction on each, and prints the growth ratio: about 10x for
10x the input is linear; 100x would mean a quadratic pattern (a hostile file stalling CI).

Usage: python benchmarks/hostile_inputs.py [--scale N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from hullscan.core.redact import redact
from hullscan.dockerfile import rules
from hullscan.dockerfile.parser import parse

CASES: dict[str, Callable[[int], str]] = {
    "curl tokens": lambda n: "FROM a\nRUN " + "curl " * n + "\n",
    "chmod flags": lambda n: "FROM a\nRUN " + "chmod -a " * n + "\n",
    "installs": lambda n: "FROM a\nRUN " + "apt-get install " * n + "\n",
    "env pairs": lambda n: "FROM a\nENV " + "A=b " * n + "\n",
    "heredoc": lambda n: "FROM a\nRUN <<EOF\n" + "curl x\n" * n + "EOF\n",
    "continuations": lambda n: "FROM a\nRUN a \\\n" + "  b \\\n" * n + "\n",
    "stages": lambda n: "FROM a AS s0\n"
    + "".join(f"FROM s{i} AS s{i + 1}\n" for i in range(n // 10)),
    "sudo words": lambda n: "FROM a\nRUN " + "x sudo" * n + "\n",
    "curl dashes": lambda n: "FROM a\nRUN " + "curl -" * n + "\n",
    "url colons": lambda n: "FROM a\nRUN " + "a://b:" * n + "\n",
    "jwt-like": lambda n: "FROM a\nRUN " + "eyJaaaaaaaaaa." * n + "\n",
}


def seconds(text: str) -> float:
    start = time.perf_counter()
    parsed = parse(text)
    rules.check(parsed, rules.RuleContext(Path("/nonexistent/Dockerfile"), ("docker.io",)))
    for line in text.splitlines()[:5]:
        redact(line)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20000, help="repetitions of the small case")
    args = parser.parse_args()
    worst = 0.0
    for name, build in CASES.items():
        small, large = build(args.scale), build(args.scale * 10)
        t_small, t_large = seconds(small), seconds(large)
        ratio = t_large / max(t_small, 1e-6)
        worst = max(worst, ratio)
        print(f"{name:14s} {len(large) // 1024:6d} KB  {t_large:6.2f} s   10x input -> "
              f"{ratio:5.1f}x time")
    print(f"worst growth {worst:.1f}x for 10x input ({'linear' if worst < 30 else 'SUPERLINEAR'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
