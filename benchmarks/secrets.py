"""Time `hullscan secrets` on a generated tree of 2,000 files (mixed .py/.yaml/.json/.env,
every tenth with a secret) and print the time (target: under 10 s on 2 cores).

    .venv/bin/python benchmarks/secrets.py [FILES]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOKEN = "ghp_" + "Qx7Lm2" * 6
PASSWORD = "Tr0ub4dor-and-3-horses"


def build(root: Path, count: int) -> None:
    for i in range(count):
        folder = root / f"pkg{i % 40}"
        folder.mkdir(parents=True, exist_ok=True)
        secret = i % 10 == 0
        kind = i % 4
        if kind == 0:
            body = "".join(f"def f{n}(x):\n    return x * {n}  # plain code line\n"
                           for n in range(60))
            if secret:
                body += f'GITHUB_TOKEN = "{TOKEN}"\n'
            (folder / f"mod{i}.py").write_text(body)
        elif kind == 1:
            body = "".join(f"key{n}:\n  name: value-{n}\n  enabled: true\n" for n in range(40))
            if secret:
                body += f"database:\n  password: {PASSWORD}\n"
            (folder / f"conf{i}.yaml").write_text(body)
        elif kind == 2:
            data = {f"field{n}": {"id": n, "label": f"label {n}"} for n in range(40)}
            if secret:
                data["api_key"] = {"value": TOKEN}
            (folder / f"data{i}.json").write_text(json.dumps(data, indent=2))
        else:
            body = "".join(f"SETTING_{n}=value{n}\n" for n in range(30))
            if secret:
                body += f"DB_PASSWORD={PASSWORD}\n"
            (folder / f"app{i}.env").write_text(body)


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    exe = Path(sys.executable).with_name("hullscan")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root, count)
        start = time.perf_counter()
        run = subprocess.run([str(exe), "secrets", ".", "--format", "json", "--fail-on", "never"],
                             cwd=root, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
    findings = len(json.loads(run.stdout)["findings"]) if run.returncode == 0 else -1
    print(f"hullscan secrets: {count} files, {findings} findings, {elapsed:.2f} s "
          f"(target < 10 s), exit {run.returncode}")
    return 0 if elapsed < 10 and run.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
